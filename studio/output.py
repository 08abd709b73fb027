"""Rendering output with the studio's watermark policy (the one place that reads STUDIO_WATERMARK)."""

from __future__ import annotations

from django.conf import settings

from audio.output import OutputStream, RenderedAudio
from audio.output import render_output as _render_output
from engines.base import Audio

_OFF = {"off", "0", "false", "no", "disabled"}


def watermark_enabled() -> bool:
    """False only when STUDIO_WATERMARK is explicitly off (development); anything else keeps it on."""
    return str(settings.STUDIO_WATERMARK).strip().lower() not in _OFF


def render_output(audio: Audio, *, fmt: str, sample_rate: int) -> RenderedAudio:
    return _render_output(
        audio.samples, audio.sample_rate, fmt=fmt, sample_rate=sample_rate, watermark=watermark_enabled()
    )


def output_stream(*, fmt: str, sample_rate: int) -> OutputStream:
    return OutputStream(fmt=fmt, sample_rate=sample_rate, watermark=watermark_enabled())
