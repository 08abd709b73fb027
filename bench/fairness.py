"""Two users, one flooding the queue: how long does the other one wait for a worker?

Starts an embedded studio (one worker), lets user "flood" queue ``--flood`` demo jobs of ``--job-seconds``
each at once, then has user "other" send a job every ``--every`` seconds (less than its fair half of the
worker: with one worker shared fairly, a user sending more than that builds a queue of their own). Prints the other user's waits
(created → started, from the job rows) as median / p95 / max, next to what first-come-first-served would
have made the first of them wait (the whole flood ahead of it).

    python -m bench.fairness [--flood 15] [--other 8] [--job-seconds 1.0] [--every 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench import servers


def _seconds(job: dict, start: str, end: str) -> float:
    return (datetime.fromisoformat(job[end]) - datetime.fromisoformat(job[start])).total_seconds()


def fairness_run(
    studio: servers.Studio,
    flood_key: str,
    other_key: str,
    *,
    flood: int = 15,
    other: int = 8,
    job_seconds: float = 1.0,
    every: float = 3.0,
) -> dict[str, float]:
    """Run the scenario against ``studio``; the other user's waits in seconds (median, p95, max)."""
    params = {"seconds": 0.1, "chunks": 2, "pace": job_seconds / 2}
    flooded = [servers.demo_job_create(studio, flood_key, **params) for _ in range(flood)]
    mine = []
    for _ in range(other):
        mine.append(servers.demo_job_create(studio, other_key, **params))
        time.sleep(every)
    every_job = [*flooded, *mine]
    servers.wait_for(
        lambda: all(servers.job_fetch(studio, flood_key if job in flooded else other_key, job["id"])["finished_at"]
                    for job in every_job),
        timeout=60 + 3 * len(every_job) * job_seconds,
        interval=0.5,
        message="the jobs did not all finish",
    )  # fmt: skip
    waits = sorted(
        _seconds(servers.job_fetch(studio, other_key, job["id"]), "created_at", "started_at") for job in mine
    )
    runs = [
        _seconds(servers.job_fetch(studio, flood_key, job["id"]), "started_at", "finished_at")
        for job in flooded
    ]
    return {
        "median": statistics.median(waits),
        "p95": waits[min(len(waits) - 1, round(0.95 * (len(waits) - 1)))],
        "max": waits[-1],
        "job_run": statistics.median(runs),  # one job's real run time on this machine, start to finish
        "fifo_first_wait": sum(runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--flood", type=int, default=15)
    parser.add_argument("--other", type=int, default=8)
    parser.add_argument("--job-seconds", type=float, default=1.0)
    parser.add_argument("--every", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        env = servers.embedded_env(Path(root) / "data")
        studio = servers.studio_embedded_start(env, Path(root) / "logs")
        try:
            result = fairness_run(
                studio,
                servers.api_key_create(env, "flood"),
                servers.api_key_create(env, "other"),
                flood=args.flood,
                other=args.other,
                job_seconds=args.job_seconds,
                every=args.every,
            )
        finally:
            studio.kill()
    print(
        f"other user's wait over {args.other} jobs behind a flood of {args.flood} x {args.job_seconds:g} s: "
        f"median {result['median']:.2f} s, p95 {result['p95']:.2f} s, max {result['max']:.2f} s; "
        f"one job runs {result['job_run']:.2f} s here (p95 = {result['p95'] / result['job_run']:.1f} jobs); "
        f"first come, first served: the first would wait ~{result['fifo_first_wait']:.0f} s"
    )


if __name__ == "__main__":
    main()
