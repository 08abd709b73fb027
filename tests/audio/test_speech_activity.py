from __future__ import annotations

import numpy as np
import pytest

from audio.speech_activity import keep_speech, quiet_cut, speech_duration, speech_segments, trim_silence

RATE = 16000


@pytest.fixture(scope="module")
def sentence(speak) -> np.ndarray:
    return speak("The quick brown fox jumps over the lazy dog, and then it ran into the forest.")


@pytest.fixture(scope="module")
def padded(sentence, signals) -> np.ndarray:
    """Two seconds of quiet room noise, the sentence, three more seconds of room noise."""
    speech = np.concatenate([signals.silence(2.0), sentence, signals.silence(3.0)])
    return speech + signals.noise(len(speech) / RATE, 0.001)


def test_it_finds_the_speech_between_the_silences(padded, sentence):
    segments = speech_segments(padded, RATE)

    assert segments
    assert segments[0][0] == pytest.approx(2.0, abs=0.25)
    assert segments[-1][1] == pytest.approx(2.0 + len(sentence) / RATE, abs=0.35)
    assert speech_duration(segments) == pytest.approx(len(sentence) / RATE, abs=0.6)


def test_it_works_at_any_sample_rate(speak, signals):
    at_44k = np.concatenate(
        [signals.silence(1.0, 44100), speak("Hello there, how are you today?", rate=44100)]
    )

    segments = speech_segments(at_44k, 44100)

    assert segments and segments[0][0] == pytest.approx(1.0, abs=0.25)


@pytest.mark.parametrize("level", [0.0, 0.002, 0.02])
def test_it_finds_no_speech_in_silence_or_steady_noise(signals, level):
    assert speech_segments(signals.noise(5.0, level), RATE) == []


def test_it_finds_no_speech_in_a_steady_tone(signals):
    assert speech_segments(signals.tone(3.0), RATE) == []


def test_trimming_keeps_the_speech_and_a_margin(padded, sentence):
    segments = speech_segments(padded, RATE)

    trimmed = trim_silence(padded, RATE, segments, pad=0.15)

    assert len(trimmed) / RATE == pytest.approx(speech_duration(segments) + 0.3, abs=0.01)
    assert len(sentence) / RATE - 0.6 < len(trimmed) / RATE < len(sentence) / RATE + 0.6


def test_trimming_silence_leaves_nothing(signals):
    assert trim_silence(signals.silence(2.0), RATE).size == 0


def test_keep_speech_shortens_long_pauses_only(signals, sentence):
    pause = signals.silence(2.0)
    audio = np.concatenate([sentence, pause, sentence])
    segments = [(0.5, 1.5), (1.8, 2.5), (5.0, 6.0)]  # pauses of 0.3 s (kept) and 2.5 s (shortened)

    kept = keep_speech(audio, RATE, segments, max_gap=0.5)

    # 0.25 s lead-in + 0.5..2.5 (with the short pause) + 0.5 s gap + 5.0..6.0 + 0.25 s tail
    assert len(kept) / RATE == pytest.approx(0.25 + 2.0 + 0.5 + 1.0 + 0.25, abs=0.002)
    np.testing.assert_array_equal(kept[: int(2.25 * RATE)], audio[int(0.25 * RATE) : int(2.5 * RATE)])


def test_keep_speech_without_segments_is_empty(sentence):
    assert keep_speech(sentence, RATE, []).size == 0


def test_speech_across_the_one_minute_seam_is_measured_as_one_stretch(padded, sentence, signals):
    # The VAD runs a minute at a time (bounded memory on long uploads); the sentence straddles the seam.
    lead = 60.0 - 2.0 - len(sentence) / RATE / 2
    long = np.concatenate([signals.silence(lead), padded, signals.silence(30.0)])
    long = long + signals.noise(len(long) / RATE, 0.001, seed=1)

    alone, straddling = speech_segments(padded, RATE), speech_segments(long, RATE)

    assert straddling[0][0] == pytest.approx(lead + alone[0][0], abs=0.1)
    assert straddling[-1][1] == pytest.approx(lead + alone[-1][1], abs=0.1)
    assert speech_duration(straddling) == pytest.approx(speech_duration(alone), abs=0.5)


def test_a_quiet_cut_lands_in_the_pause_before_the_limit():
    rate = 16000
    rng = np.random.default_rng(0)
    speech = (0.3 * rng.standard_normal(6 * rate)).astype(np.float32)
    speech[int(4.2 * rate) : int(4.5 * rate)] *= 0.001  # a pause between 4.2 and 4.5 s
    cut = quiet_cut(speech, rate, 5.0)
    assert 4.2 * rate <= cut <= 4.5 * rate
    assert quiet_cut(speech, rate, 10.0) == len(speech)  # shorter than the limit: all of it
