"""The distributed mode end to end: PostgreSQL, Redis (Celery broker and channel layer), a Celery worker
process and a daphne process, set up from the environment as docs/architecture.md ("Distributed")
describes."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from bench import servers

pytestmark = pytest.mark.slow

# The demo job's progress, (step, percent), with 5 chunks: the claim, the first render step, one event
# per chunk (each chunk is paced 0.2 s, past the progress throttle, so none is skipped) and "measure".
DEMO_PROGRESS = [("", 0.0), ("render", 0.0)] + [("render", 15.0 * chunk) for chunk in (1, 2, 3, 4)]
DEMO_PROGRESS += [("measure", 75.0)]


def progress_after(snapshot: dict) -> list[tuple[str, float]]:
    if snapshot["status"] == "QUEUED":
        return DEMO_PROGRESS
    if snapshot["status"] == "RUNNING":
        return DEMO_PROGRESS[DEMO_PROGRESS.index((snapshot["step"], snapshot["percent"])) + 1 :]
    return []


def test_distributed_studio_streams_every_progress_event_and_records_the_job_in_postgres(
    distributed_studio, postgres_database_url
) -> None:
    key = servers.api_key_create(distributed_studio.env, "alice")
    job = servers.demo_job_create(distributed_studio, key, seconds=1, chunks=5, pace=0.2)

    snapshot, *live = asyncio.run(servers.job_watch(distributed_studio, key, job["id"]))

    assert snapshot.event == "snapshot"
    assert live[-1].event == "final" and live[-1].job["status"] == "SUCCEEDED"
    assert live[-1].job["result"]["duration"] == pytest.approx(1.0)
    # Every event the worker published after the snapshot arrived, in order (the group is joined before
    # the snapshot is read, so one already in the snapshot may come again first).
    received = [(event.job["step"], event.job["percent"]) for event in live if event.event == "progress"]
    expected = progress_after(snapshot.job)
    assert received[len(received) - len(expected) :] == expected
    assert set(received) <= set(DEMO_PROGRESS)
    with psycopg.connect(postgres_database_url) as db:
        row = db.execute("SELECT status, percent FROM synthesis_job WHERE id = %s", [job["id"]]).fetchone()
    assert row == ("SUCCEEDED", 100.0)


def test_studio_no_worker_refuses_without_a_shared_broker(tmp_path) -> None:
    done = servers.manage(servers.embedded_env(tmp_path), "studio", "--no-worker", "--port", "1", check=False)

    assert done.returncode == 1
    assert "--no-worker needs a shared broker (REDIS_URL)" in done.stderr


def test_check_fails_without_secret_key_when_distributed_with_debug_off(tmp_path) -> None:
    env = servers.distributed_env(
        tmp_path, database_url="postgres://postgres@127.0.0.1:5432/unused", redis_url=""
    )
    del env["SECRET_KEY"]

    done = servers.manage(env, "check", check=False)

    assert done.returncode == 1
    assert "Set SECRET_KEY: the distributed mode (DATABASE_URL / REDIS_URL) refuses to start" in done.stderr
