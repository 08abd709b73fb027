"""The offline engine's fast paths give the same answers as the slow ones; the calibration's choice."""

from __future__ import annotations

import numpy as np
import pytest


def _warped_speech_like(seed: int = 0):
    """Two feature sequences saying "the same thing" at different tempi, and each frame's state."""
    rng = np.random.default_rng(seed)
    states = rng.standard_normal((40, 12)) * 3.0
    durations = rng.integers(3, 9, size=40)
    source = np.repeat(states, durations, axis=0)
    stretched = np.maximum(1, np.round(durations * rng.uniform(0.6, 1.6, size=40)).astype(int))
    target = np.repeat(states, stretched, axis=0)
    source = source + 0.1 * rng.standard_normal(source.shape)
    target = target + 0.1 * rng.standard_normal(target.shape)
    state_of_source = np.repeat(np.arange(40), durations)
    state_of_target = np.repeat(np.arange(40), stretched)
    return source, target, (state_of_source, state_of_target)


def test_a_realignment_guided_by_a_coarse_one_finds_the_same_phones():
    from engines.offline.alignment import align

    source, target, states = _warped_speech_like()
    state_of_source, state_of_target = states
    full = align(source, target, normalise=False)
    coarse = align(source, target, normalise=False, decimate=2)
    guided = align(source, target, normalise=False, guide=coarse)
    exact = (state_of_target[full] == state_of_source).mean()
    assert exact > 0.95
    assert (state_of_target[guided] == state_of_source).mean() >= exact - 0.01
    assert (state_of_target[coarse] == state_of_source).mean() > 0.8  # coarse, but it only steers


def test_the_warp_search_as_one_product_matches_warping_every_frame():
    from engines.offline import world
    from engines.offline.parallel import WARP_GRID, search_warp

    rng = np.random.default_rng(1)
    source = rng.standard_normal((300, world.N_BINS)).cumsum(axis=1) * 0.05
    truth = WARP_GRID[17]
    target = world.to_cepstrum(world.warp_frequency(source, truth)) + 0.3  # plus a constant EQ
    assert search_warp(source, target) == pytest.approx(truth)
    maps = world.warped_cepstrum_maps((0.83, 1.21), 25)
    for index, factor in enumerate((0.83, 1.21)):
        expected = world.to_cepstrum(world.warp_frequency(source, factor))[:, :25]
        assert np.abs(source @ maps[:, index] - expected).max() < 1e-9


def test_calibration_picks_the_strongest_conversion_the_asr_still_understands():
    from engines.offline.calibration import operating_point

    def results(*wers):
        return [{"strength": s, "wer": w} for s, w in zip((1.0, 0.9, 0.8, 0.7, 0.6, 0.5), wers, strict=True)]

    assert operating_point(results(0.08, 0.05, 0.01, 0.0, 0.0, 0.0)) == 0.8
    assert operating_point(results(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)) == 1.0
    # Even the weakest mishears one word: that is the base voice's, so it does not hold the voice back.
    assert operating_point(results(0.09, 0.04, 0.03, 0.03, 0.03, 0.03)) == 0.8
    # A lone pass at full strength above failures is luck, not clarity.
    assert operating_point(results(0.0, 0.05, 0.04, 0.0, 0.0, 0.0)) == 0.7
