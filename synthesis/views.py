"""The speech pages: generate (single or batch), the history, and deleting a generation.

The generate form posts here and gets the job back (as JSON when the page's script sends it), then the
script follows the job over ``ws/jobs/<id>/``. Batches go to the JSON API (POST /v1/speech/batch).
Every state change is a call to synthesis.services; reads go through the selectors.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

import limits
from errors import NotFound, StudioError
from jobs.events import job_payload
from synthesis import selectors, services
from voices.selectors import voice_get, voices_for_speech, voices_visible_to

HISTORY_PAGE_SIZE = 20
RECENT_ON_SPEECH_PAGE = 8
# The speech jobs' steps as the progress card says them.
SPEECH_STEP_LABELS = {"synthesize": "Speaking the text"}
# Service error fields → the form field the message belongs next to.
ERROR_FIELDS = {"voice_id": "voice", "output_format": "output_format", "sample_rate": "sample_rate"}


class VoiceChoiceField(forms.ChoiceField):
    """Offers the voices that can speak; a voice that cannot is refused with the reason its state gives."""

    user = None

    def validate(self, value: str) -> None:
        try:
            super().validate(value)
        except forms.ValidationError:
            voice = voices_visible_to(self.user).filter(pk=value).first() if value else None
            if voice is None:
                raise forms.ValidationError("Choose a voice from the list.", code="invalid_choice") from None
            raise forms.ValidationError(
                f"“{voice.name}” can’t speak right now: {voice.state.detail}", code="voice_cannot_speak"
            ) from None


class SpeechForm(forms.Form):
    voice = VoiceChoiceField()
    text = forms.CharField(max_length=limits.TEXT_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 6}))
    emotion = forms.ChoiceField(choices=[(e, e.capitalize()) for e in limits.EMOTIONS], initial="neutral")
    speed = forms.FloatField(min_value=limits.SPEED.low, max_value=limits.SPEED.high, initial=1.0)
    pitch = forms.FloatField(min_value=limits.PITCH.low, max_value=limits.PITCH.high, initial=0)
    stability = forms.FloatField(
        min_value=limits.STABILITY.low, max_value=limits.STABILITY.high, initial=limits.DEFAULT_STABILITY,
        required=False,
    )  # fmt: skip
    similarity_boost = forms.FloatField(
        label="Similarity",
        min_value=limits.SIMILARITY_BOOST.low,
        max_value=limits.SIMILARITY_BOOST.high,
        initial=limits.DEFAULT_SIMILARITY_BOOST,
        required=False,
    )
    output_format = forms.ChoiceField(
        label="Format",
        # Raw PCM has no header a browser's player could read: it is for API clients only.
        choices=[(f, f.upper()) for f in limits.OUTPUT_FORMATS if f != "pcm"],
        initial=limits.DEFAULT_OUTPUT_FORMAT,
    )
    sample_rate = forms.TypedChoiceField(
        coerce=int,
        choices=[(r, f"{r / 1000:g} kHz") for r in limits.OUTPUT_RATES],
        initial=limits.DEFAULT_OUTPUT_RATE,
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["voice"].choices, self.not_ready = voices_for_speech(user)
        self.fields["voice"].user = user

    def params(self) -> services.SpeechParams:
        data = self.cleaned_data
        return services.SpeechParams(
            text=data["text"], emotion=data["emotion"], speed=data["speed"], pitch=data["pitch"],
            stability=_or_initial(self, "stability"), similarity_boost=_or_initial(self, "similarity_boost"),
            output_format=data["output_format"], sample_rate=data["sample_rate"],
        )  # fmt: skip


# The sliders: what the page shows around each range. Their limits come from the form's fields.
RANGES = {
    "speed": {"label": "Speed", "step": 0.05, "low": "{min:g}× slower", "high": "{max:g}× faster"},
    "pitch": {"label": "Pitch", "step": 1, "low": "{min:g} semitones", "high": "+{max:g}"},
    "stability": {"label": "Stability", "step": 0.05, "low": "More varied", "high": "Steadier"},
    "similarity_boost": {
        "label": "Similarity", "step": 0.05, "low": "Clearer words", "high": "More like the voice",
        "help": "Lower it if words come out unclear. Cloned voices on the offline engine only.",
    },
}  # fmt: skip


def _ranges(form: SpeechForm) -> list[tuple[str, dict]]:
    ranges = []
    for name, shown in RANGES.items():
        field = form.fields[name]
        value = form[name].value()
        value = field.initial if value in (None, "") else value
        ranges.append(
            (
                name,
                {
                    **shown,
                    "low": shown["low"].format(min=field.min_value).replace("-", "−"),  # a real minus
                    "high": shown["high"].format(max=field.max_value),
                    "min": field.min_value,
                    "max": field.max_value,
                    "value": value,
                    "errors": form.errors.get(name, []),
                },
            )
        )
    return ranges


def _page_config(form: SpeechForm) -> dict:
    """What the page's script needs to know: the limits the form enforces and the job's step names."""
    return {
        "ranges": {name: {"min": r["min"], "max": r["max"], "step": r["step"]} for name, r in _ranges(form)},
        "maxChars": limits.TEXT_MAX_CHARS,
        "maxBatch": limits.BATCH_MAX_TEXTS,
        "stepLabels": SPEECH_STEP_LABELS,
    }


def _or_initial(form: forms.Form, name: str) -> float:
    value = form.cleaned_data[name]
    return form.fields[name].initial if value is None else value


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _recent(user, *, voice_id: str = "", limit: int | None = None):
    speeches = selectors.speeches_of(user, voice_id=voice_id or None).order_by("-created_at")
    return speeches[:limit] if limit else speeches


@login_required
@require_http_methods(["GET", "POST"])
def speech_page(request: HttpRequest) -> HttpResponse:
    form = SpeechForm(request.POST if request.method == "POST" else None, user=request.user)
    choices = form.fields["voice"].choices
    offered = {voice_id for _, group in choices for voice_id, _ in group}
    # ?voice=<id> (from a voice page) preselects it; else the first voice that can speak. A voice that
    # cannot speak is not offered: the page says why instead.
    wanted = request.GET.get("voice", "")
    chosen_not_ready = next((v for v in form.not_ready if v.id == wanted), None)
    form.initial["voice"] = wanted if wanted in offered else (choices[0][1][0][0] if choices else "")
    if request.method == "POST":
        job = _generate(request, form)
        if job is not None:
            if _wants_json(request):
                return JsonResponse({"job": job_payload(job)}, status=HTTPStatus.ACCEPTED)
            messages.success(request, "Generating… it appears in the history when it is ready.")
            return redirect("history")
        if _wants_json(request):
            return JsonResponse({"errors": form.errors.get_json_data()}, status=HTTPStatus.BAD_REQUEST)
    return render(
        request,
        "synthesis/speech.html",
        {
            "section": "speech",
            "form": form,
            "speeches": _recent(request.user, limit=RECENT_ON_SPEECH_PAGE),
            "not_ready": form.not_ready,
            "chosen_not_ready": chosen_not_ready,
            "ranges": _ranges(form),
            "config": _page_config(form),
            "max_chars": limits.TEXT_MAX_CHARS,
            "max_batch": limits.BATCH_MAX_TEXTS,
            "step_labels_json": json.dumps(SPEECH_STEP_LABELS),
        },
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


def _generate(request: HttpRequest, form: SpeechForm):
    if not form.is_valid():
        return None
    voice = None
    try:
        voice = voice_get(request.user, form.cleaned_data["voice"])
        return services.speech_request(owner=request.user, voice=voice, params=form.params())
    except StudioError as exc:
        if voice is not None and exc.field == "voice_id" and not voice.state.can_speak:
            # Its state changed since the page was shown (consent revoked, suspended...): say it plainly.
            form.add_error("voice", f"“{voice.name}” can’t speak right now: {voice.state.detail}")
            return None
        field = ERROR_FIELDS.get(exc.field or "", exc.field)
        form.add_error(field if field in form.fields else None, exc.message)
        return None


@login_required
def history(request: HttpRequest) -> HttpResponse:
    voice_id = request.GET.get("voice", "")
    speeches = _recent(request.user, voice_id=voice_id)
    page = Paginator(speeches, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"section": "history", "page": page, "speeches": page.object_list, "voice_id": voice_id}
    if request.GET.get("partial"):
        # The speech page refreshes its list of recent generations with this fragment.
        context["speeches"] = _recent(request.user, limit=RECENT_ON_SPEECH_PAGE)
        context["next"] = reverse("speech-page")
        return render(request, "synthesis/_speech_list.html", context)
    used = selectors.speeches_of(request.user).exclude(voice=None).values_list("voice_id", flat=True)
    context["voices"] = voices_visible_to(request.user).filter(pk__in=used).order_by("name")
    context["next"] = request.get_full_path()
    return render(request, "synthesis/history.html", context)


@login_required
@require_POST
def speech_delete(request: HttpRequest, speech_id: str) -> HttpResponse:
    try:
        speech = selectors.speech_get(request.user, speech_id)
    except NotFound:
        raise Http404("No such generation.") from None
    services.speech_delete(speech=speech)
    messages.success(request, "The generation was deleted.")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = reverse("history")
    return redirect(next_url)
