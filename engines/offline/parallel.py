"""The self-parallel spectral map: the base voice says the reference's words, then we compare.

Method (overview in docs/engines.md, "The offline engine"): the base voice says each reference's
transcript, so both say the same words. After a first DTW on z-scored cepstra, a frequency-warp factor
is chosen by grid search on the aligned frames (the long-term EQ absorbs the average difference, so the
warp is judged on the shape of the envelope only); warp + EQ is the *global* transform. The converted
base is aligned again (now comparable without z-scoring), warp and EQ are searched again on that better
alignment, and the aligned frame pairs are kept as exemplars: at synthesis a frame takes the mean
residual (reference - converted base) of its 16 nearest exemplars, blended 30 % toward the mean
reference envelope of its 4 nearest (see ``conversion.exemplar_offsets``).

Measured on bench/offline_engine.py's six voices (d-vector cosine to a held-out clip, mean; Whisper
tiny.en WER): global only 0.69; 24-class diagonal GMM residual (the design prototype's method) 0.76;
nearest-exemplar residual 0.84 (WER 2.9 %); with the 30 % blend 0.86 (WER 2.9 %). More blend or
unit selection of whole exemplar runs reached 0.88-0.89 but WER 4-35 %.

Two steps follow at synthesis (``conversion.convert_envelope``), measured on the same voices with
fixed base-voice audio: no temporal smoothing of the residual (0.861 -> 0.875: the envelope's
movement is part of the voice), a 50 % pull of every frame, level included, toward the mean of its
4 nearest *reference* frames (-> 0.896), and global-variance compensation halfway (in log ratio)
to the reference's per-coefficient spread (-> 0.906, worst voice 0.775 -> 0.860; WER 4.7 -> 6.4 %
on the benchmark text). Aperiodicity matching and a long-term post-EQ gave nothing (< 0.002).

The speech setting ``similarity_boost`` scales the residual, the pull and the spread together, so a
user picks the trade-off: on the bench (three texts, two runs) 1.0 gives score 0.89 and WER 6.1-6.5 %,
0.8 (the default) 0.88 and 2.0-2.6 %, 0.6 0.83 and 2 %, against 0.8-1.0 % for the global transform
alone. Also measured on fixed base audio, with no gain beyond noise: pulling with a joint distance
(converted frame and its base frame, so that neighbours keep the phone), residual and pull on
c1..c23 only, and weaker steps at fast spectral transitions (each moved along the same likeness/WER
line as a weaker boost).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import world
from .alignment import align
from .clips import Clip, analysed_clip
from .profile import Exemplars, SpectralMap

if TYPE_CHECKING:
    from .preparation import TrainingSettings


WARP_GRID = np.exp(np.linspace(np.log(0.78), np.log(1.30), 53))
COARSE_WARP_GRID = WARP_GRID[::4]  # 14 factors, both ends kept
_ALIGN_DIMS = 25  # c0 .. c24 drive the alignment


@dataclass
class Pair:
    """A reference and the base voice saying its transcript, frame-aligned (base -> reference)."""

    target: Clip
    base: Clip
    mapping: np.ndarray  # for each base frame, the aligned reference frame index


def _cepstra(clip: Clip) -> np.ndarray:
    return world.to_cepstrum(clip.features.log_sp)


def make_pair(target: Clip, base: Clip | np.ndarray) -> Pair:
    """``base``: the base voice saying ``target.transcript``, as audio or already analysed."""
    if isinstance(base, np.ndarray):
        base = analysed_clip(base, target.transcript, target.emotion)
    # Every other frame: this alignment only steers the first warp and the realignment (4x faster).
    mapping = align(
        _cepstra(base)[:, :_ALIGN_DIMS], _cepstra(target)[:, :_ALIGN_DIMS], normalise=True, decimate=2
    )
    return Pair(target=target, base=base, mapping=mapping)


def _aligned_frames(
    pairs: list[Pair], source_log_sp: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stacked (source log envelopes, target cepstra, both-voiced mask) over frames speech on both sides."""
    sources, targets, voiced = [], [], []
    for pair, log_sp in zip(pairs, source_log_sp, strict=True):
        base_index = np.arange(len(pair.mapping))
        target_index = pair.mapping
        keep = pair.base.speech[base_index] & pair.target.speech[target_index]
        sources.append(log_sp[base_index[keep]])
        targets.append(world.to_cepstrum(pair.target.features.log_sp[target_index[keep]]))
        voiced.append(
            pair.base.features.voiced[base_index[keep]] & pair.target.features.voiced[target_index[keep]]
        )
    return np.concatenate(sources), np.concatenate(targets), np.concatenate(voiced)


def search_warp(source_log_sp: np.ndarray, target_cepstra: np.ndarray, grid: np.ndarray = WARP_GRID) -> float:
    """The warp factor whose warped source envelopes best match the target up to a constant EQ.

    Warping and the cepstral map are both linear, so each factor is one (bins x dims) matrix and the
    whole grid is a single matrix product (was a loop warping every frame once per factor: 10x slower).
    """
    maps = world.warped_cepstrum_maps(tuple(float(f) for f in grid), _ALIGN_DIMS)  # (BINS, F, dims)
    predicted = (source_log_sp @ maps.reshape(world.N_BINS, -1)).reshape(len(source_log_sp), len(grid), -1)
    difference = target_cepstra[:, None, :_ALIGN_DIMS] - predicted
    difference -= difference.mean(axis=0)
    errors = (difference[:, :, 1:] ** 2).sum(axis=2).mean(axis=0)
    return float(grid[int(np.argmin(errors))])


def global_map(pairs: list[Pair], grid: np.ndarray = WARP_GRID) -> SpectralMap:
    sources, targets, voiced = _aligned_frames(pairs, [p.base.features.log_sp for p in pairs])
    warp = search_warp(sources[voiced], targets[voiced], grid)
    eq = (targets - world.to_cepstrum(world.warp_frequency(sources, warp))).mean(axis=0)
    return SpectralMap(warp=warp, eq=eq)


def converted_log_sp(log_sp: np.ndarray, spectral: SpectralMap) -> np.ndarray:
    return world.warp_frequency(log_sp, spectral.warp) + world.from_cepstrum(spectral.eq)


def realigned(pairs: list[Pair], spectral: SpectralMap) -> list[Pair]:
    """Align again, converted base against reference: closer spectra, better phone boundaries."""
    result = []
    for pair in pairs:
        source = world.to_cepstrum(converted_log_sp(pair.base.features.log_sp, spectral))
        mapping = align(
            source[:, :_ALIGN_DIMS],
            _cepstra(pair.target)[:, :_ALIGN_DIMS],
            normalise=False,
            guide=pair.mapping,
        )
        result.append(Pair(pair.target, pair.base, mapping))
    return result


def exemplars_from(pairs: list[Pair], spectral: SpectralMap, settings: TrainingSettings) -> Exemplars:
    converted = [converted_log_sp(p.base.features.log_sp, spectral) for p in pairs]
    sources, targets, _ = _aligned_frames(pairs, converted)
    source_cepstra = world.to_cepstrum(sources)
    keep = np.linspace(0, len(sources) - 1, min(len(sources), settings.max_exemplars)).astype(int)
    return Exemplars(
        sources=source_cepstra[keep].astype(np.float32),
        residuals=(targets - source_cepstra)[keep].astype(np.float32),
        match_dims=settings.match_dims,
        neighbours=settings.neighbours,
        blend_neighbours=settings.blend_neighbours,
        blend=settings.blend,
        pull=settings.pull,
        pull_neighbours=settings.pull_neighbours,
    )
