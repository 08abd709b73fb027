"""One phrase at a time: base voice -> WORLD analysis -> conversion -> WORLD synthesis -> joined audio."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future

import numpy as np

from . import world
from .bases import by_id
from .conversion import convert_envelope, convert_f0
from .profile import VoiceProfile
from .prosody import RenderPlan

PHRASE_RMS = 0.1  # -20 dBFS speech level before the final peak normalisation
_EDGE_FADE_SECONDS = 0.008  # raised-cosine fade at phrase edges: a join can never click
_EDGE_MARGIN_SECONDS = 0.03  # kept around the speech so soft onsets and releases survive trimming
_TRIM_BELOW_PEAK_DB = 50.0
_LOOKAHEAD = 2
# Measured on bench/offline_engine.py: see convert.
ANALYSIS_PERIOD_MS = 10.0


def _brightness(tilt_db_per_octave: float) -> np.ndarray:
    """Log-power offset per bin: ``tilt`` dB per octave above 1 kHz, flat below."""
    hz = np.arange(world.N_BINS) * world.SAMPLE_RATE / world.FFT_SIZE
    octaves = np.log2(np.maximum(hz, 1000.0) / 1000.0)
    return tilt_db_per_octave * octaves * np.log(10.0) / 10.0


def _trimmed(audio: np.ndarray) -> np.ndarray:
    """Leading/trailing silence removed (pauses are added back at a controlled length), edges faded."""
    frame = int(0.01 * world.SAMPLE_RATE)
    usable = len(audio) // frame * frame
    if usable == 0:
        return audio
    levels = 10.0 * np.log10((audio[:usable].reshape(-1, frame) ** 2).mean(axis=1) + 1e-12)
    loud = np.flatnonzero(levels > levels.max() - _TRIM_BELOW_PEAK_DB)
    margin = int(_EDGE_MARGIN_SECONDS * world.SAMPLE_RATE)
    start = max(0, loud[0] * frame - margin)
    end = min(len(audio), (loud[-1] + 1) * frame + margin)
    return faded(audio[start:end])


def faded(audio: np.ndarray) -> np.ndarray:
    length = min(int(_EDGE_FADE_SECONDS * world.SAMPLE_RATE), len(audio) // 2)
    if length == 0:
        return audio
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, length))
    audio = audio.copy()
    audio[:length] *= ramp
    audio[-length:] *= ramp[::-1]
    return audio


def _speech_rms(audio: np.ndarray) -> float:
    loud = np.abs(audio) > 0.05 * (np.abs(audio).max() + 1e-12)
    return float(np.sqrt(np.mean(audio[loud] ** 2))) if loud.any() else 0.0


def convert(
    audio: np.ndarray, profile: VoiceProfile, plan: RenderPlan, analysis_period: float | None = None
) -> np.ndarray:
    """Base-voice audio (22.05 kHz) in, converted audio out, at a fixed speech level.

    Analysis and conversion run on ``ANALYSIS_PERIOD_MS`` frames, synthesis on WORLD's 5 ms: the
    envelope moves slowly, so interpolating the converted frames costs nothing audible while the
    analysis and the neighbour searches (most of the time) halve."""
    period = analysis_period or ANALYSIS_PERIOD_MS
    features = world.analyse(audio, frame_period=period)
    speech = world.speech_mask(features.log_sp)
    log_sp = convert_envelope(features.log_sp, profile.spectral, speech, plan.similarity)
    if plan.brightness_db_per_octave:
        log_sp = log_sp + _brightness(plan.brightness_db_per_octave)
    f0 = convert_f0(features.f0, profile.base_prosody, plan.pitch)
    upsampling = period / world.FRAME_PERIOD_MS
    converted = world.render(
        world.time_scaled(
            world.WorldFeatures(f0=f0, log_sp=log_sp, ap=features.ap), plan.time_scale * upsampling
        )
    )
    rms = _speech_rms(converted)
    return converted * (PHRASE_RMS / rms) if rms > 0 else converted


def rendered_phrases(
    texts: list[str], profile: VoiceProfile, plan: RenderPlan, language: str = "en"
) -> Iterator[np.ndarray]:
    """Converted audio per phrase. The base voice (ONNX, releases the GIL) says the next phrases on
    its worker threads while this thread runs WORLD (holds the GIL) on the current one, so on 2 cores
    they overlap. Only ``_LOOKAHEAD`` phrases are started ahead: a stream closed early wastes little."""
    base = by_id(profile.base_voice)
    pending: deque[Future[np.ndarray]] = deque()
    upcoming = iter(texts)
    try:
        # The first phrase is said and converted alone, so the first audio of a stream comes as soon
        # as for a one-sentence text (nothing else competes for the cores); the look-ahead starts
        # once it is out.
        say = lambda text: base.speak_async(text, plan.piper, language)  # noqa: E731
        pending.extend(say(text) for text in itertools.islice(upcoming, 1))
        first = True
        while pending:
            base_audio = pending.popleft().result()
            if not first:
                pending.extend(say(text) for text in itertools.islice(upcoming, 1))
            yield _trimmed(convert(base_audio, profile, plan)).astype(np.float32)
            if first:
                pending.extend(say(text) for text in itertools.islice(upcoming, _LOOKAHEAD))
                first = False
    finally:
        for future in pending:
            future.cancel()


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(round(seconds * world.SAMPLE_RATE)), dtype=np.float32)


def limited(audio: np.ndarray, peak: float) -> np.ndarray:
    """Scaled down (never up) so no sample exceeds ``peak``."""
    highest = float(np.abs(audio).max()) if len(audio) else 0.0
    return (audio * (peak / highest)).astype(np.float32) if highest > peak else audio.astype(np.float32)


def normalised(audio: np.ndarray, peak: float) -> np.ndarray:
    highest = float(np.abs(audio).max()) if len(audio) else 0.0
    return (audio * (peak / highest)).astype(np.float32) if highest > 0 else audio.astype(np.float32)
