"""``prepare``: measure the reference speaker against the base voice and build a ``VoiceProfile``.

With transcripts, the self-parallel map (``parallel.py``) gives warp, EQ and exemplars, and the same
pairs give the speaking rate. Without any transcript, warp and EQ come from long-term average
envelopes of the references against the base voice reading a fixed calibration text.
Per-emotion prosody (F0 level/range, rate, level) comes from references tagged with that emotion.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from errors import InvalidAudio, InvalidInput

from . import bases, world
from .base_voice import Prosody
from .clips import FRAME_PERIOD_MS, Clip, analysed_clip, joined_clip, level_db, log_f0_stats, speech_seconds
from .parallel import (
    COARSE_WARP_GRID,
    WARP_GRID,
    Pair,
    exemplars_from,
    global_map,
    make_pair,
    realigned,
)
from .profile import ProsodyStats, SpectralMap, VoiceProfile

MIN_VOICED_SECONDS = 1.0
# The base voice reads without Piper's sampling noise while a voice is prepared, so the same samples
# always make the same voice (re-cloning moved its similarity score by up to 0.057 before). Piper's
# ONNX graph draws unseeded noise, so no seed can fix it instead (docs/engines.md, "The similarity
# score").
_BASE_READING = Prosody(noise_scale=0.0, noise_w=0.0)
_CALIBRATION_TEXT = (
    "The morning train was late again, so I walked along the river to the old market. "
    "People were buying bread, cheese and bright summer flowers, and a boy played the violin by the gate. "
    "Would you like to join us for dinner on Thursday? We could try the new place near the bridge."
)
_calibrations: dict[str, Clip] = {}
_calibration_lock = threading.Lock()

Report = Callable[[float, str], None]


@dataclass(frozen=True)
class TrainingSettings:
    max_reference_seconds: float = 120.0
    max_exemplars: int = 12000  # 10 ms frames kept (~2 min of speech; ~2 MB as float16)
    match_dims: int = 24
    neighbours: int = 16
    blend_neighbours: int = 4
    blend: float = 0.3  # measured: 0.3 raised mean cosine 0.842 -> 0.864 at the same WER; 0.4 cost WER
    # Measured together on the benchmark (see parallel.py): mean cosine 0.861 -> 0.906, worst
    # 0.775 -> 0.860; WER 4.7 -> 6.4 % on the benchmark text. Pull 0.3 gave 0.900 / 0.848.
    pull: float = 0.5
    pull_neighbours: int = 4
    spread_strength: float = 0.5
    english_base: str = bases.JOE.id  # the base voice English voices are prepared on
    # Measure the voice's own likeness/clarity point (calibration.py). Off: on bench/offline_engine.py
    # (4 voices, standard tier) it gave cosine 0.891 / worst 0.841, WER 3.4 / 5.0 % against the
    # instant tier's 0.901 / 0.860, 3.9 / 5.0 %, for ~18 s more CPU per clone: three sentences heard
    # by tiny.en do not predict other texts (kal: no error at any strength, 5 % at full strength on
    # the bench). Try it with ``--set calibrate=True``.
    calibrate: bool = False


TIER_SETTINGS = {
    "instant": TrainingSettings(),
    "standard": TrainingSettings(max_reference_seconds=300.0),
    "premium": TrainingSettings(max_reference_seconds=900.0, max_exemplars=24000),
    "professional": TrainingSettings(max_reference_seconds=1800.0, max_exemplars=24000),
}


@dataclass
class ReferenceAudio:
    """A reference already resampled to 22.05 kHz (the engine does the resampling)."""

    samples: np.ndarray
    transcript: str
    emotion: str
    language: str = "en"


def calibration_clip(base=bases.JOE) -> Clip:
    """The base voice reading a fixed (English) text, analysed once per process per base voice
    (the non-parallel fallback and the built-in voice's pitch)."""
    with _calibration_lock:
        if base.id not in _calibrations:
            audio = base.speak(_CALIBRATION_TEXT, _BASE_READING, "en")
            _calibrations[base.id] = analysed_clip(audio, _CALIBRATION_TEXT)
        return _calibrations[base.id]


def _within_budget(references: list[ReferenceAudio], settings: TrainingSettings) -> list[ReferenceAudio]:
    """The first references up to the tier's amount of audio: more would only cost time."""
    kept, seconds = [], 0.0
    for reference in references:
        if seconds >= settings.max_reference_seconds:
            break
        kept.append(reference)
        seconds += len(reference.samples) / world.SAMPLE_RATE
    return kept


def _check_voiced(clips: list[Clip]) -> None:
    voiced = sum(float((c.features.voiced & c.speech).sum()) for c in clips) * FRAME_PERIOD_MS / 1000
    if voiced < MIN_VOICED_SECONDS:
        raise InvalidAudio(
            f"The references contain only {voiced:.1f} s of voiced speech; "
            f"at least {MIN_VOICED_SECONDS:.0f} s is needed."
        )


def long_term_map(clips: list[Clip], base_voice=bases.JOE) -> SpectralMap:
    """Warp + EQ from average voiced envelopes: no transcript, so no frame pairs to learn from."""
    base = calibration_clip(base_voice)
    base_mean = base.features.log_sp[base.features.voiced & base.speech].mean(axis=0)
    target = np.concatenate([c.features.log_sp[c.features.voiced & c.speech] for c in clips])
    target_mean = world.to_cepstrum(target.mean(axis=0))
    # Warping and the cepstral map are linear, so warping the mean equals the mean of warped frames.
    differences = [target_mean - world.to_cepstrum(world.warp_frequency(base_mean, f)) for f in WARP_GRID]
    # c0..c2 (level and tilt) are the EQ's job; the warp is judged on the formant region's shape.
    errors = [float((d[3:25] ** 2).sum()) for d in differences]
    best = int(np.argmin(errors))
    return SpectralMap(warp=float(WARP_GRID[best]), eq=differences[best])


def _rate(pairs: list[Pair]) -> float:
    """Piper length_scale that gives the reference's tempo (speech time, pauses excluded)."""
    base = speech_seconds([p.base for p in pairs])
    return float(np.clip(speech_seconds([p.target for p in pairs]) / base, 0.6, 1.6)) if base else 1.0


def _prosody(clips: list[Clip], pairs: list[Pair], neutral_level: float) -> ProsodyStats | None:
    mean, std = log_f0_stats(clips)
    if not np.isfinite(mean):
        return None
    return ProsodyStats(
        log_f0_mean=mean,
        log_f0_std=std,
        length_scale=_rate(pairs) if pairs else 1.0,
        level_db=level_db(clips) - neutral_level,
    )


def prosody_by_emotion(clips: list[Clip], pairs: list[Pair]) -> dict[str, ProsodyStats]:
    """Stats per emotion tag; "neutral" from the neutral-tagged clips (or all when none are)."""
    neutral_clips = [c for c in clips if c.emotion == "neutral"] or clips
    neutral_level = level_db(neutral_clips)
    stats = {}
    for emotion in sorted({c.emotion for c in clips} | {"neutral"}):
        members = neutral_clips if emotion == "neutral" else [c for c in clips if c.emotion == emotion]
        member_ids = {id(c) for c in members}
        found = _prosody(members, [p for p in pairs if id(p.target) in member_ids], neutral_level)
        if found is not None:
            stats[emotion] = found
    if "neutral" not in stats:
        raise InvalidAudio("No pitch could be measured in the references; record clear, voiced speech.")
    return stats


def reference_spread(clips: list[Clip]) -> np.ndarray:
    """Per-coefficient std of the references' cepstra over their speech frames."""
    return world.to_cepstrum(np.concatenate([c.features.log_sp[c.speech] for c in clips])).std(axis=0)


def _spectral_map(
    pairs: list[Pair], clips: list[Clip], settings: TrainingSettings, report: Report, base_voice
) -> SpectralMap:
    if not pairs:
        return long_term_map(clips, base_voice)
    report(0.6, "Matching the voice")
    # On the first (z-scored) alignment the warp's error curve is shallow and noisy: one slt clone
    # in four chose 1.03 instead of 1.29 (global-only cosine 0.42 against 0.72). That warp only
    # steers the realignment, so a coarse grid will do; the warp is chosen on the better alignment.
    pairs = realigned(pairs, global_map(pairs, COARSE_WARP_GRID))
    report(0.75, "Learning the voice's colour")
    spectral = global_map(pairs)
    spectral.exemplars = exemplars_from(pairs, spectral, settings)
    spectral.spread = reference_spread(clips)
    spectral.spread_strength = settings.spread_strength
    return spectral


def _clips_and_pairs(
    references: list[ReferenceAudio], report: Report, base_voice
) -> tuple[list[Clip], list[Pair]]:
    """Analyse the references while the base voice reads their transcripts on its worker threads
    (ONNX releases the GIL, WORLD does not), so the two overlap on 2 cores."""
    spoken = {
        index: base_voice.sentences_async(reference.transcript, _BASE_READING, reference.language)
        for index, reference in enumerate(references)
        if reference.transcript.strip() and base_voice.speakable(reference.transcript, reference.language)
    }
    clips = []
    for index, reference in enumerate(references):
        report(0.05 + 0.4 * index / len(references), "Analysing the recordings")
        clips.append(analysed_clip(reference.samples, reference.transcript.strip(), reference.emotion))
    try:
        _check_voiced(clips)
    except InvalidAudio:
        for future in (f for futures in spoken.values() for f in futures):
            future.cancel()
        raise
    pairs = []
    for count, (index, futures) in enumerate(spoken.items()):
        report(0.45 + 0.15 * count / len(spoken), "Comparing with the base voice")
        # Each sentence is analysed as soon as it is said, while the next ones are being said.
        sentences = [analysed_clip(future.result()) for future in futures]
        base = joined_clip(sentences, clips[index].transcript, clips[index].emotion)
        pairs.append(make_pair(clips[index], base))
    return clips, pairs


def build_profile(references: list[ReferenceAudio], tier: str, report: Report) -> VoiceProfile:
    if not references:
        raise InvalidInput("At least one reference recording is needed.", field="samples")
    settings = TIER_SETTINGS.get(tier, TIER_SETTINGS["instant"])
    references = _within_budget(references, settings)
    language = bases.language_code(references[0].language)
    base_voice = bases.for_language(language, settings.english_base)
    report(0.05, "Analysing the recordings")
    clips, pairs = _clips_and_pairs(references, report, base_voice)
    spectral = _spectral_map(pairs, clips, settings, report, base_voice)
    base_clips = [p.base for p in pairs] or [calibration_clip(base_voice)]
    base_mean, base_std = log_f0_stats(base_clips)
    info = {
        "tier": tier,
        "reference_seconds": round(sum(len(c.samples) for c in clips) / world.SAMPLE_RATE, 2),
        "parallel": bool(pairs),
        "exemplars": 0 if spectral.exemplars is None else len(spectral.exemplars.sources),
    }
    profile = VoiceProfile(
        base_prosody=ProsodyStats(log_f0_mean=base_mean, log_f0_std=base_std),
        prosody=prosody_by_emotion(clips, pairs),
        spectral=spectral,
        info=info,
        base_voice=base_voice.id,
        language=language,
        boost_scale=base_voice.boost_scale,
    )
    if settings.calibrate and pairs:
        from .calibration import calibrated

        profile.boost_scale, measured = calibrated(profile, report, 0.8, 0.98)
        profile.info["calibration"] = measured
    return profile


def base_voice_profile(language: str = "en") -> VoiceProfile:
    """The base voice as it is (the built-in voice, which has no artifacts): no spectral change, its
    own pitch statistics, so emotion, speed and pitch still work on it."""
    base = bases.for_language(language)
    mean, std = log_f0_stats([calibration_clip(base)])
    stats = ProsodyStats(log_f0_mean=mean, log_f0_std=std)
    identity = SpectralMap(warp=1.0, eq=np.zeros(world.CEPSTRUM_ORDER))
    return VoiceProfile(
        base_prosody=stats,
        prosody={"neutral": stats},
        spectral=identity,
        info={"base_voice": True},
        base_voice=base.id,
        language=bases.language_code(language),
    )
