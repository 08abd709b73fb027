"""Post-processing shared by engines that have no control for it themselves (XTTS, OpenVoice).

Pitch is shifted with WORLD (``pyworld``, already a web-tier dependency of the offline engine):
analyse F0, spectral envelope and aperiodicity, scale F0, resynthesise with the same envelope. The
envelope is what carries the formants, so a voice shifted by a few semitones still sounds like the
same person rather than a sped-up tape, and the frame grid is kept, so the duration does not change.
No torch here: this runs anywhere the studio runs.
"""

from __future__ import annotations

import numpy as np

FRAME_PERIOD_MS = 5.0
# F0 search range wide enough for speech shifted either way (bass voices to children's voices).
F0_FLOOR_HZ = 50.0
F0_CEIL_HZ = 1100.0


def shift_pitch(samples: np.ndarray, sample_rate: int, semitones: float) -> np.ndarray:
    """``samples`` with F0 scaled by 2**(semitones/12); same length, float32."""
    samples = np.asarray(samples, dtype=np.float32)
    if abs(semitones) < 0.01 or samples.size == 0:
        return samples
    import pyworld

    x = samples.astype(np.float64)
    f0, times = pyworld.dio(
        x, sample_rate, f0_floor=F0_FLOOR_HZ, f0_ceil=F0_CEIL_HZ, frame_period=FRAME_PERIOD_MS
    )
    # dio is ~10x faster than harvest; stonemask refines it to within cents
    # (docs/decisions.md, "WORLD pitch analysis: dio + stonemask").
    f0 = pyworld.stonemask(x, f0, times, sample_rate)
    envelope = pyworld.cheaptrick(x, f0, times, sample_rate)
    aperiodicity = pyworld.d4c(x, f0, times, sample_rate)
    shifted = pyworld.synthesize(
        f0 * 2.0 ** (semitones / 12.0), envelope, aperiodicity, sample_rate, FRAME_PERIOD_MS
    )
    return _fit_length(shifted, samples.size).astype(np.float32)


def _fit_length(samples: np.ndarray, length: int) -> np.ndarray:
    # WORLD rounds to whole frames: trim or pad the last few samples back to the input length.
    if samples.size >= length:
        return samples[:length]
    return np.pad(samples, (0, length - samples.size))
