"""Reference clips and the base voice's renditions, analysed once, with the statistics prepare needs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import world

# prepare only needs statistics and alignments: 10 ms frames halve WORLD's time and the DTW's 4x.
# (CheapTrick's envelope at a frame does not depend on the frame period, so exemplars taken here
# match the 5 ms frames of synthesis.)
FRAME_PERIOD_MS = 10.0


@dataclass
class Clip:
    """One reference at 22.05 kHz with its analysis."""

    samples: np.ndarray
    transcript: str
    emotion: str
    features: world.WorldFeatures
    speech: np.ndarray  # (T,) bool


def analysed_clip(samples: np.ndarray, transcript: str = "", emotion: str = "neutral") -> Clip:
    features = world.analyse(samples, with_aperiodicity=False, frame_period=FRAME_PERIOD_MS, dio_speed=4)
    return Clip(samples, transcript, emotion, features, world.speech_mask(features.log_sp))


def joined_clip(parts: list[Clip], transcript: str = "", emotion: str = "neutral") -> Clip:
    """One clip from clips analysed one after the other (sentences analysed as they arrive)."""
    features = world.WorldFeatures(
        f0=np.concatenate([p.features.f0 for p in parts]),
        log_sp=np.concatenate([p.features.log_sp for p in parts]),
        ap=None,
    )
    samples = np.concatenate([p.samples for p in parts])
    return Clip(samples, transcript, emotion, features, world.speech_mask(features.log_sp))


def log_f0_stats(clips: list[Clip]) -> tuple[float, float]:
    log_f0 = np.concatenate([np.log(c.features.f0[c.features.voiced & c.speech]) for c in clips])
    if len(log_f0) < 20:
        return float("nan"), float("nan")
    # Trim the extremes: octave errors of DIO would inflate the spread.
    low, high = np.percentile(log_f0, [2, 98])
    core = log_f0[(log_f0 >= low) & (log_f0 <= high)]
    return float(core.mean()), float(core.std())


def speech_seconds(clips: list[Clip]) -> float:
    return sum(float(c.speech.sum()) for c in clips) * FRAME_PERIOD_MS / 1000.0


def level_db(clips: list[Clip]) -> float:
    return float(np.mean(np.concatenate([world.frame_levels_db(c.features.log_sp)[c.speech] for c in clips])))
