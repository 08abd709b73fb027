"""The demo job: renders a test tone chunk by chunk and measures it, reporting real progress.

It proves the job plumbing (queues, progress over the websocket, final events) without any engine,
and is what the progress-latency benchmark runs.
"""

from __future__ import annotations

import time

import numpy as np

from jobs.models import Job
from jobs.runner import JobProgress

DEMO_JOB = "demo"
DEMO_RATE = 16000


def demo_worker_seconds(params: dict) -> float:
    """Its waiting (chunks x pace) plus rendering a tone (jobs.fairness)."""
    return float(params.get("chunks", 4)) * float(params.get("pace", 0.0)) + 0.01 * float(
        params.get("seconds", 2.0)
    )


def demo_run(job: Job, progress: JobProgress) -> dict:
    seconds = float(job.params.get("seconds", 2.0))
    chunks = int(job.params.get("chunks", 4))
    pace = float(job.params.get("pace", 0.0))  # optional wait per chunk, so a human can watch it
    progress.set_steps([("render", 3), ("measure", 1)])
    rendered = []
    for index in range(chunks):
        progress.step("render", index / chunks)
        start = index * seconds / chunks
        t = start + np.arange(int(DEMO_RATE * seconds / chunks)) / DEMO_RATE
        rendered.append(0.2 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 330 * t))
        if pace:
            time.sleep(pace)
    progress.step("measure", 0.0)
    audio = np.concatenate(rendered).astype(np.float32)
    spectrum = np.abs(np.fft.rfft(audio))
    peak_hz = float(np.argmax(spectrum) * DEMO_RATE / len(audio))
    return {"duration": len(audio) / DEMO_RATE, "rms": float(np.sqrt(np.mean(audio**2))), "peak_hz": peak_hz}
