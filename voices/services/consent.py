"""Consent: the speaker says a server-made phrase; the worker checks the words and the voice.

``consent_request`` makes the phrase (with a fresh one-time code), ``consent_submit`` stores the
recording and enqueues the check, the worker (``voices.verification``) decides and calls
``consent_record_result``, and ``consent_revoke`` stops the voice at once. The pure checks live in
``audio.consent``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

import limits
from audio.consent import consent_phrase, new_consent_code
from errors import Conflict, InvalidInput
from jobs.models import Job
from jobs.services import job_create
from voices.models import Voice, VoiceConsent
from voices.services.audit import voice_event_record

CONSENT_JOB = "consent"
CHECK_RATE = 16000  # the consent clip is checked at the speech models' rate
SYNTHETIC_CONSENT_ACTION = "synthetic_consent"  # the audit action of a consent refused as generated speech


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
    if not 1 <= len(name) <= limits.SPEAKER_NAME_MAX_CHARS:
        raise InvalidInput(
            f"speaker_name must be 1 to {limits.SPEAKER_NAME_MAX_CHARS} characters long.",
            field="speaker_name",
        )
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
    decoded = decode(
        data, content_type=content_type, target_rate=CHECK_RATE, max_seconds=limits.CONSENT_MAX_SECONDS
    )
    consent.file.save(f"consent.{decoded.format}", ContentFile(data), save=False)
    consent.status = VoiceConsent.Status.CHECKING
    consent.save(update_fields=["file", "status"])
    _set_verification(voice.id, Voice.Verification.PENDING, actor=owner, reason="consent recording submitted")
    return job_create(kind=CONSENT_JOB, owner=owner, voice_id=voice.id, params={"consent_id": consent.id})


def consent_check_abandoned(job: Any) -> None:
    """The consent check failed without its handler (the worker kept dying): the consent fails with
    the job's message, so the speaker can record it again. A hook of the consent job kind."""
    consent_record_result(
        consent_id=job.params.get("consent_id", ""), evidence={}, verified=False, reason=job.error
    )


@transaction.atomic
def consent_record_result(
    *, consent_id: str, evidence: dict, verified: bool, reason: str
) -> VoiceConsent | None:
    """The worker's verdict. Nothing happens when the check no longer matters: the consent was revoked
    (or replaced) while it was checked, or the voice was deleted."""
    consent = VoiceConsent.objects.select_for_update().filter(pk=consent_id).first()
    if consent is None or consent.status != VoiceConsent.Status.CHECKING:
        return None
    consent.status = VoiceConsent.Status.VERIFIED if verified else VoiceConsent.Status.FAILED
    consent.evidence = evidence
    consent.reason = reason
    consent.checked_at = timezone.now()
    consent.save(update_fields=["status", "evidence", "reason", "checked_at"])
    if verified:
        Voice.objects.filter(pk=consent.voice_id).update(license=consent.license, updated_at=timezone.now())
    if evidence.get("generated"):
        # Its own audit entry (besides the verification change): passing generated speech off as a
        # speaker's consent is an abuse signal a moderator should be able to find.
        voice_event_record(
            voice=consent.voice,
            action=SYNTHETIC_CONSENT_ACTION,
            to_state=VoiceConsent.Status.FAILED,
            reason=(
                f"Consent recording {consent.id} is generated speech: watermark confidence "
                f"{evidence['watermark_confidence']:.2f} (threshold {evidence['watermark_threshold']:.2f})."
            ),
        )
    _set_verification(
        consent.voice_id,
        Voice.Verification.VERIFIED if verified else Voice.Verification.FAILED,
        reason=reason or f"consent verified ({consent.license} licence)",
    )
    return consent


@transaction.atomic
def consent_revoke(*, voice: Voice, actor: Any, reason: str = "") -> Voice:
    """Stop the voice at once. A recording still being checked is revoked too: its verdict is ignored."""
    now = timezone.now()
    voice.consents.filter(status__in=[VoiceConsent.Status.VERIFIED, VoiceConsent.Status.CHECKING]).update(
        status=VoiceConsent.Status.REVOKED, revoked_at=now
    )
    return _set_verification(
        voice.id, Voice.Verification.REVOKED, actor=actor, reason=reason or "consent revoked by the owner"
    )


def _set_verification(voice_id: str, state: str, *, actor: Any = None, reason: str = "") -> Voice:
    voice = Voice.objects.select_for_update().get(pk=voice_id)
    if voice.verification == state:
        return voice
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
    return voice
