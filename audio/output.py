"""The one way audio leaves the studio: resampled, watermarked, encoded.

Previews, speech, batch files and streams all pass through ``render_output``, so no output can skip
the watermark. Whether to watermark is the caller's policy (the studio's ``STUDIO_WATERMARK``, read by
``studio.output``); ``watermark=False`` is for development only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import limits


@dataclass
class RenderedAudio:
    data: bytes
    format: str
    sample_rate: int
    duration: float
    samples: np.ndarray  # the watermarked PCM at ``sample_rate`` (for measurements, e.g. similarity)


def render_output(
    samples: np.ndarray, rate: int, *, fmt: str, sample_rate: int, watermark: bool = True
) -> RenderedAudio:
    """``samples`` (mono float, at ``rate``) as a ``fmt`` file at ``sample_rate``, watermarked."""
    from audio import watermark as marker
    from audio.codec import encode, resample

    limits.choice(fmt, limits.OUTPUT_FORMATS, field="output_format")
    limits.choice(sample_rate, limits.OUTPUT_RATES, field="sample_rate")
    samples = resample(np.asarray(samples, dtype=np.float32), rate, sample_rate)
    samples = marker.embed(samples, sample_rate, enabled=watermark)
    data = encode(samples, sample_rate, fmt=fmt)
    return RenderedAudio(data, fmt, sample_rate, len(samples) / sample_rate, samples)
