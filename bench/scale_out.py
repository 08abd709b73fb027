"""Scale-out under load: 500 websocket subscribers while clones run, then 200 concurrent reads.

    python bench/scale_out.py [--subscribers 500] [--clones 4] [--reads 200]

Starts the distributed studio as tests/e2e/test_scale_out.py does (bench/servers.py): PostgreSQL (a
throwaway database), Redis (database 7, emptied), SeaweedFS for media, daphne, two Celery workers
(prefork) and beat. Then:

1. Starts ``--clones`` real clones (offline engine, ~14 s of espeak speech each; two run at once, the
   rest wait in the queue, so their subscribers sit idle for a while) and spreads ``--subscribers``
   websockets over their ``/ws/jobs/<id>/`` streams. Every subscriber reads until the final event.
   Latency is ``received_at - sent_at`` of each progress/final event (sent_at is stamped by the worker
   when it publishes; one machine, one clock). A *lost* event is one that another subscriber of the
   same job received, published after this subscriber had its snapshot, that this one never got; a
   subscriber whose socket closed before the final event counts its missing final as lost too.
2. Fires ``--reads`` concurrent ``GET /v1/voices`` (one thread each) three times and reports
   latency percentiles, errors, and the peak number of PostgreSQL connections to the database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import servers  # noqa: E402

POSTGRES_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = os.environ.get("STUDIO_BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
SPEECH = (
    "Good morning everyone, and welcome to the studio. Today we are going to record a few sentences "
    "so that the computer can learn how my voice sounds. I will speak clearly and calmly, at my usual "
    "pace, and I will try not to rush through the words."
)


@dataclass
class Subscriber:
    job_id: str
    events: list[tuple[float, float, str]] = field(default_factory=list)  # (sent_at, received_at, event)
    snapshot_at: float = 0.0
    final: bool = False
    closed_early: str = ""


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if ordered else float("nan")


def speech_wav(voice: str) -> bytes:
    import subprocess

    return subprocess.run(
        ["espeak-ng", "-v", voice, "--stdout", SPEECH], capture_output=True, check=True
    ).stdout


async def subscribe(studio: servers.Studio, key: str, subscriber: Subscriber, timeout: float) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed
    from websockets.typing import Origin

    try:
        async with asyncio.timeout(timeout):
            async with connect(
                f"ws://127.0.0.1:{studio.port}/ws/jobs/{subscriber.job_id}/",
                additional_headers={"Authorization": f"Bearer {key}"},
                origin=Origin(studio.base_url),
                proxy=None,
                open_timeout=60,
            ) as websocket:
                async for raw in websocket:
                    received = time.time()
                    message = json.loads(raw)
                    if message["event"] == "snapshot":
                        subscriber.snapshot_at = received
                        if message["job"]["status"] in ("SUCCEEDED", "FAILED"):
                            subscriber.final = True
                            return
                        continue
                    if message.get("sent_at"):
                        subscriber.events.append((message["sent_at"], received, message["event"]))
                    if message["event"] == "final":
                        subscriber.final = True
                        return
    except ConnectionClosed as closed:
        subscriber.closed_early = f"closed {closed.rcvd.code if closed.rcvd else '?'}"
    except TimeoutError:
        subscriber.closed_early = "timeout"
    except Exception as error:  # a refused handshake, a reset: the subscriber lost everything after
        subscriber.closed_early = type(error).__name__


async def websocket_load(
    studio: servers.Studio, key: str, job_ids: list[str], subscribers: int
) -> list[Subscriber]:
    crowd = [Subscriber(job_ids[index % len(job_ids)]) for index in range(subscribers)]
    await asyncio.gather(*(subscribe(studio, key, subscriber, timeout=900) for subscriber in crowd))
    return crowd


def lost_events(crowd: list[Subscriber]) -> tuple[int, int]:
    """(lost, expected): events published after a subscriber's snapshot that it did not receive."""
    published: dict[str, set[float]] = defaultdict(set)
    for subscriber in crowd:
        published[subscriber.job_id] |= {sent for sent, _, _ in subscriber.events}
    lost = expected = 0
    for subscriber in crowd:
        due = {sent for sent in published[subscriber.job_id] if sent > subscriber.snapshot_at}
        got = {sent for sent, _, _ in subscriber.events}
        expected += len(due)
        lost += len(due - got)
        if not subscriber.final and not (due - got):
            lost += 1  # never got its final event (it was never published to anyone else either)
    return lost, expected


def concurrent_reads(
    studio: servers.Studio, key: str, reads: int, database_url: str
) -> tuple[list[float], list[int], int]:
    with servers.PostgresConnectionPeak(database_url) as peak:
        results = servers.concurrent_gets(studio, key, "/v1/voices", reads)
    return [ms for ms, _ in results], [status for _, status in results], peak.value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--clones", type=int, default=4)
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average before {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="studio-bench-scale-") as tmp:
        root = Path(tmp)
        s3 = servers.seaweedfs_start(root, root / "logs")
        database_url = servers.postgres_database_create(POSTGRES_SERVER_URL, "studio_bench")
        studio = None
        try:
            servers.redis_database_flush(REDIS_URL)
            env = servers.distributed_env(root / "data", database_url=database_url, redis_url=REDIS_URL)
            env = servers.s3_env(env, s3, "studio-bench")
            studio = servers.studio_distributed_start(
                env, root / "logs", workers=2, pool="prefork", beat=True
            )
            key = servers.api_key_create(env, "bench")
            run(studio, key, args, database_url)
            closes = sum(studio.web.output().count(text) for text in ("MaxConnectionsError", "1011"))
            print(f"daphne log: {closes} MaxConnectionsError/1011 lines", flush=True)
        finally:
            if studio is not None:
                studio.kill()
            s3.kill()
            servers.postgres_database_drop(database_url)
    print(f"load average after {os.getloadavg()}", flush=True)


def run(studio: servers.Studio, key: str, args: argparse.Namespace, database_url: str) -> None:
    voices = ["en-us+m3", "en-us+f4", "en-gb+m2", "en-us+f2"]
    started, started_at = time.monotonic(), time.time()
    job_ids = []
    for index in range(args.clones):
        answer = servers.http_request(
            studio, key, "POST", f"/v1/voices/clone?name=Bench%20{index}&tier=instant",
            data=speech_wav(voices[index % len(voices)]), headers={"Content-Type": "audio/wav"},
        )  # fmt: skip
        if answer.status != 202:
            raise RuntimeError(f"clone answered {answer.status}: {answer.body[:300]!r}")
        job_ids.append(answer.json()["job"]["id"])
    crowd = asyncio.run(websocket_load(studio, key, job_ids, args.subscribers))
    elapsed = time.monotonic() - started
    latencies = [1000 * (received - sent) for s in crowd for sent, received, _ in s.events]
    # Once every subscriber has its snapshot, the handshake burst is over: the steady state.
    all_connected = max(s.snapshot_at for s in crowd)
    steady = [
        1000 * (received - sent) for s in crowd for sent, received, _ in s.events if sent > all_connected
    ]
    lost, expected = lost_events(crowd)
    statuses = [servers.job_fetch(studio, key, job_id)["status"] for job_id in job_ids]
    early = [s.closed_early for s in crowd if s.closed_early]
    print(
        f"websockets: {args.subscribers} subscribers on {args.clones} clones ({', '.join(statuses)}) in "
        f"{elapsed:.0f} s; {len(latencies)} events received; latency p50 {percentile(latencies, 0.5):.1f} ms, "
        f"p95 {percentile(latencies, 0.95):.1f} ms, max {max(latencies, default=float('nan')):.1f} ms; "
        f"lost {lost} of {expected}; closed early {len(early)} {sorted(set(early))}",
        flush=True,
    )
    print(
        f"  after all {args.subscribers} had connected ({all_connected - started_at:.0f} s in): "
        f"{len(steady)} events, p50 {percentile(steady, 0.5):.1f} ms, p95 {percentile(steady, 0.95):.1f} ms",
        flush=True,
    )
    baseline = [concurrent_reads(studio, key, 1, database_url)[0][0] for _ in range(20)]
    print(f"reads one at a time (baseline): p50 {percentile(baseline, 0.5):.0f} ms", flush=True)
    for round_index in range(3):
        times, codes, peak = concurrent_reads(studio, key, args.reads, database_url)
        errors = sum(1 for code in codes if code != 200)
        print(
            f"reads round {round_index + 1}: {args.reads} concurrent GET /v1/voices; p50 "
            f"{percentile(times, 0.5):.0f} ms, p95 {percentile(times, 0.95):.0f} ms, max {max(times):.0f} ms; "
            f"errors {errors}; peak PostgreSQL connections {peak}",
            flush=True,
        )


if __name__ == "__main__":
    main()
