"""The one way audio leaves the studio: resampled, watermarked, encoded.

Previews, speech, batch files and streams all pass through ``render_output``, so no output can skip
the watermark.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.conf import settings

from engines.base import Audio
from errors import InvalidInput

OUTPUT_FORMATS = ("mp3", "wav", "flac", "ogg")
OUTPUT_RATES = (22050, 44100, 48000)


@dataclass
class RenderedAudio:
    data: bytes
    format: str
    sample_rate: int
    duration: float
    samples: np.ndarray  # the watermarked PCM at ``sample_rate`` (for measurements, e.g. similarity)


def watermark_enabled() -> bool:
    """False only when STUDIO_WATERMARK is explicitly off (development); anything else keeps it on."""
    return str(settings.STUDIO_WATERMARK).strip().lower() not in {"off", "0", "false", "no", "disabled"}


def render_output(audio: Audio, *, fmt: str, sample_rate: int) -> RenderedAudio:
    from audio import watermark
    from audio.codec import encode, resample

    if fmt not in OUTPUT_FORMATS:
        raise InvalidInput(
            f"output_format must be one of {', '.join(OUTPUT_FORMATS)}.", field="output_format"
        )
    if sample_rate not in OUTPUT_RATES:
        raise InvalidInput(
            f"sample_rate must be one of {', '.join(map(str, OUTPUT_RATES))}.", field="sample_rate"
        )
    samples = resample(np.asarray(audio.samples, dtype=np.float32), audio.sample_rate, sample_rate)
    samples = watermark.embed(samples, sample_rate, enabled=watermark_enabled())
    data = encode(samples, sample_rate, fmt=fmt)
    return RenderedAudio(data, fmt, sample_rate, len(samples) / sample_rate, samples)
