"""The consent job, on the worker: hear the recording, compare the voice, record the verdict.

The checks themselves are ``audio.consent`` (Django-free); the verdict is recorded by
``voices.services.consent.consent_record_result``.
"""

from __future__ import annotations

import numpy as np
from django.conf import settings

from audio.consent import MAX_REFERENCE_SECONDS, verify_consent
from errors import NotFound
from jobs.models import Job
from jobs.runner import JobProgress
from voices.models import Voice, VoiceConsent
from voices.services.consent import CHECK_RATE, consent_record_result


def consent_verify_run(job: Job, progress: JobProgress) -> dict:
    from audio.codec import decode

    progress.set_steps([("transcribe", 2), ("compare voices", 1)])
    consent = VoiceConsent.objects.select_related("voice").filter(pk=job.params["consent_id"]).first()
    if consent is None:
        raise NotFound("The voice or its consent recording was deleted before it could be checked.")
    progress.step("transcribe")
    with consent.file.open("rb") as handle:
        clip = decode(handle.read(), target_rate=CHECK_RATE).samples
    references = _sample_audio(consent.voice)
    progress.step("compare voices")
    evidence = verify_consent(
        clip,
        CHECK_RATE,
        phrase=consent.phrase,
        code=consent.code,
        references=references,
        language="en",
        max_wer=settings.STUDIO_CONSENT_MAX_WER,
        min_similarity=settings.STUDIO_CONSENT_MIN_SIMILARITY,
    )
    recorded = consent_record_result(
        consent_id=consent.id, evidence=evidence.as_dict(), verified=evidence.verified, reason=evidence.reason
    )
    return {
        "consent_id": consent.id,
        "decision": evidence.decision if recorded else "ignored",
        "reason": evidence.reason if recorded else "The consent was revoked while it was being checked.",
    }


def _sample_audio(voice: Voice) -> list[tuple[np.ndarray, int]]:
    """The voice's samples, decoded, up to the MAX_REFERENCE_SECONDS that ``verify_consent`` compares:
    a professional voice's hours of samples are not read for a check that uses one minute."""
    from audio.codec import decode

    references, seconds = [], 0.0
    for sample in voice.samples.all():
        if seconds >= MAX_REFERENCE_SECONDS:
            break
        with sample.file.open("rb") as handle:
            audio = decode(handle.read(), target_rate=CHECK_RATE).samples
        references.append((audio, CHECK_RATE))
        seconds += audio.size / CHECK_RATE
    return references
