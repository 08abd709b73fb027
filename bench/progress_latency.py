"""How long a progress event takes from the worker to a websocket client, per mode.

    python bench/progress_latency.py [--mode embedded|distributed|both] [--jobs 10] [--redis-url URL]

Starts the studio as the end-to-end tests do (bench/servers.py): embedded is ``manage.py studio`` on
SQLite; distributed is PostgreSQL (a throwaway database), Redis (``--redis-url``, by default database
10; it is emptied), a Celery worker and daphne. Runs demo jobs one after another with a websocket client
on each and measures, for every progress and final event, ``received_at - sent_at``: ``sent_at`` is
stamped by the worker when it publishes (jobs/events.py ``job_broadcast``), ``received_at`` when the
client has read the frame. The figures measured so far are in docs/decisions.md, "The thread-safe
in-memory channel layer".
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import servers  # noqa: E402

POSTGRES_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/10"  # not the tests' database 9: both may run at once
# Each 0.2 s chunk passes the progress throttle, so a job publishes 8 events (7 progress, 1 final).
DEMO_PARAMS = {"seconds": 1, "chunks": 5, "pace": 0.2}


@contextmanager
def studio_running(mode: str, root: Path, redis_url: str = REDIS_URL) -> Iterator[servers.Studio]:
    if mode == "embedded":
        studio = servers.studio_embedded_start(servers.embedded_env(root / "data"), root / "logs")
        try:
            yield studio
        finally:
            studio.kill()
        return
    database_url = servers.postgres_database_create(POSTGRES_SERVER_URL, "studio_bench")
    try:
        servers.redis_database_flush(redis_url)
        env = servers.distributed_env(root / "data", database_url=database_url, redis_url=redis_url)
        studio = servers.studio_distributed_start(env, root / "logs")
        try:
            yield studio
        finally:
            studio.kill()
    finally:
        servers.postgres_database_drop(database_url)


def latencies_ms(studio: servers.Studio, jobs: int) -> list[float]:
    key = servers.api_key_create(studio.env, "bench")
    measured: list[float] = []
    for index in range(jobs + 1):  # the first job warms up the worker and the connections; not counted
        job = servers.demo_job_create(studio, key, **DEMO_PARAMS)
        events = asyncio.run(servers.job_watch(studio, key, job["id"]))
        if events[-1].job["status"] != "SUCCEEDED":
            raise RuntimeError(f"job {job['id']} ended {events[-1].job['status']}: {events[-1].job['error']}")
        if index:
            measured += [1000 * (event.received_at - event.sent_at) for event in events if event.sent_at]
    if not measured:
        raise RuntimeError("no event carried sent_at: the server predates it (jobs/events.py job_broadcast)")
    return measured


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["embedded", "distributed", "both"], default="both")
    parser.add_argument("--jobs", type=int, default=10, help="measured demo jobs per mode (plus one warm-up)")
    parser.add_argument(
        "--redis-url",
        default=REDIS_URL,
        help="a Redis database for the distributed mode alone: it is emptied",
    )
    args = parser.parse_args()
    modes = ["embedded", "distributed"] if args.mode == "both" else [args.mode]
    print(f"{'mode':<12} {'events':>6} {'p50 ms':>8} {'p90 ms':>8} {'max ms':>8}")
    for mode in modes:
        with tempfile.TemporaryDirectory(prefix=f"studio-bench-{mode}-") as root:
            with studio_running(mode, Path(root), args.redis_url) as studio:
                values = latencies_ms(studio, args.jobs)
        print(
            f"{mode:<12} {len(values):>6} {percentile(values, 0.5):>8.1f} "
            f"{percentile(values, 0.9):>8.1f} {max(values):>8.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
