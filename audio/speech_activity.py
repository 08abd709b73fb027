"""Where the speech is: voice activity detection with the Silero model bundled in faster-whisper.

Silero runs on onnxruntime at 16 kHz (~0.1 s per 30 s of audio), so no torch and no download. Callers
use the segments to trim recordings, to measure how much speech a sample holds, and to tell speech
from background when estimating the signal-to-noise ratio.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np

from audio.codec import resample

if TYPE_CHECKING:
    from faster_whisper.vad import VadOptions

Segment = tuple[float, float]  # (start, end) in seconds

VAD_RATE = 16000
# The VAD runs a minute at a time: faster-whisper pads and re-batches its whole input, and onnxruntime
# keeps the arena the largest batch needed (30 minutes in one call peaked at 400 MB above the audio;
# a minute at a time needs ~25 MB). A multiple of Silero's 512-sample window.
VAD_CHUNK_SAMPLES = 512 * 1875  # 60 s
_MERGE_GAP_SECONDS = 0.3  # = min_silence_duration_ms: segments closer than this across a seam are one
_model_lock = threading.Lock()
_model_loaded = False


def _options() -> VadOptions:
    from faster_whisper.vad import VadOptions

    return VadOptions(
        threshold=0.5,
        min_speech_duration_ms=200,  # clicks and breaths are not speech
        min_silence_duration_ms=300,  # split at sentence pauses so keep_speech can shorten them
        speech_pad_ms=30,  # tight edges; trim_silence adds its own margin
    )


def _ensure_model() -> None:
    # faster-whisper caches the model with lru_cache, which is not guarded against two threads
    # building it at once; load it under our lock the first time.
    global _model_loaded
    if _model_loaded:
        return
    with _model_lock:
        if not _model_loaded:
            from faster_whisper.vad import get_vad_model

            get_vad_model()
            _model_loaded = True


def speech_segments(samples: np.ndarray, sample_rate: int) -> list[Segment]:
    """Speech regions of the recording as (start, end) seconds, in order and not overlapping."""
    from faster_whisper.vad import get_speech_timestamps

    audio = resample(np.asarray(samples, dtype=np.float32).reshape(-1), sample_rate, VAD_RATE)
    if audio.size == 0:
        return []
    _ensure_model()
    segments: list[Segment] = []
    for offset in range(0, audio.size, VAD_CHUNK_SAMPLES):
        stamps = get_speech_timestamps(
            audio[offset : offset + VAD_CHUNK_SAMPLES], _options(), sampling_rate=VAD_RATE
        )
        for stamp in stamps:
            start, end = (offset + stamp["start"]) / VAD_RATE, (offset + stamp["end"]) / VAD_RATE
            if segments and start - segments[-1][1] < _MERGE_GAP_SECONDS:
                segments[-1] = (segments[-1][0], end)  # speech running across the seam
            else:
                segments.append((start, end))
    return segments


def speech_duration(segments: list[Segment]) -> float:
    """Total seconds of speech in ``segments``."""
    return float(sum(end - start for start, end in segments))


def trim_silence(
    samples: np.ndarray, sample_rate: int, segments: list[Segment] | None = None, pad: float = 0.15
) -> np.ndarray:
    """The recording from ``pad`` seconds before the first speech to ``pad`` after the last.

    Returns an empty array when there is no speech at all, so callers can tell the user rather than
    keep a silent clip.
    """
    if segments is None:
        segments = speech_segments(samples, sample_rate)
    if not segments:
        return np.asarray(samples, dtype=np.float32)[:0]
    start = _index(segments[0][0] - pad, sample_rate, len(samples))
    end = _index(segments[-1][1] + pad, sample_rate, len(samples))
    return np.asarray(samples[start:end], dtype=np.float32)


def keep_speech(
    samples: np.ndarray, sample_rate: int, segments: list[Segment], max_gap: float = 0.5
) -> np.ndarray:
    """The speech with every pause longer than ``max_gap`` seconds shortened to ``max_gap``.

    Each segment keeps ``max_gap / 2`` of context on both sides, so short pauses stay as spoken and
    speech never gets cut at its edges. Empty when there are no segments.
    """
    half = max_gap / 2
    kept: list[list[int]] = []
    for seg_start, seg_end in segments:
        start = _index(seg_start - half, sample_rate, len(samples))
        end = _index(seg_end + half, sample_rate, len(samples))
        if kept and start <= kept[-1][1]:
            kept[-1][1] = max(kept[-1][1], end)
        else:
            kept.append([start, end])
    if not kept:
        return np.asarray(samples, dtype=np.float32)[:0]
    return np.concatenate([np.asarray(samples[a:b], dtype=np.float32) for a, b in kept])


def quiet_cut(samples: np.ndarray, sample_rate: int, seconds: float, search: float = 1.5) -> int:
    """Where to cut speech near ``seconds`` (a sample index): the middle of the quietest 20 ms in the
    ``search`` seconds before it, a pause between words wherever there is one. The whole length when
    the recording is no longer than ``seconds``."""
    end = _index(seconds, sample_rate, len(samples))
    if end >= len(samples):
        return len(samples)
    hop = max(1, round(0.02 * sample_rate))
    start = _index(seconds - search, sample_rate, len(samples))
    frames = (end - start) // hop
    if frames == 0:
        return end
    window = np.asarray(samples[start : start + frames * hop], dtype=np.float32).reshape(frames, hop)
    return start + int(np.argmin((window**2).mean(axis=1))) * hop + hop // 2


def _index(seconds: float, sample_rate: int, length: int) -> int:
    return int(min(max(round(seconds * sample_rate), 0), length))
