"""The speech jobs, on the worker: synthesize with the voice's engine, render (watermark, encode), store.

Before every clip the voice is read again and checked (``voice_assert_usable``): a consent revoked or
a suspension decided while a batch runs stops it before its next clip.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engines import get_available_engine
from engines.base import Artifacts
from jobs.models import Job
from jobs.runner import JobProgress
from studio.output import render_output
from synthesis.models import Speech
from synthesis.selectors import speeches_of_job
from synthesis.services import SpeechParams, speech_store
from voices.selectors import voice_artifacts, voice_current
from voices.services.voice import voice_assert_usable

if TYPE_CHECKING:
    from voices.models import Voice


def _usable_voice(job: Job) -> Voice:
    """The voice as it is now, if it may still speak for the job's owner."""
    voice = voice_current(job.voice_id)
    voice_assert_usable(voice=voice, user=job.owner)
    return voice


def _render(job: Job, voice: Voice, artifacts: Artifacts, params: SpeechParams) -> Speech:
    engine = get_available_engine(voice.engine)
    audio = engine.synthesize(artifacts, params.text, params.options(voice))
    rendered = render_output(audio, fmt=params.output_format, sample_rate=params.sample_rate)
    # Checked again after the engine's seconds of work: a revocation meanwhile keeps the clip out.
    voice = _usable_voice(job)
    return speech_store(
        job=job,
        voice=voice,
        params=params,
        engine=engine.name,
        data=rendered.data,
        duration=rendered.duration,
        sample_rate=rendered.sample_rate,
    )


def speech_job_run(job: Job, progress: JobProgress) -> dict:
    voice = _usable_voice(job)
    params = SpeechParams(**job.params)
    progress.set_steps([("synthesize", 1)])
    progress.step("synthesize")
    speech = _render(job, voice, voice_artifacts(voice), params)
    return {"speech_id": speech.id, "duration": speech.duration}


def speech_batch_run(job: Job, progress: JobProgress) -> dict:
    items = [SpeechParams(**item) for item in job.params["items"]]
    voice = _usable_voice(job)
    artifacts = voice_artifacts(voice)
    progress.set_steps([("synthesize", 1)])
    done = set(speeches_of_job(job).values_list("filename", flat=True))  # a retried batch skips what it made
    for index, params in enumerate(items):
        progress.step("synthesize", index / len(items))
        if params.filename not in done:
            _render(job, _usable_voice(job), artifacts, params)
    return {"count": len(items), "speech_ids": list(speeches_of_job(job).values_list("id", flat=True))}
