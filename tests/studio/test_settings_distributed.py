"""The distributed mode's settings, read in a fresh process from the environment an operator sets."""

from __future__ import annotations

import json
import subprocess
import sys

from bench import servers

READ = """
import json, django
from django.conf import settings
from channels_redis.core import RedisChannelLayer
django.setup()
host = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]
print(json.dumps({
    "database": {k: settings.DATABASES["default"][k] for k in ("CONN_MAX_AGE", "OPTIONS")},
    "channel_host": host, "channels_blocking_read": RedisChannelLayer.brpop_timeout,
    "broker": settings.CELERY_BROKER_URL, "transport": settings.CELERY_BROKER_TRANSPORT_OPTIONS,
    "stale": settings.STUDIO_JOB_STALE_SECONDS, "heartbeat": settings.STUDIO_JOB_HEARTBEAT_SECONDS,
    "beat": sorted(settings.CELERY_BEAT_SCHEDULE), "beat_file": settings.CELERY_BEAT_SCHEDULE_FILENAME,
    "reject_on_worker_lost": settings.CELERY_TASK_REJECT_ON_WORKER_LOST, "acks_late": settings.CELERY_TASK_ACKS_LATE,
}))
"""


def distributed_settings(tmp_path) -> dict:
    env = servers.distributed_env(
        tmp_path / "data", database_url="postgres://studio@db:5432/studio", redis_url="redis://redis:6379/0"
    )
    env["STUDIO_STORAGE"] = "s3"
    done = subprocess.run(
        [sys.executable, "-c", READ],
        cwd=servers.REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_distributed_settings_bound_connections_and_keep_websockets_and_jobs_alive(tmp_path):
    found = distributed_settings(tmp_path)

    # PostgreSQL: a bounded pool per process, no per-thread persistent connections.
    assert found["database"]["CONN_MAX_AGE"] == 0
    assert found["database"]["OPTIONS"]["pool"]["max_size"] == 10
    # The channel layer reads longer than channels_redis blocks, with options outside the URL Celery reads.
    assert found["channel_host"]["socket_timeout"] > found["channels_blocking_read"]
    assert found["channel_host"]["address"] == found["broker"] == "redis://redis:6379/0"
    # Redis hands a dead worker's message out again, after the job's heartbeat has gone stale.
    assert found["transport"]["visibility_timeout"] > found["stale"] > 3 * found["heartbeat"]
    assert found["acks_late"] and not found["reject_on_worker_lost"]
    assert "requeue-stale-jobs" in found["beat"]
    # Nothing in the code folder: no data folder, beat's schedule in the temp folder.
    assert not (tmp_path / "data").exists()
    assert not found["beat_file"].startswith(str(servers.REPO_ROOT))
