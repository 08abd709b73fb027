"""Forms of the voice pages. They only shape and check input; state changes go through voices.services."""

from __future__ import annotations

from django import forms

import limits
from voices.models import Voice
from voices.state import STATES

# Languages offered in the pages (the API accepts any short code; engines say which ones they speak).
LANGUAGES = [
    ("en", "English"),
    ("de", "German"),
    ("fr", "French"),
    ("es", "Spanish"),
    ("it", "Italian"),
    ("pt", "Portuguese"),
    ("nl", "Dutch"),
    ("pl", "Polish"),
    ("sv", "Swedish"),
    ("tr", "Turkish"),
    ("ru", "Russian"),
    ("ja", "Japanese"),
    ("zh", "Chinese"),
    ("ko", "Korean"),
    ("hi", "Hindi"),
    ("ar", "Arabic"),
]
LANGUAGE_NAMES = dict(LANGUAGES)


def _span(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:g} s"
    if seconds < 3600:
        return f"{seconds / 60:g} min"
    return f"{seconds / 3600:g} h"


# "Instant — 10 s to 5 min of speech", from the one table of tier limits.
TIER_LABELS = {
    tier: f"{tier.capitalize()} — {_span(limits.TIER_SPEECH_SECONDS[tier].low)} to "
    f"{_span(limits.TIER_SPEECH_SECONDS[tier].high)} of speech"
    for tier in limits.TIERS
}
VISIBILITY_LABELS = {"PRIVATE": "Private — only you", "PUBLIC": "Public — everyone (after review)"}


def language_choices(current: str = "") -> list[tuple[str, str]]:
    """The offered languages, plus ``current`` when a voice already has another one."""
    if current and current not in LANGUAGE_NAMES:
        return [*LANGUAGES, (current, current)]
    return LANGUAGES


class VoiceFilterForm(forms.Form):
    """The library's filters (GET). Every field is optional; invalid values are ignored."""

    TYPE_CHOICES = [("", "All voices"), ("mine", "My voices"), ("built-in", "Built-in"), ("shared", "Shared by others")]  # fmt: skip

    q = forms.CharField(required=False, max_length=limits.NAME_MAX_CHARS, label="Search by name")
    language = forms.ChoiceField(required=False, choices=[("", "All languages"), *LANGUAGES])
    type = forms.ChoiceField(required=False, choices=TYPE_CHOICES)
    state = forms.ChoiceField(required=False, label="State", choices=[("", "Any state"), *STATES.items()])


class VoiceNewForm(forms.Form):
    """The metadata part of the new-voice page. The page's script posts it with the samples to the
    clone endpoint (POST /v1/voices/clone), so this form renders the fields and the API validates."""

    name = forms.CharField(
        max_length=limits.NAME_MAX_CHARS, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    language = forms.ChoiceField(choices=LANGUAGES, initial="en")
    description = forms.CharField(
        required=False, max_length=limits.DESCRIPTION_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Who is speaking, the style, where it will be used.",
    )  # fmt: skip
    visibility = forms.ChoiceField(
        choices=list(VISIBILITY_LABELS.items()), initial="PRIVATE", widget=forms.RadioSelect
    )
    tier = forms.ChoiceField(choices=list(TIER_LABELS.items()), initial="instant")
    enhance_quality = forms.BooleanField(required=False, label="Enhance quality")
    remove_noise = forms.BooleanField(required=False, label="Remove background noise")
    normalize_volume = forms.BooleanField(required=False, initial=True, label="Normalize volume")


class VoiceEditForm(forms.Form):
    """Name, description, language and visibility of an existing voice (→ voices.services.voice.voice_update)."""

    name = forms.CharField(max_length=limits.NAME_MAX_CHARS)
    description = forms.CharField(
        required=False, max_length=limits.DESCRIPTION_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 3})
    )
    language = forms.ChoiceField(choices=LANGUAGES)
    visibility = forms.ChoiceField(choices=list(VISIBILITY_LABELS.items()), widget=forms.RadioSelect)

    def __init__(self, *args, voice: Voice, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {f: getattr(voice, f) for f in ("name", "description", "language", "visibility")},
        )
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = language_choices(voice.language)


SAMPLE_EMOTIONS = [(emotion, emotion.capitalize()) for emotion in limits.EMOTIONS]
