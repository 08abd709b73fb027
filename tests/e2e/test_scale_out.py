"""Scale-out end to end: daphne, two Celery workers (prefork, as ``celery worker`` runs by default) and
beat, on PostgreSQL, Redis and SeaweedFS (a real S3 server that checks credentials), configured as
README's "Distributed mode" says. Workers are killed mid-clone with SIGKILL; jobs must still finish.

Time bounds (the defaults operators get): a job whose worker *process* died is requeued by the
worker's parent at once; a job whose whole worker died is requeued once its heartbeat is older than
STUDIO_JOB_STALE_SECONDS (30 s) by beat's sweep (every STUDIO_JOB_SWEEP_SECONDS, 15 s): within 45 s
of the last heartbeat, plus the time to run it again.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from websockets.asyncio.client import connect
from websockets.typing import Origin

from bench import servers
from bench.reference_voices import EXTRA_REFERENCE_TEXTS
from tests.conftest import TALK, TALK_LONG, _espeak

pytestmark = pytest.mark.slow

BUCKET = "studio-e2e"
SPEAKER = "en-us+m3"
STALE_SECONDS, SWEEP_SECONDS = 30, 15
WHOLE_WORKER_RECOVERY = STALE_SECONDS + SWEEP_SECONDS + 10  # 10 s: heartbeat interval and slack
CHILD_RECOVERY = 15
URL_EXPIRY = 120


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.S3Server]:
    root = tmp_path_factory.mktemp("s3")
    server = servers.seaweedfs_start(root, root / "logs")
    yield server
    server.kill()


@pytest.fixture(scope="module")
def studio(
    tmp_path_factory: pytest.TempPathFactory, postgres_database_url: str, redis_url: str, s3: servers.S3Server
) -> Iterator[servers.Studio]:
    root = tmp_path_factory.mktemp("scale-out")
    servers.redis_database_flush(redis_url)
    env = servers.distributed_env(root / "data", database_url=postgres_database_url, redis_url=redis_url)
    env = servers.s3_env(env, s3, BUCKET) | {"STUDIO_S3_URL_EXPIRY": str(URL_EXPIRY)}
    studio = servers.studio_distributed_start(env, root / "logs", workers=2, pool="prefork", beat=True)
    yield studio
    studio.kill()


@pytest.fixture(scope="module")
def key(studio: servers.Studio) -> str:
    return servers.api_key_create(studio.env, "alice")


def job_row(database_url: str, job_id: str) -> dict:
    with psycopg.connect(database_url) as db:
        row = db.execute(
            "SELECT status, step, attempts, error, heartbeat_at FROM synthesis_job WHERE id = %s", [job_id]
        ).fetchone()
    return dict(zip(("status", "step", "attempts", "error", "heartbeat_at"), row, strict=True))


def wait_job(database_url: str, job_id: str, condition, *, timeout: float, message: str) -> dict:
    return servers.wait_for(
        lambda: (row := job_row(database_url, job_id)) and condition(row) and row,
        timeout=timeout,
        message=message,
        interval=0.2,
    )


def clone_start(studio: servers.Studio, key: str, name: str) -> dict:
    answer = servers.http_request(
        studio,
        key,
        "POST",
        f"/v1/voices/clone?name={name}&tier=instant",
        data=_espeak(TALK, SPEAKER),
        headers={"Content-Type": "audio/wav"},
    )
    assert answer.status == 202, answer.body
    return answer.json()


def clone_running(
    studio: servers.Studio, key: str, name: str, database_url: str
) -> tuple[dict, servers.Process, int]:
    """A clone past its first step, the worker running it and the pool process that does."""
    clone = clone_start(studio, key, name)
    wait_job(database_url, clone["job"]["id"], lambda row: row["status"] == "RUNNING" and row["step"] not in ("", "decode"),
             timeout=120, message="the clone did not start")  # fmt: skip
    return clone, *busiest_child(studio)


def busiest_child(studio: servers.Studio) -> tuple[servers.Process, int]:
    """The worker whose pool process is using the CPU (the one running the clone), and that process."""

    def cpu_ticks(pid: int) -> int:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0
        return int(fields[11]) + int(fields[12])  # utime + stime

    children = [(worker, pid) for worker in studio.workers for pid in servers.worker_children(worker)]
    before = {pid: cpu_ticks(pid) for _, pid in children}
    time.sleep(1.5)
    return max(children, key=lambda item: cpu_ticks(item[1]) - before[item[1]])


def replace_dead_workers(studio: servers.Studio) -> None:
    """Keep two live, started workers for the next test (which may kill their pool processes: a worker
    still starting would stop altogether, see servers.worker_wait_ready)."""
    for index, worker in enumerate(studio.workers):
        if worker.popen.poll() is not None:
            studio.workers[index] = servers.worker_start(
                studio.env, studio.log_dir, f"{worker.name}-again-{int(time.time())}", pool="prefork"
            )
            servers.worker_wait_ready(studio.workers[index])


# --- S3 ---------------------------------------------------------------------------------------------


def test_clone_consent_speech_and_delete_keep_every_file_in_the_bucket_and_delete_removes_them(
    studio, key, s3, postgres_database_url
) -> None:
    clone = clone_start(studio, key, "Bucket%20voice")
    voice_id = clone["id"]
    wait_job(
        postgres_database_url, clone["job"]["id"], lambda row: row["status"] == "SUCCEEDED", timeout=300,
        message="the clone did not succeed",
    )  # fmt: skip
    consent = _consent_verified(studio, key, voice_id, postgres_database_url)
    speech = servers.http_request(
        studio, key, "POST", "/v1/speech", json_body={"voice_id": voice_id, "text": "Hello from the bucket."}
    )
    assert speech.status in (200, 201), speech.body
    speech_body = speech.json()

    keys = s3.keys(BUCKET, f"voices/{voice_id}/")
    assert any(k.startswith(f"voices/{voice_id}/samples/") for k in keys), keys
    assert any(k.startswith(f"voices/{voice_id}/engine/offline/") for k in keys), keys
    assert any(re.match(rf"voices/{voice_id}/preview[^/]*\.mp3$", k) for k in keys), keys
    assert any(k.startswith(f"voices/{voice_id}/consent/{consent}/") for k in keys), keys
    speech_keys = s3.keys(BUCKET, "speech/")
    assert any(speech_body["id"] in k for k in speech_keys), speech_keys

    # Files reach their owner as short-lived signed URLs that S3 honours.
    audio = servers.http_request(studio, key, "GET", speech_body["audio_url"])
    assert audio.status == 302
    signed = audio.headers["Location"]
    assert signed.startswith(s3.endpoint_url) and f"X-Amz-Expires={URL_EXPIRY}" in signed
    fetched = servers.http_request(studio, None, "GET", signed)
    assert fetched.status == 200 and len(fetched.body) > 1000

    deleted = servers.http_request(studio, key, "DELETE", f"/v1/voices/{voice_id}")
    assert deleted.status == 200 and deleted.json()["deleted"] is True, deleted.body
    assert s3.keys(BUCKET, f"voices/{voice_id}/") == []
    speech_deleted = servers.http_request(studio, key, "DELETE", f"/v1/speech/{speech_body['id']}")
    assert speech_deleted.status == 200 and speech_deleted.json()["deleted"] is True
    assert [k for k in s3.keys(BUCKET, "speech/") if speech_body["id"] in k] == []


def _consent_verified(studio: servers.Studio, key: str, voice_id: str, database_url: str) -> str:
    """Record the consent phrase in the speaker's voice (espeak); returns the consent id.

    Whisper tiny mishears espeak's "nine" and runs repeated digits together, so ask for a phrase whose
    code has neither (a new speaker name gives a new code); the recogniser still slips now and then
    on synthetic speech, so a refused recording is tried again with a new phrase (at most 3 times)."""
    checks = []
    for attempt in range(30):
        body = servers.http_request(
            studio, key, "GET", f"/v1/voices/{voice_id}/consent?license=personal&speaker_name=Sam%20{attempt}"
        ).json()
        digits = re.search(r"Code ([0-9 ]+)", body["phrase"]).group(1).split()
        if "9" in digits or len(set(digits)) != len(digits):
            continue
        spoken = body["phrase"].replace(" ".join(digits), ", ".join(digits))
        answer = servers.http_request(
            studio, key, "POST", f"/v1/voices/{voice_id}/consent", data=_espeak(spoken, SPEAKER),
            headers={"Content-Type": "audio/wav"},
        )  # fmt: skip
        assert answer.status == 202, answer.body
        wait_job(database_url, answer.json()["job"]["id"], lambda row: row["status"] in ("SUCCEEDED", "FAILED"),
                 timeout=180, message="the consent check did not finish")  # fmt: skip
        state = servers.http_request(studio, key, "GET", f"/v1/voices/{voice_id}/consent").json()
        if state["verification"] == "verified":
            return body["consent_id"]
        checks.append(state.get("last_check"))
        if len(checks) == 3:
            break
    raise AssertionError(f"consent was not verified: {checks}")


def test_a_process_with_wrong_s3_credentials_stops_at_start_and_says_what_to_fix(studio, s3) -> None:
    env = studio.env | {"STUDIO_S3_SECRET_KEY": "not-the-secret"}
    web = servers.daphne_start(env, studio.log_dir, servers.free_port())
    assert web.popen.wait(60) != 0
    assert "S3 refused the credentials for the bucket 'studio-e2e'" in web.output()
    assert "check STUDIO_S3_ACCESS_KEY and STUDIO_S3_SECRET_KEY" in web.output()
    worker = servers.worker_start(env, studio.log_dir, "worker-wrong-credentials")
    assert worker.popen.wait(60) != 0
    assert "Voice Studio cannot start: S3 refused the credentials" in worker.output()


# --- Workers that die -------------------------------------------------------------------------------


def test_a_clone_whose_worker_process_is_killed_is_run_again_at_once_and_completes(
    studio, key, s3, postgres_database_url
) -> None:
    clone, worker, child = clone_running(studio, key, "Child%20kill", postgres_database_url)
    job_id = clone["job"]["id"]
    os.kill(child, signal.SIGKILL)
    killed_at = time.monotonic()

    wait_job(postgres_database_url, job_id, lambda row: row["attempts"] == 2 and row["status"] == "RUNNING",
             timeout=CHILD_RECOVERY, message=f"the clone was not running again {CHILD_RECOVERY} s after the kill")  # fmt: skip
    rerun_after = time.monotonic() - killed_at
    final = wait_job(postgres_database_url, job_id, lambda row: row["status"] in ("SUCCEEDED", "FAILED"),
                     timeout=300, message="the clone did not finish")  # fmt: skip

    print(
        f"\npool process killed: running again after {rerun_after:.1f} s, done after {time.monotonic() - killed_at:.0f} s"
    )
    assert final["status"] == "SUCCEEDED" and final["attempts"] == 2, final
    assert rerun_after < CHILD_RECOVERY
    voice = servers.http_request(studio, key, "GET", f"/v1/voices/{clone['id']}").json()
    assert voice["status"] == "AVAILABLE"
    assert worker.popen.poll() is None  # the worker itself lives on with a new pool process
    assert s3.keys(BUCKET, f"voices/{clone['id']}/samples/")  # nothing lost


def test_a_long_clone_killed_while_writing_down_the_rest_is_run_again_and_keeps_whole_transcripts(
    studio, key, s3, postgres_database_url
) -> None:
    """~100 s of speech: the instant tier learns from 30 s, the voice is AVAILABLE, and the rest is
    transcribed in the last step ("transcripts"), where every pool process is killed."""
    ending = "At the very end, the purple giraffe counted seven lanterns by the harbour."
    text = " ".join([TALK_LONG, *EXTRA_REFERENCE_TEXTS, ending])
    answer = servers.http_request(
        studio, key, "POST", "/v1/voices/clone?name=Long%20kill&tier=instant", data=_espeak(text, SPEAKER),
        headers={"Content-Type": "audio/wav"},
    )  # fmt: skip
    assert answer.status == 202, answer.body
    clone = answer.json()
    job_id = clone["job"]["id"]
    wait_job(postgres_database_url, job_id, lambda row: row["status"] == "RUNNING" and row["step"] == "transcripts",
             timeout=300, message="the clone never reached its last step")  # fmt: skip
    assert (
        servers.http_request(studio, key, "GET", f"/v1/voices/{clone['id']}").json()["status"] == "AVAILABLE"
    )
    for worker in studio.workers:  # the one running the clone is among them
        for child in servers.worker_children(worker):
            os.kill(child, signal.SIGKILL)

    final = wait_job(postgres_database_url, job_id, lambda row: row["status"] in ("SUCCEEDED", "FAILED"),
                     timeout=300, message="the clone did not finish")  # fmt: skip
    assert final["status"] == "SUCCEEDED" and final["attempts"] == 2, final
    voice = servers.http_request(studio, key, "GET", f"/v1/voices/{clone['id']}").json()
    assert voice["status"] == "AVAILABLE" and voice["analysis"]["speech_duration"] > 80
    transcript = voice["samples"][0]["transcript"].lower()
    assert "good morning" in transcript and "giraffe" in transcript


def test_a_clone_whose_whole_worker_is_killed_is_finished_by_the_other_worker(
    studio, key, s3, postgres_database_url
) -> None:
    clone, worker, _ = clone_running(studio, key, "Worker%20kill", postgres_database_url)
    job_id = clone["job"]["id"]
    for pid in [*servers.worker_children(worker), worker.popen.pid]:
        os.kill(pid, signal.SIGKILL)
    worker.popen.wait(10)
    killed_at = time.monotonic()

    try:
        wait_job(postgres_database_url, job_id, lambda row: row["attempts"] == 2 and row["status"] == "RUNNING",
                 timeout=WHOLE_WORKER_RECOVERY, message="the other worker did not take the clone over")  # fmt: skip
        rerun_after = time.monotonic() - killed_at
        final = wait_job(postgres_database_url, job_id, lambda row: row["status"] in ("SUCCEEDED", "FAILED"),
                         timeout=300, message="the clone did not finish")  # fmt: skip
        done_after = time.monotonic() - killed_at
    finally:
        replace_dead_workers(studio)

    print(f"\nwhole worker killed: running again after {rerun_after:.1f} s, done after {done_after:.0f} s")
    assert final["status"] == "SUCCEEDED" and final["attempts"] == 2, final
    assert rerun_after < WHOLE_WORKER_RECOVERY
    voice = servers.http_request(studio, key, "GET", f"/v1/voices/{clone['id']}").json()
    assert voice["status"] == "AVAILABLE" and voice["preview_url"]


def test_a_job_that_keeps_killing_its_worker_fails_after_three_attempts_with_a_message(
    studio, key, postgres_database_url
) -> None:
    job = servers.demo_job_create(studio, key, seconds=10, chunks=50, pace=0.2)
    for attempt in (1, 2, 3):
        wait_job(postgres_database_url, job["id"], lambda row, n=attempt: row["attempts"] == n and row["status"] == "RUNNING",
                 timeout=60, message=f"attempt {attempt} did not start")  # fmt: skip
        for worker in studio.workers:  # whichever runs it; an idle pool process is simply replaced
            for pid in servers.worker_children(worker):
                os.kill(pid, signal.SIGKILL)

    final = wait_job(postgres_database_url, job["id"], lambda row: row["status"] in ("SUCCEEDED", "FAILED"),
                     timeout=60, message="the job was not given up")  # fmt: skip
    assert final["status"] == "FAILED" and final["attempts"] == 3
    assert final["error"].startswith("The job stopped 3 times before it could finish")
    time.sleep(3)
    assert job_row(postgres_database_url, job["id"])["attempts"] == 3  # and it does not run again
    assert all(worker.popen.poll() is None for worker in studio.workers)


# --- Websockets -------------------------------------------------------------------------------------


def _socket(studio: servers.Studio, key: str, path: str):
    return connect(
        f"ws://127.0.0.1:{studio.port}{path}",
        additional_headers={"Authorization": f"Bearer {key}"},
        origin=Origin(studio.base_url),
        proxy=None,
        open_timeout=60,
    )


def _finished_demo_job(studio: servers.Studio, key: str, database_url: str) -> str:
    job = servers.demo_job_create(studio, key, seconds=0.2, chunks=1)
    wait_job(
        database_url, job["id"], lambda row: row["status"] == "SUCCEEDED", timeout=60, message="demo job"
    )
    return job["id"]


def test_an_idle_websocket_stays_open_for_30_seconds_and_still_receives_events(
    studio, key, postgres_database_url, redis_url
) -> None:
    job_id = _finished_demo_job(studio, key, postgres_database_url)

    async def idle_then_receive() -> dict:
        async with _socket(studio, key, f"/ws/jobs/{job_id}/") as websocket:
            assert json.loads(await websocket.recv())["event"] == "snapshot"
            assert json.loads(await websocket.recv())["event"] == "final"
            with pytest.raises(TimeoutError):  # nothing for 30 s, and the server does not close it
                await asyncio.wait_for(websocket.recv(), 30)
            group = f"job.{job_id}"
            await _group_send(redis_url, group, {"event": "progress", "job": {"id": job_id}, "group": group})
            return json.loads(await asyncio.wait_for(websocket.recv(), 10))

    assert asyncio.run(idle_then_receive())["event"] == "progress"
    assert "1011" not in studio.web.output() and "TimeoutError" not in studio.web.output()


async def _group_send(redis_url: str, group: str, message: dict) -> None:
    """Publish as a worker does, through the same channel layer."""
    from studio.channel_layer import StudioRedisChannelLayer

    layer = StudioRedisChannelLayer(hosts=[{"address": redis_url, "socket_timeout": 30}])
    await layer.group_send(group, message)


def test_300_clients_of_one_job_share_one_membership_that_goes_when_the_last_leaves(
    studio, key, postgres_database_url, redis_url
) -> None:
    job_id = _finished_demo_job(studio, key, postgres_database_url)
    group = f"asgi:group:job.{job_id}"
    members = redis.Redis.from_url(redis_url)

    async def crowd() -> int:
        sockets = await asyncio.gather(*(_socket(studio, key, f"/ws/jobs/{job_id}/") for _ in range(300)))
        await asyncio.gather(*(websocket.recv() for websocket in sockets))
        while_connected = members.zcard(group)
        await asyncio.gather(*(websocket.close() for websocket in sockets[:-1]))
        await asyncio.sleep(1)
        assert members.zcard(group) == 1  # the last socket still follows the job
        await sockets[-1].close()
        return while_connected

    assert asyncio.run(crowd()) == 1  # one membership for the web process, not one per socket
    servers.wait_for(lambda: members.zcard(group) == 0, timeout=30, message="the membership was left behind")
    assert "MaxConnectionsError" not in studio.web.output()
    assert "Could not leave group" not in studio.web.output()


# --- Connections, health, metrics -------------------------------------------------------------------


def test_200_concurrent_reads_all_succeed_and_postgres_connections_stay_bounded(
    studio, key, postgres_database_url
) -> None:
    with servers.PostgresConnectionPeak(postgres_database_url) as peak:
        statuses = [status for _, status in servers.concurrent_gets(studio, key, "/v1/voices", 200)]

    assert statuses.count(200) == 200, {status: statuses.count(status) for status in set(statuses)}
    # daphne's pool (10) + each worker's parent and pool process (main thread + heartbeat) + beat.
    assert peak.value <= 10 + 2 * 3 + 1, peak.value


def test_health_readiness_and_metrics_describe_the_running_studio(studio, key, postgres_database_url) -> None:
    _finished_demo_job(studio, key, postgres_database_url)
    assert servers.http_request(studio, None, "GET", "/healthz").json() == {"status": "ok"}
    ready = servers.http_request(studio, None, "GET", "/readyz")
    assert ready.status == 200
    checks = ready.json()["checks"]
    assert set(checks) == {"database", "broker", "storage", "channel_layer"}
    assert all(check["ok"] for check in checks.values())
    assert checks["storage"]["detail"].startswith(f"S3 bucket '{BUCKET}'")

    text = servers.http_request(studio, None, "GET", "/metrics").body.decode()
    assert re.search(r'^studio_jobs_finished_total\{kind="demo",outcome="succeeded"\} [1-9]', text, re.M)
    assert re.search(
        r'^studio_job_duration_seconds_count\{kind="demo",outcome="succeeded"\} [1-9]', text, re.M
    )
    assert re.search(r'^studio_jobs\{queue="cpu",status="QUEUED"\} \d', text, re.M)
    assert re.search(r"^studio_broker_queue_messages\{queue=\"cpu\"\} \d", text, re.M)
    assert re.search(r"^studio_websockets_open \d", text, re.M)
    assert re.search(r'^studio_db_connections\{state="\w+"\} [1-9]', text, re.M)
    assert re.search(r'^studio_db_pool_connections\{state="max"\} 10', text, re.M)


def test_workers_started_without_a_name_get_distinct_names(studio) -> None:
    names = [re.search(r"-------------- (\S+@\S+) v", worker.output()) for worker in studio.workers]
    assert all(names) and len({name.group(1) for name in names}) == len(names)
    assert "already using this process mailbox" not in "".join(worker.output() for worker in studio.workers)


def test_nothing_is_written_to_the_data_folder_on_postgres_and_s3(studio) -> None:
    assert not Path(studio.env["STUDIO_DATA_DIR"]).exists()
