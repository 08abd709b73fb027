"""An inaudible watermark on every clip the studio generates: resemble-perth's neural watermarker.

``resemble-perth`` 1.0.1 (MIT) ships a trained "implicit" PerthNet (37 MB) in its wheel: an encoder
that adds a learned residual to the log-magnitude spectrogram below 2 kHz, and a decoder that says
how sure it is that a clip carries that residual. We use those trained parts as they are, but not
perth's ``PerthImplicitWatermarker`` class, because importing it fails and perth hides the failure
(``perth.PerthImplicitWatermarker`` is silently ``None``):

* ``perth/perth_net/__init__.py`` runs ``from pkg_resources import resource_filename`` to locate the
  weights. ``pkg_resources`` is gone from setuptools >= 81, and torch 2.13 itself requires
  setuptools >= 77.0.3, so pinning an old setuptools is not a lasting answer.
* ``audio_processor.py`` imports ``torchaudio.transforms`` (Spectrogram, InverseSpectrogram and an
  unused TimeStretch). PyPI's torchaudio is a CUDA build that does not load next to the CPU torch
  (docs/decisions.md, "XTTS install"), and it would only be needed for two calls torch does itself.

So ``_load_model`` imports only perth's torch-only modules (``config``, ``model``, ``utils`` of
``perth_net_implicit``) from the installed wheel under a private module name, which never runs
perth's package ``__init__`` files and leaves ``perth``, ``pkg_resources`` and ``torchaudio`` in
``sys.modules`` untouched; the STFT pair is ``torch.stft``/``torch.istft`` with exactly the arguments
torchaudio's transforms use for perth's settings (centred, reflect padding, periodic Hann 2048, hop
320, not normalised). Checked against the original class (run with a pkg_resources shim in a venv
whose torchaudio works): the embedded residuals correlate at 0.9996 and the detector scores match.

Requirements: ``torch==2.13.0`` and ``resemble-perth==1.0.1`` (perth declares no dependencies; it
needs numpy, scipy and PyYAML, which the studio already has). Not torchaudio, librosa or
setuptools.

Two deliberate differences from perth's ``apply_watermark``:
* perth resamples the whole clip to 32 kHz and back, which low-passes 44.1/48 kHz output at 16 kHz;
  we resample only the watermark *residual* back and add it to the untouched original;
* ``istft`` gets the input length, so the output is exactly as long as the input.
Long clips are processed in 30 s chunks with 1 s of context on each side to bound memory (on a 65 s
clip the chunked and the one-piece residuals correlate at 1.0000).

Policy is the caller's: ``embed(..., enabled=...)``. The studio passes its ``STUDIO_WATERMARK`` setting
(``studio.output``). While enabled, ``embed`` raises ``EngineUnavailable`` when the watermarker
cannot run, so a worker marks the job FAILED instead of delivering unmarked audio; only
``enabled=False`` (development) returns the audio unchanged. ``detect`` always works.

Measured on the 2-core machine while other work shared it (``python bench/consent_calibration.py
watermark``; 10 s of flite/espeak-ng speech at 8, 16, 22.05 and 48 kHz): embed 0.5-1.0 s and detect
0.5-1.8 s per 10 s (the decoder runs three branches); the first call in a process also imports torch
and loads the model, ~5.6 s in all. Confidence on marked speech 1.000, also after MP3 at 64 kbps and
after resampling to 16 kHz; on clean speech 0.000-0.016 (0.000-0.020 as MP3). SNR of marked against
original 12.7-16.0 dB: the residual is a spectral-shape change below 2 kHz that speech masks (perth
trains it with a psychoacoustic loss), not broadband noise, so SNR overstates how audible it is.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from audio.codec import resample
from errors import EngineUnavailable, InvalidAudio

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

# The rate perth's model works at (its config's sample_rate): decode uploads to check straight to it.
DETECTION_RATE = 32000

# A decoder confidence at or above this means "watermarked". Marked speech scores 1.00 and clean
# speech at most 0.02 (also after MP3 64 kbps and 16 kHz resampling), so the middle is a wide margin.
DETECTION_THRESHOLD = 0.5

# Where perth keeps its trained model inside the wheel, and the private name we import it under.
_IMPLICIT_DIR = ("perth_net", "perth_net_implicit")
_WEIGHTS_DIR = ("perth_net", "pretrained", "implicit")
_PRIVATE_PACKAGE = "_studio_perth_implicit"

# Bounds memory: a chunk's spectrogram is ~25 MB of complex64 at 32 kHz; a 30-minute upload in one
# piece would need ~1.5 GB per copy.
_CHUNK_SECONDS = 30.0
_CONTEXT_SECONDS = 1.0  # the encoder sees ±15 frames (0.15 s); 1 s also clears the STFT edges


@dataclass(frozen=True)
class WatermarkResult:
    watermarked: bool
    confidence: float  # the decoder's score, 0..1


@dataclass
class _Model:
    hp: Any  # perth's PerthConfig (a NamedTuple)
    encoder: torch.nn.Module
    decoder: torch.nn.Module
    window: torch.Tensor
    to_magphase: Any  # perth utils.cx_to_magphase(hp, spec)
    to_complex: Any  # perth utils.magphase_to_cx(hp, mag, phase)


_model_lock = threading.Lock()
_model: _Model | None = None
_load_error: str | None = None


def availability() -> tuple[bool, str]:
    """Whether ``embed``/``detect`` can run here, and if not why (for an operator).

    Cheap: checks that torch and perth's weights are installed without importing torch, unless a
    load was already attempted in this process, whose real outcome it then reports.
    """
    if _model is not None:
        return True, ""
    if _load_error is not None:
        return False, _load_error
    missing = _missing_requirement()
    return (False, missing) if missing else (True, "")


def _missing_requirement() -> str:
    if importlib.util.find_spec("torch") is None:
        return "torch is not installed (pip install torch==2.13.0)."
    root = _perth_root()
    if root is None:
        return "resemble-perth is not installed (pip install resemble-perth==1.0.1)."
    if not list(root.joinpath(*_WEIGHTS_DIR).glob("*.pth.tar")):
        return f"resemble-perth's model weights are missing from {root.joinpath(*_WEIGHTS_DIR)}."
    return ""


def _perth_root() -> Path | None:
    # find_spec on a top-level package locates it without executing its __init__.
    spec = importlib.util.find_spec("perth")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


# --- public API ----------------------------------------------------------------------------------


def embed(samples: np.ndarray, sample_rate: int, *, enabled: bool = True) -> np.ndarray:
    """The clip with the watermark added: float32, same length and rate, clipped to [-1, 1].

    Raises ``EngineUnavailable`` when the watermarker cannot run. ``enabled=False`` (development only:
    the studio's STUDIO_WATERMARK=off) returns the audio unmarked.
    """
    audio = _mono(samples)
    if not enabled:
        logger.warning("Watermarking is off: generated audio is NOT watermarked.")
        return audio
    model = _required_model()
    if audio.size == 0:
        return audio
    work_rate = int(model.hp.sample_rate)
    at_work_rate = resample(audio, sample_rate, work_rate)
    residual = _chunked_residual(model, at_work_rate)
    # Only the residual goes back to the output rate, so content above 16 kHz survives untouched.
    residual = _fit_length(resample(residual, work_rate, sample_rate), audio.size)
    return np.clip(audio + residual, -1.0, 1.0).astype(np.float32)


def detect(samples: np.ndarray, sample_rate: int) -> WatermarkResult:
    """How sure the decoder is that the clip carries the studio's watermark."""
    model = _required_model()
    audio = resample(_mono(samples), sample_rate, int(model.hp.sample_rate))
    if audio.size == 0:
        return WatermarkResult(watermarked=False, confidence=0.0)
    confidence = _chunked_confidence(model, audio)
    return WatermarkResult(watermarked=confidence >= DETECTION_THRESHOLD, confidence=confidence)


def _mono(samples: np.ndarray) -> np.ndarray:
    audio = np.asarray(samples, dtype=np.float32)
    if audio.ndim != 1:
        raise InvalidAudio(f"Expected mono audio (one dimension), got shape {audio.shape}.")
    return np.nan_to_num(audio)


def _fit_length(audio: np.ndarray, length: int) -> np.ndarray:
    return np.pad(audio[:length], (0, max(0, length - audio.size)))


# --- chunking ------------------------------------------------------------------------------------


def _chunked_residual(model: _Model, audio: np.ndarray) -> np.ndarray:
    """The watermark residual for ``audio`` (at the model rate), chunk by chunk."""
    rate = int(model.hp.sample_rate)
    chunk, context = int(_CHUNK_SECONDS * rate), int(_CONTEXT_SECONDS * rate)
    residual = np.zeros_like(audio)
    for start in range(0, audio.size, chunk):
        stop = min(start + chunk, audio.size)
        lo, hi = max(0, start - context), min(audio.size, stop + context)
        # Each chunk is encoded with context on both sides; only its own span is kept, so the
        # seams see the same neighbourhood as an unchunked run would.
        residual[start:stop] = _residual(model, audio[lo:hi])[start - lo : stop - lo]
    return residual


def _chunked_confidence(model: _Model, audio: np.ndarray) -> float:
    """Length-weighted mean of the decoder's score over 30 s chunks (one pass for short clips)."""
    chunk = int(_CHUNK_SECONDS * model.hp.sample_rate)
    pieces = [audio[i : i + chunk] for i in range(0, audio.size, chunk)]
    if len(pieces) > 1 and pieces[-1].size < chunk // 3:
        # A short tail scores unreliably on its own; let the previous chunk carry it.
        tail = pieces.pop()
        pieces[-1] = np.concatenate([pieces[-1], tail])
    scores = [_confidence(model, piece) for piece in pieces]
    return float(np.average(scores, weights=[piece.size for piece in pieces]))


# --- the model -----------------------------------------------------------------------------------


def _residual(model: _Model, audio: np.ndarray) -> np.ndarray:
    import torch

    with torch.inference_mode():
        signal = torch.from_numpy(_padded(model, audio))
        magnitude, phase = model.to_magphase(model.hp, _stft(model, signal))
        marked_magnitude, _mask = model.encoder(magnitude[None])
        marked = _istft(model, model.to_complex(model.hp, marked_magnitude[0], phase), signal.numel())
        return (marked - signal).numpy()[: audio.size]


def _confidence(model: _Model, audio: np.ndarray) -> float:
    import torch

    with torch.inference_mode():
        magnitude, _phase = model.to_magphase(model.hp, _stft(model, torch.from_numpy(_padded(model, audio))))
        score = float(model.decoder(magnitude[None])[0].clip(0.0, 1.0))
    # Digital silence leaves the decoder's frame mask empty (0/0): no speech, no watermark.
    return 0.0 if np.isnan(score) else score


def _padded(model: _Model, audio: np.ndarray) -> np.ndarray:
    # torch.stft's reflect padding needs more than n_fft/2 samples; pad very short clips with zeros.
    return np.pad(audio, (0, max(0, int(model.hp.n_fft) - audio.size))).astype(np.float32)


def _stft(model: _Model, signal: torch.Tensor) -> torch.Tensor:
    # = torchaudio.transforms.Spectrogram(n_fft, win_length, hop_length, hann, power=None, normalized=False)
    import torch

    hp = model.hp
    return torch.stft(
        signal, hp.n_fft, hp.hop_size, hp.window_size, model.window,
        center=True, pad_mode="reflect", normalized=False, onesided=True, return_complex=True,
    )  # fmt: skip


def _istft(model: _Model, spectrum: torch.Tensor, length: int) -> torch.Tensor:
    # = torchaudio.transforms.InverseSpectrogram(...) with the same settings, plus an exact length.
    import torch

    hp = model.hp
    return torch.istft(
        spectrum, hp.n_fft, hp.hop_size, hp.window_size, model.window,
        center=True, normalized=False, onesided=True, length=length,
    )  # fmt: skip


def _required_model() -> _Model:
    model = _load_once()
    if model is None:
        raise EngineUnavailable(
            f"Audio watermarking is unavailable on this worker: {_load_error} Generated audio must be "
            "watermarked; install the watermark requirements or set STUDIO_WATERMARK=off for development.",
            code="watermark_unavailable",
        )
    return model


def _load_once() -> _Model | None:
    """Load the model once per process; a failure is remembered, not retried on every clip."""
    global _model, _load_error
    if _model is not None or _load_error is not None:
        return _model
    with _model_lock:
        if _model is None and _load_error is None:
            missing = _missing_requirement()
            try:
                if missing:
                    raise RuntimeError(missing)
                _model = _load_model()
            except Exception as exc:  # noqa: BLE001 - any failure means "unavailable", with the reason
                _load_error = str(exc) or exc.__class__.__name__
                logger.error("Watermarker unavailable: %s", _load_error)
    return _model


def _load_model() -> _Model:
    import torch
    import yaml

    root = _perth_root()
    assert root is not None  # _missing_requirement checked it
    config = _perth_module(root, "config")
    parts = _perth_module(root, "model")
    helpers = _perth_module(root, "utils")
    weights_dir = root.joinpath(*_WEIGHTS_DIR)
    hp = config.PerthConfig(**yaml.safe_load((weights_dir / "hparams.yaml").read_text()))
    checkpoint = sorted(weights_dir.glob("*.pth.tar"))[-1]
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)["model"]
    subband = parts.compute_subband_freq(hp)
    encoder = _perth_module(root, "model.encoder").Encoder(hp.hidden_size, subband)
    decoder = _perth_module(root, "model.decoder").Decoder(hp.hidden_size, subband)
    encoder.load_state_dict(_prefixed(state, "encoder."))
    decoder.load_state_dict(_prefixed(state, "decoder."))
    logger.info("Loaded the perth watermarker from %s", checkpoint.name)
    return _Model(
        hp=hp,
        encoder=encoder.eval(),
        decoder=decoder.eval(),
        window=torch.hann_window(hp.window_size),  # torchaudio's default window_fn: periodic Hann
        to_magphase=helpers.cx_to_magphase,
        to_complex=helpers.magphase_to_cx,
    )


def _perth_module(root: Path, name: str) -> Any:
    """Import ``perth/perth_net/perth_net_implicit/<name>`` without running perth's __init__ files.

    The directory is registered once as a private package, so its relative imports (``from . import
    Conv``, ``from ..config import PerthConfig``) resolve inside it and nothing else is touched.
    """
    if _PRIVATE_PACKAGE not in sys.modules:
        package_dir = root.joinpath(*_IMPLICIT_DIR)
        spec = importlib.util.spec_from_file_location(
            _PRIVATE_PACKAGE, package_dir / "__init__.py", submodule_search_locations=[str(package_dir)]
        )
        assert spec is not None and spec.loader is not None
        package = importlib.util.module_from_spec(spec)
        sys.modules[_PRIVATE_PACKAGE] = package
        spec.loader.exec_module(package)  # perth_net_implicit/__init__.py is empty
    return importlib.import_module(f"{_PRIVATE_PACKAGE}.{name}")


def _prefixed(state: dict[str, Any], prefix: str) -> dict[str, Any]:
    return {key[len(prefix) :]: value for key, value in state.items() if key.startswith(prefix)}
