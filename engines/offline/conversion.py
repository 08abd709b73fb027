"""Applying a profile to the base voice's WORLD features: F0 mapping and spectral conversion."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import world
from .profile import Exemplars, ProsodyStats, SpectralMap

_QUERY_BLOCK = 1024  # frames per distance matrix, bounds memory with large exemplar sets
_MIN_SPREAD_FRAMES = 20  # fewer speech frames give no usable spread (a word or two)


@dataclass(frozen=True)
class PitchTarget:
    """Where the converted F0 should sit: a log-F0 mean and spread, plus user offsets."""

    log_f0_mean: float
    log_f0_std: float
    semitones: float = 0.0  # user pitch shift (and emotion offset), added after matching


def convert_f0(f0: np.ndarray, source: ProsodyStats, target: PitchTarget) -> np.ndarray:
    """Gaussian log-F0 matching: keep the base contour's shape, give it the target's level and range."""
    voiced = f0 > 0
    out = np.zeros_like(f0)
    scale = target.log_f0_std / max(source.log_f0_std, 1e-3)
    log_f0 = (np.log(f0[voiced]) - source.log_f0_mean) * scale + target.log_f0_mean
    out[voiced] = np.exp(log_f0 + target.semitones * np.log(2.0) / 12.0)
    return np.clip(out, 0.0, 0.45 * world.SAMPLE_RATE)


def _nearest(queries: np.ndarray, keys: np.ndarray, k: int) -> np.ndarray:
    """(T, k) indices of the k nearest keys (squared Euclidean) for every query, in blocks."""
    k = min(k, len(keys))
    key_norms = (keys * keys).sum(axis=1)
    result = np.empty((len(queries), k), dtype=np.int64)
    for start in range(0, len(queries), _QUERY_BLOCK):
        block = queries[start : start + _QUERY_BLOCK]
        distances = key_norms[None, :] - 2.0 * block @ keys.T  # |q|^2 is constant per row
        result[start : start + len(block)] = np.argpartition(distances, k - 1, axis=1)[:, :k]
    return result


def exemplar_offsets(cepstra: np.ndarray, exemplars: Exemplars | None) -> np.ndarray:
    """(T, ORDER) cepstral change for already globally-converted frames: mean residual of the
    nearest exemplars, optionally blended towards their reference envelopes."""
    if exemplars is None or len(exemplars.sources) == 0:
        return np.zeros_like(cepstra)
    dims = slice(1, exemplars.match_dims + 1)
    queries = cepstra[:, dims].astype(np.float32)
    keys = exemplars.sources[:, dims].astype(np.float32)
    widest = max(exemplars.neighbours, exemplars.blend_neighbours if exemplars.blend > 0 else 0)
    nearest = _nearest(queries, keys, widest)  # argpartition: unordered, so re-rank below if needed
    residual = exemplars.residuals[nearest[:, : exemplars.neighbours]].mean(axis=1)
    if exemplars.blend <= 0:
        return residual
    distances = ((keys[nearest] - queries[:, None, :]) ** 2).sum(axis=2)
    closest = np.take_along_axis(
        nearest, np.argsort(distances, axis=1)[:, : exemplars.blend_neighbours], axis=1
    )
    targets = exemplars.references[closest].mean(axis=1)
    return (1.0 - exemplars.blend) * residual + exemplars.blend * (targets - cepstra)


def reference_pull(cepstra: np.ndarray, exemplars: Exemplars | None) -> np.ndarray:
    """(T, ORDER) change that moves each (already converted) frame ``pull`` of the way to the mean of
    its nearest *reference* frames, level (c0) included: the kNN-VC idea, with the query already in
    the target's space. Stronger pulls raise similarity and cost intelligibility (see parallel.py)."""
    if exemplars is None or exemplars.pull <= 0 or len(exemplars.sources) == 0:
        return np.zeros_like(cepstra)
    dims = slice(1, exemplars.match_dims + 1)
    references = exemplars.references
    nearest = _nearest(cepstra[:, dims].astype(np.float32), references[:, dims], exemplars.pull_neighbours)
    return exemplars.pull * (references[nearest].mean(axis=1) - cepstra)


def with_spread(
    cepstra: np.ndarray, spectral: SpectralMap, speech: np.ndarray, similarity: float = 1.0
) -> np.ndarray:
    """Global-variance compensation: averaging neighbours flattens the envelope's movement over time,
    so each coefficient's spread over the phrase's speech frames is moved ``spread_strength`` (times
    ``similarity``) of the way (in log ratio) to the reference's spread. c0 (level) is left alone."""
    strength = spectral.spread_strength * similarity
    if spectral.spread is None or strength <= 0 or speech.sum() < _MIN_SPREAD_FRAMES:
        return cepstra
    frames = cepstra[speech]
    mean = frames.mean(axis=0)
    ratio = (spectral.spread / (frames.std(axis=0) + 1e-6)) ** strength
    ratio[0] = 1.0
    result = cepstra.copy()
    result[speech] = mean + (frames - mean) * ratio
    return result


def convert_envelope(
    log_sp: np.ndarray, spectral: SpectralMap, speech: np.ndarray, similarity: float = 1.0
) -> np.ndarray:
    """Warp, EQ, the exemplar residual, the pull toward reference frames, then the reference's
    spread (all but warp and EQ only on speech frames: pauses keep the base's silence).

    ``similarity`` (0..1, the user's similarity boost) scales the three voice-specific steps: 1 is
    the full conversion, 0 the warp and EQ alone. Lower values speak more clearly and sound less like
    the reference (bench/offline_engine.py measures both)."""
    converted = world.warp_frequency(log_sp, spectral.warp) + world.from_cepstrum(spectral.eq)
    cepstra = world.to_cepstrum(converted)
    applied = similarity * speech[:, None]
    current = cepstra + exemplar_offsets(cepstra, spectral.exemplars) * applied
    current = current + reference_pull(current, spectral.exemplars) * applied
    current = with_spread(current, spectral, speech, similarity)
    return converted + world.from_cepstrum(current - cepstra)
