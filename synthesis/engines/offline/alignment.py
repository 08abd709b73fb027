"""Dynamic time warping of two feature sequences (numpy only, no numba compile at first use).

The cumulative cost is computed one anti-diagonal at a time: every cell on a diagonal depends only on
the two previous diagonals, so each step is a handful of vectorised slice operations, limited to a
band around the straight line (the two sequences say the same text).
"""

from __future__ import annotations

import numpy as np

_STEP_DIAGONAL, _STEP_UP, _STEP_LEFT = 0, 1, 2
BAND_FRAMES = 400  # the path may stray this far (in source + target frames) from the straight line


def _window(d: int, n: int, m: int, band: int) -> tuple[int, int]:
    """Rows i of anti-diagonal d (cells (i, d - i)) inside the matrix and the band."""
    centre = d * n / (n + m)
    lo = max(0, d - m + 1, int(centre - band / 2))
    hi = min(n, d + 1, int(centre + band / 2) + 1)
    if lo >= hi:  # keep the path connected where the band is narrower than a step
        lo, hi = max(0, d - m + 1), min(n, d + 1)
    return lo, hi


def _accumulate(cost: np.ndarray, band: int) -> np.ndarray:
    """Best step into every cell, stored by anti-diagonal: ``steps[i + j, i]``."""
    n, m = cost.shape
    flat = cost.ravel()
    steps = np.zeros((n + m - 1, n), dtype=np.int8)
    before_previous = np.full(n + 1, np.inf, dtype=np.float32)  # index i + 1 holds row i
    previous = np.full(n + 1, np.inf, dtype=np.float32)
    previous[1] = flat[0]
    for d in range(1, n + m - 1):
        lo, hi = _window(d, n, m, band)
        rows = np.arange(lo, hi)
        diagonal = before_previous[lo:hi]  # (i-1, j-1) on diagonal d-2
        up = previous[lo:hi]  # (i-1, j) on d-1
        left = previous[lo + 1 : hi + 1]  # (i, j-1) on d-1
        best = np.minimum(diagonal, up)
        choice = np.where(up < diagonal, _STEP_UP, _STEP_DIAGONAL)
        choice = np.where(left < best, _STEP_LEFT, choice)
        steps[d, lo:hi] = choice
        current = np.full(n + 1, np.inf, dtype=np.float32)
        current[lo + 1 : hi + 1] = flat[rows * m + (d - rows)] + np.minimum(best, left)
        before_previous, previous = previous, current
    return steps


def dtw_path(cost: np.ndarray, band: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Indices (i, j) of the cheapest monotonic path from (0, 0) to (n-1, m-1) through ``cost``.

    ``band`` (frames) limits how far the path may leave the straight line; None means no limit.
    """
    n, m = cost.shape
    steps = _accumulate(np.ascontiguousarray(cost, dtype=np.float32), band or (n + m) * 2)
    i, j = n - 1, m - 1
    path_i, path_j = [i], [j]
    while i > 0 or j > 0:
        step = steps[i + j, i] if i > 0 and j > 0 else (_STEP_UP if i > 0 else _STEP_LEFT)
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


def align(source: np.ndarray, target: np.ndarray, *, normalise: bool = True) -> np.ndarray:
    """For every source frame, the index of its aligned target frame (Euclidean DTW).

    ``normalise`` z-scores each sequence on its own first, which removes most of the difference
    between two speakers' average spectra so the first alignment follows the phones, not the voice.
    """
    a = _normalised(source) if normalise else source
    b = _normalised(target) if normalise else target
    cost = np.sqrt(np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T, 0.0))
    path_i, path_j = dtw_path(cost, band=max(BAND_FRAMES, int(0.3 * min(cost.shape))))
    # One target frame per source frame: the middle of the run the path spends on that source frame.
    _, first, count = np.unique(path_i, return_index=True, return_counts=True)
    return path_j[first + count // 2]
