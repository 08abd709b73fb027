"""From user options (emotion, speed, pitch, stability, similarity boost) to concrete synthesis settings.

Emotion styles, relative to the voice's neutral delivery (used when the voice has no references
tagged with that emotion; measured stats from tagged references replace F0 level/range, tempo and
level, while brightness always comes from this table):

=========  ==========  =========  =====  ========  ==============
emotion    F0 (st)     F0 range   tempo  level dB  brightness dB/oct
=========  ==========  =========  =====  ========  ==============
neutral      0          x1.00     x1.00    0          0
happy       +2.0        x1.35     x1.06   -1         +0.5
sad         -2.0        x0.60     x0.85   -5         -1.5
angry       +1.0        x1.30     x1.08    0         +2.0
excited     +3.5        x1.50     x1.12    0         +1.0
calm        -1.0        x0.75     x0.90   -3         -1.0
=========  ==========  =========  =====  ========  ==============

"level dB" lowers the output peak below the normal -1 dBFS, so a sad or calm rendition is quieter
than a neutral one; brightness tilts the spectrum above 1 kHz (vocal effort).

Stability 0..1 (default 0.5) trades liveliness for steadiness: Piper's noise_scale 0.90 -> 0.30 and
noise_w 1.10 -> 0.30 (variation of timbre and of phone durations), and the F0 range x1.25 -> x0.75
(how much of the intonation contour is kept). 0.5 is Piper's own default delivery.

Similarity boost 0..1 (default 0.8) trades likeness for clarity: it scales the voice-specific steps of
the spectral conversion (``conversion.convert_envelope``). 1 sounds most like the reference; lower
values keep more of the base voice's articulation, so words are recognised more reliably (see
``DEFAULT_SIMILARITY_BOOST`` for the measured trade-off).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import limits
from errors import InvalidInput

from ..base import DEFAULT_SIMILARITY_BOOST
from .base_voice import Prosody
from .conversion import PitchTarget
from .profile import ProsodyStats, VoiceProfile

NEUTRAL_PEAK = 0.89  # -1 dBFS: headroom for lossy encoders' overshoot


@dataclass(frozen=True)
class EmotionStyle:
    semitones: float
    f0_range: float
    tempo: float  # > 1 speaks faster
    level_db: float
    brightness_db_per_octave: float


EMOTION_STYLES: dict[str, EmotionStyle] = {
    "neutral": EmotionStyle(0.0, 1.00, 1.00, 0.0, 0.0),
    "happy": EmotionStyle(2.0, 1.35, 1.06, -1.0, 0.5),
    "sad": EmotionStyle(-2.0, 0.60, 0.85, -5.0, -1.5),
    "angry": EmotionStyle(1.0, 1.30, 1.08, 0.0, 2.0),
    "excited": EmotionStyle(3.5, 1.50, 1.12, 0.0, 1.0),
    "calm": EmotionStyle(-1.0, 0.75, 0.90, -3.0, -1.0),
}


@dataclass(frozen=True)
class RenderPlan:
    piper: Prosody  # length_scale: the voice's own tempo (measured against the base voice)
    time_scale: float  # WORLD duration factor: 1 / (speed * emotion tempo)
    pitch: PitchTarget
    brightness_db_per_octave: float
    peak: float  # output peak amplitude
    pause_scale: float  # multiplies the pauses between phrases
    similarity: float  # strength of the voice-specific spectral conversion (the similarity boost)


def _measured_or_styled(
    profile: VoiceProfile, emotion: str, style: EmotionStyle
) -> tuple[ProsodyStats, float]:
    """The emotion's stats as the voice showed them (tempo 1: it is in their length_scale), else
    neutral moved by the style table plus the style's tempo."""
    neutral = profile.prosody["neutral"]
    measured = profile.prosody.get(emotion)
    if measured is not None and emotion != "neutral":
        return measured, 1.0
    styled = ProsodyStats(
        log_f0_mean=neutral.log_f0_mean + style.semitones * math.log(2.0) / 12.0,
        log_f0_std=neutral.log_f0_std * style.f0_range,
        length_scale=neutral.length_scale,
        level_db=style.level_db,
    )
    return styled, style.tempo


def plan_for(
    profile: VoiceProfile,
    *,
    emotion: str,
    speed: float,
    pitch: float,
    stability: float,
    similarity_boost: float = DEFAULT_SIMILARITY_BOOST,
    reproducible: bool = False,
) -> RenderPlan:
    """The settings for one render. ``reproducible`` turns Piper's sampling noise off, so the same
    text gives the same audio: its ONNX graph draws unseeded noise, so no seed can fix it instead."""
    if emotion not in EMOTION_STYLES:
        raise InvalidInput(f"emotion must be one of {', '.join(EMOTION_STYLES)}.", field="emotion")
    speed = limits.SPEED.check(speed, field="speed")
    pitch = limits.PITCH.check(pitch, field="pitch")
    stability = limits.STABILITY.check(stability, field="stability")
    # A calibrated voice (higher tiers) has its own scale: the default boost lands on its measured point.
    similarity = min(
        1.0, limits.SIMILARITY_BOOST.check(similarity_boost, field="similarity_boost") * profile.boost_scale
    )
    style = EMOTION_STYLES[emotion]
    stats, tempo = _measured_or_styled(profile, emotion, style)
    time_scale = 1.0 / (speed * tempo)
    return RenderPlan(
        piper=Prosody(
            length_scale=stats.length_scale,
            noise_scale=0.0 if reproducible else 0.9 - 0.6 * stability,
            noise_w=0.0 if reproducible else 1.1 - 0.8 * stability,
        ),
        time_scale=time_scale,
        pitch=PitchTarget(
            log_f0_mean=stats.log_f0_mean,
            log_f0_std=stats.log_f0_std * (1.25 - 0.5 * stability),
            semitones=pitch,
        ),
        brightness_db_per_octave=style.brightness_db_per_octave,
        peak=min(0.95, NEUTRAL_PEAK * 10.0 ** (stats.level_db / 20.0)),
        pause_scale=time_scale * stats.length_scale / profile.prosody["neutral"].length_scale,
        similarity=similarity,
    )
