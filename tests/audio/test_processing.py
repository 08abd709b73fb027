from __future__ import annotations

import math

import numpy as np
import pytest

from audio.processing import (
    PEAK_CEILING,
    denoise,
    loudness_lufs,
    noise_like,
    normalize_loudness,
    quality_label,
    remove_noise,
    snr_db,
    speech_snr_db,
)
from audio.speech_activity import keep_speech, speech_segments

RATE = 16000


@pytest.fixture(scope="module")
def recording(speak, signals) -> np.ndarray:
    sentence = speak("Please call Stella and ask her to bring these things with her from the store.")
    return np.concatenate([signals.silence(1.0), sentence, signals.silence(1.0)])


@pytest.mark.parametrize("target", [-30.0, -23.0, -16.0])
def test_normalisation_hits_the_target_loudness_without_clipping(recording, target):
    quiet = recording * 0.05

    normalised = normalize_loudness(quiet, RATE, target_lufs=target)

    assert loudness_lufs(normalised, RATE) == pytest.approx(target, abs=0.5)
    assert np.abs(normalised).max() <= PEAK_CEILING + 1e-6


def test_an_unreachable_target_is_limited_rather_than_clipped(recording):
    normalised = normalize_loudness(recording, RATE, target_lufs=-6.0)

    assert np.abs(normalised).max() <= PEAK_CEILING + 1e-6
    assert loudness_lufs(normalised, RATE) > loudness_lufs(recording, RATE) + 3


def test_very_short_audio_is_measured_and_normalised(recording):
    blip = recording[RATE + 2000 : RATE + 2000 + int(0.2 * RATE)]

    assert math.isfinite(loudness_lufs(blip, RATE))
    assert loudness_lufs(normalize_loudness(blip, RATE), RATE) == pytest.approx(-23.0, abs=0.5)


def test_silence_is_left_alone(signals):
    silent = signals.silence(1.0)

    assert loudness_lufs(silent, RATE) == -math.inf
    assert not normalize_loudness(silent, RATE).any()


def test_snr_orders_clean_above_noisy_recordings(recording, signals):
    scores = []
    for level in (0.0005, 0.004, 0.012, 0.08):  # about 45, 27, 17 and 1 dB
        noisy = recording + signals.noise(len(recording) / RATE, level, seed=1)
        scores.append(snr_db(noisy, RATE, speech_segments(noisy, RATE)))

    assert scores == sorted(scores, reverse=True)
    assert [quality_label(s) for s in scores] == ["excellent", "good", "fair", "poor"]


def test_snr_without_background_uses_the_quietest_frames(recording, signals):
    speech_only = recording[RATE:-RATE]
    clean = speech_only + signals.noise(len(speech_only) / RATE, 0.0005, seed=2)
    noisy = speech_only + signals.noise(len(speech_only) / RATE, 0.02, seed=2)
    everything = [(0.0, len(speech_only) / RATE)]

    assert snr_db(clean, RATE, everything) > snr_db(noisy, RATE, everything) + 15


def test_snr_of_a_recording_without_speech_is_zero(signals):
    assert snr_db(signals.noise(2.0, 0.01), RATE, []) == 0.0


def test_quality_labels_follow_the_documented_thresholds():
    assert [quality_label(x) for x in (100, 35, 34.9, 25, 15, 14.9, -3)] == [
        "excellent",
        "excellent",
        "good",
        "good",
        "fair",
        "poor",
        "poor",
    ]


def test_denoising_raises_the_snr_of_a_noisy_recording(recording, signals):
    noisy = recording + signals.noise(len(recording) / RATE, 0.01, seed=3)
    segments = speech_segments(recording, RATE)

    cleaned = denoise(noisy, RATE, noise=noisy[: RATE // 2])

    assert cleaned.dtype == np.float32 and len(cleaned) == len(noisy)
    assert snr_db(cleaned, RATE, segments) > snr_db(noisy, RATE, segments) + 10


def test_audio_too_short_to_denoise_is_returned_as_is(signals):
    blip = signals.noise(0.05, 0.1)

    np.testing.assert_array_equal(denoise(blip, RATE, noise=blip), blip)


def test_noise_like_has_the_spectrum_of_the_noise_it_copies(signals):
    """Consent's voice check plays the samples through the recording's noise: low hum stays low, hiss
    stays high, and the same seed gives the same noise (a verdict must be reproducible)."""
    from scipy.signal import butter, sosfilt

    hiss = signals.noise(2.0, 0.1, seed=5)
    rumble = sosfilt(butter(4, 300, fs=RATE, output="sos"), hiss).astype(np.float32)

    def low_share(audio: np.ndarray) -> float:
        power = np.abs(np.fft.rfft(audio)) ** 2
        return float(power[: power.size * 500 // (RATE // 2)].sum() / power.sum())  # under 500 Hz

    copied = noise_like(rumble, 3 * RATE, seed=1)
    assert copied.dtype == np.float32 and copied.size == 3 * RATE
    assert math.isclose(float(np.sqrt(np.mean(copied.astype(np.float64) ** 2))), 1.0, rel_tol=1e-3)
    assert low_share(copied) > 0.95 and low_share(noise_like(hiss, 3 * RATE)) < 0.1
    np.testing.assert_array_equal(copied, noise_like(rumble, 3 * RATE, seed=1))
    assert not np.any(noise_like(np.zeros(RATE, np.float32), RATE))  # silence copies as silence


def test_noise_removal_leaves_a_clean_recording_as_it_is(recording, signals):
    clean = recording + signals.noise(len(recording) / RATE, 0.0005, seed=4)  # about 45 dB

    segments = speech_segments(clean, RATE)

    speech, verdict = remove_noise(clean, RATE, segments)

    assert verdict == "skipped: already clean"
    np.testing.assert_array_equal(speech, keep_speech(clean, RATE, segments))


def test_noise_removal_raises_the_snr_the_analysis_reports_on_a_noisy_recording(recording, signals):
    noisy = recording + signals.noise(len(recording) / RATE, 0.02, seed=5)  # about 11 dB
    segments = speech_segments(noisy, RATE)

    speech, verdict = remove_noise(noisy, RATE, segments)

    assert verdict == "applied" and len(speech) == len(keep_speech(noisy, RATE, segments))
    assert speech_snr_db(speech, RATE) > speech_snr_db(keep_speech(noisy, RATE, segments), RATE) + 10


def test_noise_removal_without_background_to_measure_leaves_the_speech_alone(recording, signals):
    speech_only = recording[RATE:-RATE] + signals.noise(len(recording) / RATE - 2, 0.02, seed=6)

    speech, verdict = remove_noise(speech_only, RATE, [(0.0, len(speech_only) / RATE)])

    assert verdict == "skipped: no background to measure"
    np.testing.assert_array_equal(speech, speech_only)
