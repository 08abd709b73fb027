"""Time to first audio byte of streamed speech, for 1 sentence and for 20: it must not grow with the text.

    python bench/streaming_ttfb.py [--runs 5] [--format mp3] [--voice voice_builtin_joe]

Starts the embedded studio (bench/servers.py) and, alternating the texts, POSTs ``/v1/speech/stream``
(the worker sends each sentence as it is made) and, as the baseline, ``POST /v1/speech`` with
``Accept: audio/*`` (the whole file once rendered). Prints the median time to the first byte and to the
last, per text, and the 20:1 ratio of the first-byte medians (≈ 1 when streaming works; the baseline's
ratio is how much longer the whole file takes). A warm-up request of each kind is not counted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import servers  # noqa: E402

SENTENCES = [
    "The morning train left the station on time.",
    "Rain had fallen through the night and the fields were still wet.",
    "A farmer waved from his tractor as the carriages rolled past.",
    "Inside, passengers read their papers or watched the hills.",
    "The conductor checked tickets with a cheerful word for everyone.",
    "Near the window a child counted the cows in every meadow.",
    "Her father pointed out a castle on a distant ridge.",
    "The tea trolley arrived with biscuits and strong coffee.",
    "Somebody laughed at a joke two rows further down.",
    "Clouds gathered again over the river valley.",
    "The train slowed for a bridge that was being repaired.",
    "Workers in orange jackets stood aside and waited.",
    "On the far bank, a heron lifted slowly into the air.",
    "The line curved south toward the coast.",
    "Soon the smell of salt drifted through the open vents.",
    "Gulls circled above the harbour as the town came into view.",
    "Fishing boats rocked gently beside the stone quay.",
    "The passengers gathered their coats and bags.",
    "With a long sigh of the brakes, the train came to a stop.",
    "Everyone stepped out into the bright sea air.",
]


def timed(
    client: httpx.Client, path: str, body: dict, headers: dict | None = None
) -> tuple[float, float, int]:
    """(seconds to the first body byte, to the last, bytes)."""
    started = time.monotonic()
    first, size = None, 0
    with client.stream("POST", path, json=body, headers=headers or {}) as response:
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}: {response.read()[:300]!r}")
        for chunk in response.iter_raw():
            if chunk and first is None:
                first = time.monotonic() - started
            size += len(chunk)
    return first or 0.0, time.monotonic() - started, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="measured requests per text and endpoint")
    parser.add_argument("--format", default="mp3", choices=["mp3", "wav", "pcm"])
    parser.add_argument("--voice", default="voice_builtin_joe")
    args = parser.parse_args()
    texts = {"1 sentence": SENTENCES[0], "20 sentences": " ".join(SENTENCES)}
    endpoints = {
        "stream": ("/v1/speech/stream", {}),
        "whole file": ("/v1/speech", {"Accept": "audio/*"}),
    }
    with tempfile.TemporaryDirectory(prefix="studio-bench-stream-") as root:
        studio = servers.studio_embedded_start(servers.embedded_env(Path(root) / "data"), Path(root) / "logs")
        try:
            client = servers.api_client(studio, timeout=600)
            results: dict[tuple[str, str], list[tuple[float, float, int]]] = {}
            for endpoint, (path, headers) in endpoints.items():
                body = {"voice_id": args.voice, "text": SENTENCES[1], "output_format": args.format}
                timed(client, path, body, headers)  # warm-up: models load, connections open
                for _ in range(args.runs):
                    for label, text in texts.items():
                        body = {"voice_id": args.voice, "text": text, "output_format": args.format}
                        results.setdefault((endpoint, label), []).append(timed(client, path, body, headers))
        finally:
            studio.kill()
    print(
        f"{'endpoint':<11} {'text':<13} {'first byte s':>12} {'last byte s':>12} {'KB':>6}   (medians of {args.runs})"
    )
    for (endpoint, label), runs in results.items():
        first = statistics.median(run[0] for run in runs)
        last = statistics.median(run[1] for run in runs)
        size = statistics.median(run[2] for run in runs) / 1024
        print(f"{endpoint:<11} {label:<13} {first:>12.2f} {last:>12.2f} {size:>6.0f}")
    for endpoint in endpoints:
        one = statistics.median(run[0] for run in results[(endpoint, "1 sentence")])
        twenty = statistics.median(run[0] for run in results[(endpoint, "20 sentences")])
        print(f"{endpoint}: first byte, 20 sentences / 1 sentence = {twenty / one:.2f}")


if __name__ == "__main__":
    main()
