"""The voice pages: library, new voice, voice page (progress, analysis, consent, trust, edit, delete).

Plain function views. Reads go through voices.selectors, every state change through voices.services
(voice, consent, moderation); the new-voice page's script posts to the same
clone endpoint the API uses (POST /v1/voices/clone), and the consent step records through
/v1/voices/<id>/consent.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import limits
from errors import Forbidden, InvalidInput, NotFound, StudioError
from jobs.events import job_payload
from jobs.models import Job
from voices import selectors
from voices.forms import LANGUAGE_NAMES, TIER_LABELS, VoiceEditForm, VoiceFilterForm, VoiceNewForm
from voices.models import Voice, VoiceConsent, VoiceSample
from voices.services.clone import CLONE_JOB
from voices.services.consent import CONSENT_JOB, SYNTHETIC_CONSENT_ACTION, consent_revoke
from voices.services.moderation import voice_renew as voice_renew_service
from voices.services.voice import voice_delete as voice_delete_service
from voices.services.voice import voice_update
from voices.state import CLONE_STEP_LABELS, CONSENT_STEP_LABELS, plain_error

AUDIT_ROWS = 100  # the newest events on the page; the API (GET /v1/voices/<id>/events) has more


def _visible_voice(request: HttpRequest, voice_id: str) -> Voice:
    try:
        return selectors.voice_get(request.user, voice_id)
    except NotFound:
        raise Http404("No such voice.") from None


def _owned_voice(request: HttpRequest, voice_id: str) -> Voice:
    try:
        return selectors.voice_get_owned(request.user, voice_id)
    except NotFound:
        raise Http404("No such voice.") from None
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from None


@login_required
def voice_library(request: HttpRequest) -> HttpResponse:
    all_voices = selectors.voices_visible_to(request.user)
    form = VoiceFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    voices = (
        selectors.voices_filtered(
            request.user,
            owner=filters.get("type") or None,  # the page's "type" menu: mine / built-in / shared
            language=filters.get("language") or None,
            search=filters.get("q") or None,
        )
        .select_related("owner")
        .order_by(
            # Own voices first, then built-in, then shared; newest first within each.
            "-created_at"
        )
    )
    if filters.get("state"):  # the state a card shows, computed from the row: filtered here
        voices = [voice for voice in voices if voice.state.code == filters["state"]]
    voices = sorted(voices, key=lambda v: (v.owner_id != request.user.pk, not v.is_built_in))
    for voice in voices:
        _decorate(voice)
    return render(
        request,
        "voices/library.html",
        {
            "section": "voices",
            "form": form,
            "voices": voices,
            "filtered": any(filters.values()),
            "has_own_voices": all_voices.filter(owner=request.user).exists(),
            "language_names": LANGUAGE_NAMES,
        },
    )


@login_required
@never_cache  # Back during a clone must ask again: the answer then shows the clone's progress
def voice_new(request: HttpRequest) -> HttpResponse:
    """The new-voice page. ``?from=<voice id>`` reloads a failed voice's samples to fix them."""
    retry = None
    if request.GET.get("from"):
        retry = _owned_voice(request, request.GET["from"])
    initial = {}
    if retry is not None:
        initial = {
            "name": retry.name,
            "language": retry.language,
            "description": retry.description,
            "visibility": retry.visibility,
            "tier": retry.tier,
            **{key: bool(value) for key, value in retry.training_options.items()},
        }
    config = {
        "tiers": {tier: limits.TIER_SPEECH_SECONDS[tier].as_dict() for tier in limits.TIERS},
        "maxSamples": settings.STUDIO_MAX_SAMPLES,
        "maxUploadBytes": settings.STUDIO_MAX_UPLOAD_BYTES,
        "emotions": list(limits.EMOTIONS),
        # Limits the page checks before the upload; the clone endpoint enforces them.
        "minTrimSeconds": limits.TRIM_MIN_SECONDS,
        "maxTranscriptChars": limits.TEXT_MAX_CHARS,
        "cloneUrl": "/v1/voices/clone",
        "previewUrl": "/v1/voices/preview",
        "previewTextMaxChars": limits.PREVIEW_TEXT_MAX_CHARS,
        "retry": _retry_config(retry) if retry else None,
    }
    return render(
        request,
        "voices/new.html",
        {
            "section": "voices",
            "form": VoiceNewForm(initial=initial or None),
            "config": config,
            "retry": retry,
            "cloning": _cloning_now(request.user),
            "clone_step_labels": json.dumps(CLONE_STEP_LABELS),
        },
    )


def _cloning_now(user) -> list[dict]:
    """The user's voices being cloned, with their jobs: the new-voice page follows them live, so
    coming Back (or reloading) during a clone shows its progress, not just an empty form."""
    cloning = []
    in_progress = (Voice.Status.PENDING, Voice.Status.PROCESSING)
    for voice in selectors.voices_visible_to(user).filter(owner=user, status__in=in_progress):
        job = _clone_job(voice)
        if job is not None and job.status not in Job.FINAL:
            cloning.append({"voice": voice, "job": job, "payload": job_payload(job)})
    return cloning


def _retry_config(voice: Voice) -> dict:
    from django.urls import reverse

    return {
        "voiceId": voice.id,
        "deleteUrl": reverse("voice-detail", args=[voice.id]),
        "samples": [
            {
                "url": reverse("voice-sample-audio", args=[voice.id, sample.id]),
                "name": sample.original_name or f"sample-{index + 1}.{sample.format}",
                "emotion": sample.emotion,
                "transcript": sample.transcript,
                "trimStart": sample.trim_start,
                "trimEnd": sample.trim_end,
            }
            for index, sample in enumerate(voice.samples.all())
        ],
    }


def _decorate(voice: Voice) -> Voice:
    """Display values the templates show (templates stay free of arithmetic)."""
    score = voice.similarity_score
    voice.similarity_percent = None if score is None else round(score * 100)
    voice.language_label = LANGUAGE_NAMES.get(voice.language, voice.language)
    return voice


def _with_trim(sample: VoiceSample, number: int) -> VoiceSample:
    """Mark samples whose stored trim really cuts something (the page sends trims for all or none)."""
    start, end = sample.trim_start or 0.0, sample.trim_end
    sample.is_trimmed = start > 0.05 or (end is not None and end < sample.duration - 0.05)
    sample.player_label = f"sample {number}"
    return sample


def _clone_job(voice: Voice) -> Job | None:
    return selectors.voice_latest_job(voice, CLONE_JOB)


@login_required
@require_http_methods(["GET", "POST"])
def voice_page(request: HttpRequest, voice_id: str) -> HttpResponse:
    voice = _visible_voice(request, voice_id)
    is_owner = voice.owner_id == request.user.pk
    form = None
    if is_owner:
        form = VoiceEditForm(request.POST if request.method == "POST" else None, voice=voice)
    elif request.method == "POST":
        raise PermissionDenied("Only the owner of this voice can change it.")
    if request.method == "POST" and form is not None and form.is_valid():
        changes = {field: form.cleaned_data[field] for field in form.changed_data}
        try:
            voice_update(voice=voice, actor=request.user, **changes)
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Saved." if changes else "Nothing changed.")
            return redirect("voice-page", voice_id=voice.id)
        voice.refresh_from_db()
    return render(request, "voices/detail.html", _detail_context(request, voice, form, is_owner))


def _detail_context(request: HttpRequest, voice: Voice, form: VoiceEditForm | None, is_owner: bool) -> dict:
    from voices.cloning import CLONE_STEPS

    job = _clone_job(voice) if is_owner else None
    analysis = voice.analysis or {}
    similarity = voice.similarity_score
    return {
        "section": "voices",
        "voice": voice,
        "is_owner": is_owner,
        "form": form,
        "samples": [_with_trim(s, n) for n, s in enumerate(voice.samples.all(), 1)] if is_owner else [],
        "analysis": analysis,
        "similarity_percent": None if similarity is None else round(similarity * 100),
        "language_name": LANGUAGE_NAMES.get(voice.language, voice.language),
        "detected_language_name": LANGUAGE_NAMES.get(
            analysis.get("language_detected", ""), analysis.get("language_detected", "")
        ),
        "tier_label": TIER_LABELS.get(voice.tier, voice.tier),
        # An AVAILABLE voice whose job still makes its preview and score is followed to the end too.
        "in_progress": voice.status in (Voice.Status.PENDING, Voice.Status.PROCESSING)
        or (job is not None and job.status not in Job.FINAL),
        "finishing": voice.status == Voice.Status.AVAILABLE
        and job is not None
        and job.status not in Job.FINAL,
        "clone_steps": [(name, CLONE_STEP_LABELS.get(name, name)) for name, _ in CLONE_STEPS],
        "failure_text": plain_error(voice.error) or "The cloning stopped with an error.",
        "job": job,
        "job_payload": job_payload(job) if job else None,
        **_trust_context(voice, is_owner),
        **_consent_step_context(request, voice, is_owner),
    }


# --- Consent and trust -------------------------------------------------------------------------------

EVENT_ACTIONS = {
    "verification": "Consent",
    SYNTHETIC_CONSENT_ACTION: "Generated consent",
    "renewed": "Retention",
    "status": "Status",
}
VERIFICATION_BADGES = {"verified": "available", "pending": "pending", "failed": "failed", "revoked": "failed"}


def _state_label(state: str) -> str:
    return state.replace("_", " ").lower() if state.isupper() or "_" in state else state


def _engine_terms(voice: Voice) -> dict | None:
    from engines import get_engine

    try:
        engine = get_engine(voice.engine)
    except StudioError:  # an engine this installation no longer knows: say nothing rather than guess
        return None
    terms = engine.license
    return {
        "label": engine.label,
        "name": terms.name,
        "commercial_use": terms.commercial_use,
        "notes": terms.notes,
    }


def _evidence(consent: VoiceConsent) -> dict:
    """The last check's evidence as the trust panel shows it (percentages, pass/fail per measure)."""
    evidence = consent.evidence or {}
    wer, max_wer = evidence.get("wer"), evidence.get("wer_threshold")
    similarity, min_similarity = evidence.get("similarity"), evidence.get("similarity_threshold")
    return {
        "status": consent.status,
        "decision": evidence.get("decision") or consent.status,
        "reason": consent.reason or evidence.get("reason", ""),
        "checked_at": consent.checked_at,
        "speaker_name": consent.speaker_name,
        "license": consent.get_license_display(),
        "transcript": evidence.get("transcript", ""),
        "speech_seconds": evidence.get("speech_seconds"),
        "wer_percent": None if wer is None else round(wer * 100),
        "max_wer_percent": None if max_wer is None else round(max_wer * 100),
        # Checks before the words were scored stored no words_ok: the WER decided alone then.
        "wer_ok": evidence.get("words_ok", None not in (wer, max_wer) and wer <= max_wer),
        "words_scored": None not in (wer, max_wer) and wer > max_wer and bool(evidence.get("words_ok")),
        "similarity": similarity,
        "min_similarity": min_similarity,
        "similarity_ok": None not in (similarity, min_similarity) and similarity >= min_similarity,
        "digits_ok": evidence.get("digits_ok"),
        # The transcript missed the code and it was scored against the recording (issue 18).
        "code_scored": evidence.get("code_margin") is not None,
        "negations": evidence.get("negations") or [],
        "watermark_confidence": evidence.get("watermark_confidence"),  # absent from checks before issue 18
        "generated": bool(evidence.get("generated")),
        # Clips with no usable speech are refused before anything is measured: only the reason then.
        "measured": bool(evidence.get("transcript")) or similarity is not None,
    }


def _audit_rows(voice: Voice) -> list[dict]:
    return [
        {
            "at": event.created_at,
            "actor": event.actor.get_username() if event.actor else "",
            "action": EVENT_ACTIONS.get(event.action, event.action.capitalize()),
            "from": _state_label(event.from_state),
            "to": _state_label(event.to_state),
            "reason": event.reason,
        }
        for event in selectors.voice_events(voice.id)[:AUDIT_ROWS]
    ]


def _consent_job(voice: Voice) -> Job | None:
    return selectors.voice_latest_job(voice, CONSENT_JOB)


def _trust_context(voice: Voice, is_owner: bool) -> dict:
    """What the trust panel shows: consent, last check, licence and engine terms, moderation, retention,
    audit log. Owners see everything; other viewers see the status, the licence and the terms."""
    consents = list(voice.consents.all()[:20]) if is_owner and not voice.is_built_in else []
    checked = [c for c in consents if c.status != VoiceConsent.Status.AWAITING_RECORDING]
    job = _consent_job(voice) if checked and checked[0].status == VoiceConsent.Status.CHECKING else None
    return {
        "engine_terms": _engine_terms(voice),
        "verification_badge": VERIFICATION_BADGES.get(voice.verification, "pending"),
        "verified_consent": next((c for c in consents if c.status == VoiceConsent.Status.VERIFIED), None),
        "revoked_consent": next((c for c in consents if c.status == VoiceConsent.Status.REVOKED), None),
        "last_check": _evidence(checked[0]) if checked else None,
        # A check whose job crashed never gets evidence: the job's error says why.
        "consent_job_error": job.error if job and job.status == Job.Status.FAILED else "",
        "consent_checking": bool(job and job.status not in Job.FINAL),
        "audit": _audit_rows(voice) if is_owner else [],
        "show_trust_actions": is_owner and not voice.is_built_in,
        "retention_days": settings.STUDIO_RETENTION_DAYS,
    }


def _consent_step_context(request: HttpRequest, voice: Voice, is_owner: bool) -> dict:
    """The consent step: offered to the owner once the voice is AVAILABLE and until consent is verified."""
    shown = (
        is_owner
        and not voice.is_built_in
        and voice.status == Voice.Status.AVAILABLE
        and voice.verification != Voice.Verification.VERIFIED
    )
    if not shown:
        return {"consent_step": None}
    terms = _engine_terms(voice)
    commercial_allowed = bool(terms and terms["commercial_use"])
    # The speaker names themselves: the field starts empty (never the account's name, which a creator
    # would read out as shown). After an earlier request it holds the name that request gave: its
    # phrase if it is still unrecorded, else the same speaker trying again.
    latest = voice.consents.first()
    waiting = latest if latest and latest.status == VoiceConsent.Status.AWAITING_RECORDING else None
    speaker_name = latest.speaker_name if latest else ""
    license = waiting.license if waiting else voice.license
    if license == Voice.License.COMMERCIAL and not commercial_allowed:
        license = Voice.License.PERSONAL
    job = _consent_job(voice)
    active_job = job if job and job.status not in Job.FINAL else None
    return {
        "consent_step": {
            "speaker_name": speaker_name,
            "license": license,
            "commercial_allowed": commercial_allowed,
            "steps": list(CONSENT_STEP_LABELS.items()),
            "config": {
                "voiceId": voice.id,
                "consentUrl": reverse("voice-consent", args=[voice.id]),
                "trustUrl": reverse("voice-page-trust", args=[voice.id]),
                "speechUrl": f"{reverse('speech-page')}?voice={voice.id}",
                "maxUploadBytes": settings.STUDIO_MAX_UPLOAD_BYTES,
                "job": job_payload(active_job) if active_job else None,
            },
        }
    }


@login_required
@require_GET
def voice_trust(request: HttpRequest, voice_id: str) -> HttpResponse:
    """The trust panel alone: the consent step swaps it in when a check has finished."""
    voice = _visible_voice(request, voice_id)
    is_owner = voice.owner_id == request.user.pk
    context = {"voice": voice, "is_owner": is_owner, **_trust_context(voice, is_owner)}
    return render(request, "voices/_trust.html", context)


@login_required
@require_POST
def voice_renew(request: HttpRequest, voice_id: str) -> HttpResponse:
    voice = _owned_voice(request, voice_id)
    try:
        voice = voice_renew_service(voice=voice, actor=request.user)
    except StudioError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Renewed: “{voice.name}” is kept until {date_filter(voice.expires_at, 'j M Y')}."
        )
    return redirect(reverse("voice-page", args=[voice.id]) + "#trust")


@login_required
@require_POST
def voice_consent_revoke(request: HttpRequest, voice_id: str) -> HttpResponse:
    voice = _owned_voice(request, voice_id)
    try:
        consent_revoke(voice=voice, actor=request.user, reason=request.POST.get("reason", "").strip())
    except StudioError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Consent revoked: “{voice.name}” can no longer speak. Record the consent phrase again to use it.",
        )
    return redirect(reverse("voice-page", args=[voice.id]) + "#trust")


@login_required
@require_http_methods(["GET", "POST"])
def voice_delete(request: HttpRequest, voice_id: str) -> HttpResponse:
    """GET: a confirmation page (pages with scripts confirm in a dialog instead); POST: delete."""
    voice = _owned_voice(request, voice_id)
    if request.method == "POST":
        name = voice.name
        voice_delete_service(voice=voice, actor=request.user)
        messages.success(request, f"The voice “{name}” and all its files were deleted.")
        return redirect("voice-library")
    return render(request, "voices/delete.html", {"section": "voices", "voice": voice})
