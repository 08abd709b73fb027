"""A file input that shows the current audio with a waveform player (wavesurfer.js).

For any FileField holding audio: samples, previews, consent clips, generated speech. The file is loaded
through the staff-only media view (``staff-media``), since media is never served publicly; the normal
file input (upload / clear) stays below the player.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.html import format_html


class WaveformAudioWidget(forms.ClearableFileInput):
    def __init__(self, attrs: dict[str, Any] | None = None, *, height: int = 56) -> None:
        super().__init__(attrs)
        self.height = height

    class Media:
        css = {"all": ["studio/waveform-widget.css"]}
        js = [forms.Script("studio/js/waveform-widget.js", type="module")]

    def audio_url(self, value: Any) -> str | None:
        name = getattr(value, "name", None)
        return reverse("staff-media", args=[name]) if name else None

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer=None) -> str:
        file_input = super().render(name, value, attrs, renderer)
        url = self.audio_url(value) if self.is_initial(value) else None
        if url is None:
            return file_input
        label = str(value.name).rsplit("/", 1)[-1]
        return format_html(
            '<div class="waveform-widget" data-src="{url}" data-height="{height}" data-label="{label}">'
            '<div class="waveform-widget__player">'
            '<button type="button" class="waveform-widget__play" data-play aria-label="Play {label}">▶</button>'
            '<div class="waveform-widget__wave" data-wave><span class="waveform-widget__status">Loading waveform…</span></div>'
            '<span class="waveform-widget__time" data-time>0:00</span>'
            '<a class="waveform-widget__download" href="{url}" download>Download</a>'
            "</div>"
            '<div class="waveform-widget__input">{file_input}</div>'
            "</div>",
            url=url,
            height=self.height,
            label=label,
            file_input=file_input,
        )
