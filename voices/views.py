"""The voice pages: library, new voice, voice page (progress, analysis, edit, delete).

Plain function views. Reads go through voices.selectors, every state change through voices.services;
the new-voice page's script posts to the same clone endpoint the API uses (POST /v1/voices/clone).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from studio.errors import Forbidden, InvalidInput, NotFound
from synthesis.engines.base import EMOTIONS
from synthesis.jobs import job_payload
from synthesis.models import Job
from voices import selectors, services
from voices.forms import LANGUAGE_NAMES, TIER_LABELS, VoiceEditForm, VoiceFilterForm, VoiceNewForm
from voices.ingest import TIER_SPEECH_LIMITS
from voices.models import Voice, VoiceSample


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


def _filtered(voices: QuerySet[Voice], user, filters: dict) -> QuerySet[Voice]:
    if filters.get("q"):
        voices = voices.filter(name__icontains=filters["q"])
    if filters.get("language"):
        voices = voices.filter(language__iexact=filters["language"])
    if filters.get("status"):
        voices = voices.filter(status=filters["status"])
    kind = filters.get("type")
    if kind == "mine":
        voices = voices.filter(owner=user)
    elif kind == "built-in":
        voices = voices.filter(type=Voice.Type.BUILT_IN)
    elif kind == "shared":
        voices = voices.filter(~Q(owner=user), type=Voice.Type.CLONED)
    return voices


@login_required
def voice_library(request: HttpRequest) -> HttpResponse:
    all_voices = selectors.voices_visible_to(request.user)
    form = VoiceFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    voices = (
        _filtered(all_voices, request.user, filters)
        .select_related("owner")
        .order_by(
            # Own voices first, then built-in, then shared; newest first within each.
            "-created_at"
        )
    )
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
        "tiers": {tier: {"min": low, "max": high} for tier, (low, high) in TIER_SPEECH_LIMITS.items()},
        "maxSamples": settings.STUDIO_MAX_SAMPLES,
        "maxUploadBytes": settings.STUDIO_MAX_UPLOAD_BYTES,
        "emotions": list(EMOTIONS),
        "cloneUrl": "/v1/voices/clone",
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
        },
    )


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


def _with_trim(sample: VoiceSample) -> VoiceSample:
    """Mark samples whose stored trim really cuts something (the page sends trims for all or none)."""
    start, end = sample.trim_start or 0.0, sample.trim_end
    sample.is_trimmed = start > 0.05 or (end is not None and end < sample.duration - 0.05)
    return sample


def _clone_job(voice: Voice) -> Job | None:
    return voice.jobs.filter(kind=Job.Kind.CLONE).order_by("-created_at").first()


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
            services.voice_update(voice=voice, actor=request.user, **changes)
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
        "samples": [_with_trim(sample) for sample in voice.samples.all()] if is_owner else [],
        "analysis": analysis,
        "similarity_percent": None if similarity is None else round(similarity * 100),
        "language_name": LANGUAGE_NAMES.get(voice.language, voice.language),
        "detected_language_name": LANGUAGE_NAMES.get(
            analysis.get("language_detected", ""), analysis.get("language_detected", "")
        ),
        "tier_label": TIER_LABELS.get(voice.tier, voice.tier),
        "in_progress": voice.status in (Voice.Status.PENDING, Voice.Status.PROCESSING),
        "clone_steps": [name for name, _ in CLONE_STEPS],
        "job": job,
        "job_payload": job_payload(job) if job else None,
    }


@login_required
@require_http_methods(["GET", "POST"])
def voice_delete(request: HttpRequest, voice_id: str) -> HttpResponse:
    """GET: a confirmation page (pages with scripts confirm in a dialog instead); POST: delete."""
    voice = _owned_voice(request, voice_id)
    if request.method == "POST":
        name = voice.name
        services.voice_delete(voice=voice, actor=request.user)
        messages.success(request, f"The voice “{name}” and all its files were deleted.")
        return redirect("voice-library")
    return render(request, "voices/delete.html", {"section": "voices", "voice": voice})
