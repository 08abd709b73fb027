"""The admin's audio players: the studio's own player (templates/includes/player.html) on admin pages.

``WaveformAudioWidget`` is a file input that shows the current audio above it, for any FileField
holding audio: samples, previews, consent clips, generated speech. ``audio_player`` renders the player
alone (read-only columns and lists). Files load through the staff-only media view (``staff-media``),
since media is never served publicly.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

# What an admin page loads for a player: the studio's player styles, the admin's colours for it,
# and the script that mounts every player on the page.
PLAYER_MEDIA = forms.Media(
    css={"all": ["studio/player.css", "studio/waveform-widget.css"]},
    js=[forms.Script("studio/js/waveform-widget.js", type="module")],
)


def staff_audio_url(file: Any) -> str | None:
    name = getattr(file, "name", None)
    return reverse("staff-media", args=[name]) if name else None


def audio_player(
    url: str, *, label: str, height: int | None = None, load: str = "view", download: bool = True
) -> SafeString:
    """The studio's player for ``url``. ``load="click"`` fetches the audio only when played (lists)."""
    return SafeString(
        render_to_string(
            "includes/player.html",
            {"src": url, "label": label, "height": height, "small": True, "load": load, "download": download},
        )
    )


class WaveformAudioWidget(forms.ClearableFileInput):
    def __init__(self, attrs: dict[str, Any] | None = None, *, height: int = 56) -> None:
        super().__init__(attrs)
        self.height = height

    @property
    def media(self) -> forms.Media:
        return PLAYER_MEDIA

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer=None) -> str:
        file_input = super().render(name, value, attrs, renderer)
        url = staff_audio_url(value) if self.is_initial(value) else None
        if url is None:
            return file_input
        label = str(value.name).rsplit("/", 1)[-1]
        return format_html(
            '<div class="waveform-widget">{player}<div class="waveform-widget__input">{file_input}</div></div>',
            player=audio_player(url, label=label, height=self.height),
            file_input=file_input,
        )
