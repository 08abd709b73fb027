"""Consent: the speaker says a server-made phrase; the worker checks the words and the voice.

``consent_request`` makes the phrase (with a fresh one-time code), ``consent_submit`` stores the
recording and enqueues the check, ``consent_verify_run`` (the job) decides with the evidence, and
``consent_revoke`` stops the voice at once. The pure checks live in ``audio.consent``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from audio.consent import consent_phrase, new_consent_code, verify_consent
from errors import Conflict, InvalidInput
from synthesis.jobs import JobProgress, job_create
from synthesis.models import Job
from voices.audit import voice_event_record
from voices.models import Voice, VoiceConsent

CHECK_RATE = 16000


def _default_speaker_name(voice: Voice) -> str:
    owner = voice.owner
    full_name = owner.get_full_name().strip() if owner else ""
    return full_name or (owner.get_username() if owner else voice.name)


@transaction.atomic
def consent_request(
    *, voice: Voice, speaker_name: str | None = None, license: str | None = None
) -> VoiceConsent:
    """The phrase the speaker must say. An unrecorded request is reused unless the name or licence changes."""
    if voice.is_built_in:
        raise Conflict("Built-in voices need no consent.")
    name = (speaker_name or "").strip() or _default_speaker_name(voice)
    if not 1 <= len(name) <= 100:
        raise InvalidInput("speaker_name must be 1 to 100 characters long.", field="speaker_name")
    license = license or Voice.License.PERSONAL
    if license not in Voice.License.values:
        raise InvalidInput("license must be personal or commercial.", field="license")
    waiting = voice.consents.filter(status=VoiceConsent.Status.AWAITING_RECORDING).first()
    if waiting and waiting.speaker_name == name and waiting.license == license:
        return waiting
    voice.consents.filter(status=VoiceConsent.Status.AWAITING_RECORDING).delete()
    code = new_consent_code()
    return VoiceConsent.objects.create(
        voice=voice,
        speaker_name=name,
        code=code,
        phrase=consent_phrase(name, code, studio_name=settings.SITE_NAME),
        license=license,
    )


@transaction.atomic
def consent_submit(
    *, voice: Voice, consent: VoiceConsent, data: bytes, content_type: str | None, owner: Any
) -> Job:
    """Store the recording of ``consent``'s phrase and enqueue its verification."""
    from audio.codec import decode

    if consent.status != VoiceConsent.Status.AWAITING_RECORDING:
        raise Conflict("This consent phrase was used already; ask for a new one.", field="consent_id")
    if voice.status != Voice.Status.AVAILABLE:
        raise Conflict("Record the consent once the voice has finished cloning.", field="voice_id")
    decoded = decode(data, content_type=content_type, target_rate=CHECK_RATE, max_seconds=120)
    consent.file.save(f"consent.{decoded.format}", ContentFile(data), save=False)
    consent.status = VoiceConsent.Status.CHECKING
    consent.save()
    _set_verification(voice, Voice.Verification.PENDING, actor=owner, reason="consent recording submitted")
    return job_create(kind=Job.Kind.CONSENT, owner=owner, voice=voice, params={"consent_id": consent.id})


def consent_verify_run(job: Job, progress: JobProgress) -> dict:
    from audio.codec import decode

    progress.set_steps([("transcribe", 2), ("compare voices", 1)])
    consent = VoiceConsent.objects.select_related("voice").get(pk=job.params["consent_id"])
    voice = consent.voice
    progress.step("transcribe")
    with consent.file.open("rb") as handle:
        clip = decode(handle.read(), target_rate=CHECK_RATE).samples
    references = _sample_embeddings(voice)
    progress.step("compare voices")
    evidence = verify_consent(
        clip,
        CHECK_RATE,
        phrase=consent.phrase,
        code=consent.code,
        reference_embeddings=references,
        language="en",
        max_wer=settings.STUDIO_CONSENT_MAX_WER,
        min_similarity=settings.STUDIO_CONSENT_MIN_SIMILARITY,
    )
    consent_record_result(
        consent=consent, evidence=evidence.as_dict(), verified=evidence.verified, reason=evidence.reason
    )
    return {
        "consent_id": consent.id,
        "decision": evidence.as_dict().get("decision"),
        "reason": evidence.reason,
    }


def _sample_embeddings(voice: Voice) -> list[np.ndarray]:
    from audio.codec import decode
    from audio.embedding import speaker_embedding

    embeddings = []
    for sample in voice.samples.all():
        with sample.file.open("rb") as handle:
            audio = decode(handle.read(), target_rate=CHECK_RATE).samples
        embeddings.append(speaker_embedding(audio, CHECK_RATE))
    return embeddings


@transaction.atomic
def consent_record_result(
    *, consent: VoiceConsent, evidence: dict, verified: bool, reason: str
) -> VoiceConsent:
    consent.status = VoiceConsent.Status.VERIFIED if verified else VoiceConsent.Status.FAILED
    consent.evidence = evidence
    consent.reason = reason
    consent.checked_at = timezone.now()
    consent.save()
    voice = Voice.objects.select_for_update().get(pk=consent.voice_id)
    if verified:
        voice.license = consent.license
        voice.save(update_fields=["license", "updated_at"])
    _set_verification(
        voice,
        Voice.Verification.VERIFIED if verified else Voice.Verification.FAILED,
        reason=reason or f"consent verified ({consent.license} licence)",
    )
    return consent


@transaction.atomic
def consent_revoke(*, voice: Voice, actor: Any, reason: str = "") -> Voice:
    now = timezone.now()
    voice.consents.filter(status=VoiceConsent.Status.VERIFIED).update(
        status=VoiceConsent.Status.REVOKED, revoked_at=now
    )
    _set_verification(
        voice, Voice.Verification.REVOKED, actor=actor, reason=reason or "consent revoked by the owner"
    )
    return voice


def _set_verification(voice: Voice, state: str, *, actor: Any = None, reason: str = "") -> None:
    if voice.verification == state:
        return
    voice_event_record(
        voice=voice,
        action="verification",
        actor=actor,
        from_state=voice.verification,
        to_state=state,
        reason=reason,
    )
    voice.verification = state
    voice.save(update_fields=["verification", "updated_at"])
