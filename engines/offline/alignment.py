"""Dynamic time warping of two feature sequences (numpy only, no numba compile at first use).

The cumulative cost is computed one anti-diagonal at a time: every cell on a diagonal depends only on
the two previous diagonals, so each step is a handful of vectorised slice operations, limited to a
band around the straight line (the two sequences say the same text).
"""

from __future__ import annotations

import numpy as np

_STEP_DIAGONAL, _STEP_UP, _STEP_LEFT = 0, 1, 2
MIN_BAND_FRAMES = 400  # the path may stray this far (source + target frames) from the straight line
MAX_BAND_FRAMES = 2400  # bounds memory (steps are n_diagonals x band bytes) and time on long clips
GUIDE_BAND_FRAMES = 60  # a realignment may move this far (each way, on a diagonal) from the first path


def _window(d: int, n: int, m: int, half: int, centres: np.ndarray | None = None) -> tuple[int, int]:
    """Rows [lo, hi) of anti-diagonal d (cells (i, d - i)) inside the matrix and the band (around the
    straight line, or around ``centres[d]``, a guide path's row on that diagonal)."""
    lo_valid, hi_valid = max(0, d - m + 1), min(n, d + 1)
    centre = int(round(d * n / (n + m))) if centres is None else int(centres[d])
    lo = min(max(lo_valid, centre - half), hi_valid - 1)
    hi = max(min(hi_valid, centre + half + 1), lo + 1)
    return lo, hi


def _accumulate(
    a: np.ndarray, b: np.ndarray, half: int, centres: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Best step into every banded cell: ``steps[i + j, i - starts[i + j]]``.

    Costs (Euclidean frame distances) are computed per diagonal, only inside the band, so memory
    stays O((n + m) x band) however long the clips are.
    """
    n, m = len(a), len(b)
    steps = np.zeros((n + m - 1, 2 * half + 1), dtype=np.int8)
    starts = np.zeros(n + m - 1, dtype=np.int64)
    before_previous = np.full(n + 1, np.inf, dtype=np.float32)  # index i + 1 holds row i
    previous = np.full(n + 1, np.inf, dtype=np.float32)
    previous[1] = np.linalg.norm(a[0] - b[0])
    for d in range(1, n + m - 1):
        lo, hi = _window(d, n, m, half, centres)
        rows = np.arange(lo, hi)
        diagonal = before_previous[lo:hi]  # (i-1, j-1) on diagonal d-2
        up = previous[lo:hi]  # (i-1, j) on d-1
        left = previous[lo + 1 : hi + 1]  # (i, j-1) on d-1
        best = np.minimum(diagonal, up)
        choice = np.where(up < diagonal, _STEP_UP, _STEP_DIAGONAL)
        choice = np.where(left < best, _STEP_LEFT, choice)
        starts[d] = lo
        steps[d, : hi - lo] = choice
        current = np.full(n + 1, np.inf, dtype=np.float32)
        cost = np.sqrt(((a[rows] - b[d - rows]) ** 2).sum(axis=1))
        current[lo + 1 : hi + 1] = cost + np.minimum(best, left)
        before_previous, previous = previous, current
    return steps, starts


def dtw_path(
    a: np.ndarray, b: np.ndarray, band: int | None = None, guide: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (i, j) of the cheapest monotonic path from (0, 0) to (n-1, m-1), Euclidean frame cost.

    ``band`` (source + target frames) limits how far the path may leave the straight line, or, with
    ``guide`` (for every source frame, a target frame: an earlier alignment), that guide path.
    """
    n, m = len(a), len(b)
    half = (band or 2 * (n + m)) // 2
    centres = None
    if guide is not None:
        rows = np.arange(n)
        centres = np.interp(np.arange(n + m - 1), rows + np.maximum.accumulate(guide), rows)
    steps, starts = _accumulate(a.astype(np.float32), b.astype(np.float32), min(half, n), centres)
    i, j = n - 1, m - 1
    path_i, path_j = [i], [j]
    while i > 0 or j > 0:
        step = steps[i + j, i - starts[i + j]] if i > 0 and j > 0 else (_STEP_UP if i > 0 else _STEP_LEFT)
        if step == _STEP_DIAGONAL:
            i, j = i - 1, j - 1
        elif step == _STEP_UP:
            i -= 1
        else:
            j -= 1
        path_i.append(i)
        path_j.append(j)
    return np.array(path_i[::-1]), np.array(path_j[::-1])


def _normalised(features: np.ndarray) -> np.ndarray:
    return (features - features.mean(axis=0)) / (features.std(axis=0) + 1e-8)


def align(
    source: np.ndarray,
    target: np.ndarray,
    *,
    normalise: bool = True,
    guide: np.ndarray | None = None,
    decimate: int = 1,
) -> np.ndarray:
    """For every source frame, the index of its aligned target frame (Euclidean DTW).

    ``normalise`` z-scores each sequence on its own first, which removes most of the difference
    between two speakers' average spectra so the first alignment follows the phones, not the voice.
    ``guide`` (an earlier alignment of the same frames) keeps the path within GUIDE_BAND_FRAMES of it
    instead of a wide band around the diagonal: a realignment then costs a tenth. ``decimate`` aligns
    every n-th frame only (n^2 less work) and spreads the result back over all source frames.
    """
    a = _normalised(source) if normalise else source
    b = _normalised(target) if normalise else target
    if decimate > 1:
        coarse = align(a[::decimate], b[::decimate], normalise=False)
        rows = np.arange(len(a)) / decimate
        mapping = np.interp(rows, np.arange(len(coarse)), coarse.astype(float)) * decimate
        return np.clip(np.round(mapping), 0, len(b) - 1).astype(np.int64)
    if guide is not None:
        path_i, path_j = dtw_path(a, b, band=2 * GUIDE_BAND_FRAMES, guide=guide)
    else:
        band = int(np.clip(0.3 * min(len(a), len(b)), MIN_BAND_FRAMES, MAX_BAND_FRAMES))
        path_i, path_j = dtw_path(a, b, band=band)
    # One target frame per source frame: the middle of the run the path spends on that source frame.
    _, first, count = np.unique(path_i, return_index=True, return_counts=True)
    return path_j[first + count // 2]
