"""Consent verification on real speech (flite voices as speakers), plus the text rules it relies on.

The audio cases are the four the product promises: the speaker reading the phrase passes; the same
speaker saying something else, another speaker reading the phrase, and silence all fail.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from audio import consent
from errors import InvalidInput

CODE = "4719"
PHRASE = consent.consent_phrase("Jane Doe", CODE)
SAMPLE_SENTENCES = (
    "The morning train was late again, so I walked along the river and watched the boats go by.",
    "Please remember to water the plants on the balcony while I am away next week.",
)


def _flite(voice: str, text: str) -> tuple[np.ndarray, int]:
    import soundfile

    if shutil.which("flite") is None:
        pytest.skip("flite is not installed (apt-get install flite)")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "speech.wav")
        subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(path)], check=True)
        samples, rate = soundfile.read(path, dtype="float32")
    return samples, rate


def _references(voice: str) -> list[tuple[np.ndarray, int]]:
    return [_flite(voice, text) for text in SAMPLE_SENTENCES]


@pytest.fixture(scope="module")
def jane_samples() -> list[tuple[np.ndarray, int]]:
    return _references("slt")


def _verify(
    clip: tuple[np.ndarray, int], references: list[tuple[np.ndarray, int]]
) -> consent.ConsentEvidence:
    samples, rate = clip
    return consent.verify_consent(samples, rate, phrase=PHRASE, code=CODE, references=references)


# --- the four cases, with real audio -----------------------------------------------------------


def test_the_speaker_reading_the_phrase_is_verified(jane_samples):
    evidence = _verify(_flite("slt", PHRASE), jane_samples)
    assert evidence.decision == "verified", evidence.reason
    assert evidence.digits_ok
    assert evidence.refusal_margin > consent.REFUSAL_MARGIN  # "agree" fits better than "do not agree"
    assert evidence.wer <= evidence.wer_threshold
    assert evidence.similarity >= evidence.similarity_threshold
    assert "agree that my voice may be cloned" in evidence.transcript.lower()
    assert not evidence.generated and evidence.watermark_confidence < 0.1  # a live reading


def test_the_same_speaker_saying_something_else_fails(jane_samples):
    evidence = _verify(
        _flite("slt", "I would like a large coffee with oat milk and a muffin, please."), jane_samples
    )
    assert evidence.decision == "failed"
    assert evidence.wer > evidence.wer_threshold
    assert not evidence.digits_ok
    assert "did not match the consent phrase" in evidence.reason
    assert evidence.similarity >= evidence.similarity_threshold  # the voice itself was right


def test_another_speaker_reading_the_phrase_fails(jane_samples):
    evidence = _verify(_flite("awb", PHRASE), jane_samples)
    assert evidence.decision == "failed"
    assert evidence.wer <= evidence.wer_threshold and evidence.digits_ok  # the words were right
    assert evidence.similarity < evidence.similarity_threshold
    assert "voice does not match the samples" in evidence.reason
    assert f"need {evidence.similarity_threshold:.2f}" in evidence.reason


def test_silence_fails_without_transcribing(jane_samples):
    rng = np.random.default_rng(0)
    for clip in (
        np.zeros(16000 * 5, np.float32),
        (0.001 * rng.standard_normal(16000 * 5)).astype(np.float32),
    ):
        evidence = _verify((clip, 16000), jane_samples)
        assert evidence.decision == "failed"
        assert evidence.reason.startswith("No speech was found")
        assert evidence.transcript == "" and evidence.similarity is None


# --- further ways to get it wrong --------------------------------------------------------------


def test_a_reading_with_the_studios_watermark_is_refused_as_generated_speech(jane_samples):
    """The right words in the right voice, but generated (here: the speaker's reading, watermarked
    as the studio marks its output): only the generator reason is given, as no re-reading fixes it."""
    from audio import watermark

    samples, rate = _flite("slt", PHRASE)
    evidence = _verify((watermark.embed(samples, rate), rate), jane_samples)
    assert evidence.decision == "failed" and evidence.generated
    assert evidence.watermark_confidence >= evidence.watermark_threshold == watermark.DETECTION_THRESHOLD
    assert evidence.reason.startswith("This recording was made by a speech generator")
    assert evidence.reason.endswith("Consent must be the speaker reading the phrase live, into a microphone.")
    # Everything else was measured all the same, for the record, and passed.
    assert evidence.digits_ok and evidence.similarity >= evidence.similarity_threshold


def test_an_old_recording_with_another_code_fails(jane_samples):
    """Whisper is primed with the phrase's name and studio; the prompt must not carry the code."""
    evidence = _verify(_flite("slt", consent.consent_phrase("Jane Doe", "8206")), jane_samples)
    assert evidence.decision == "failed"
    assert not evidence.digits_ok
    assert evidence.code_margin < consent.CODE_MARGIN  # scored against the recording too: 8206 fits it better
    assert "code was not heard" in evidence.reason


@pytest.fixture(scope="module")
def jane_reading() -> tuple[np.ndarray, int]:
    return _flite("slt", PHRASE)


def _with_white_noise(clip: tuple[np.ndarray, int], snr_db: float = 20.0) -> tuple[np.ndarray, int]:
    samples, rate = clip
    power = float(np.mean(samples.astype(np.float64) ** 2))
    noise = np.random.default_rng(18).standard_normal(samples.size) * np.sqrt(power / 10 ** (snr_db / 10))
    return (samples + noise).astype(np.float32), rate


def test_a_reading_in_steady_noise_still_sounds_like_the_speaker(jane_samples, jane_reading):
    """20 dB of hiss moved a reading's d-vector far from the clean samples'; heard in the same hiss
    (and gated the same way), the samples score the reading as if it were clean, and another speaker
    in that hiss is no closer to Jane."""
    clean = _verify(jane_reading, jane_samples)
    noisy = _verify(_with_white_noise(jane_reading), jane_samples)
    assert noisy.similarity >= noisy.similarity_threshold, noisy.reason
    assert abs(noisy.similarity - clean.similarity) < 0.05
    other = _verify(_with_white_noise(_flite("rms", PHRASE)), jane_samples)
    assert other.decision == "failed" and other.similarity < 0.5


def test_the_expected_code_fits_a_reading_of_it_best(jane_reading):
    """The fallback when the transcript misses digits: the phrase with the expected code is likelier
    than with any code one digit away; a reading of another code fits that code, not this one."""
    from audio.asr import PhraseScorer

    scorer = PhraseScorer(*jane_reading)
    assert consent.code_margin(scorer, PHRASE, CODE, transcript="") > consent.CODE_MARGIN
    for expected in ("4718", "5719", "8206"):  # one digit off at either end, and an unrelated code
        phrase = consent.consent_phrase("Jane Doe", expected)
        assert consent.code_margin(scorer, phrase, expected, transcript="") < consent.CODE_MARGIN


def test_a_reading_whose_transcript_misses_the_code_is_verified_by_scoring(
    jane_samples, jane_reading, monkeypatch
):
    """Whisper's best guess wrote the code as a word ("Code 0 5 4 3" came back as "called 488."): the
    reading still passes, and the evidence says the code was scored rather than transcribed."""
    from audio import asr

    misheard = "I, Jane Doe, agree that my voice may be cloned by Voice Studio, called 471."
    monkeypatch.setattr(asr, "transcribe", lambda *args, **kwargs: asr.Transcript(misheard, "en", None))
    evidence = _verify(jane_reading, jane_samples)
    assert evidence.verified, evidence.reason
    assert evidence.transcript == misheard and evidence.code_margin > consent.CODE_MARGIN


def test_a_reading_whose_transcript_misses_the_words_is_verified_by_scoring(
    jane_samples, jane_reading, monkeypatch
):
    """In 20 dB hiss Whisper wrote an espeak-ng reading as "The brief at my voice may be blown by voices
    2-0" (WER over the limit); the phrase itself still fits the recording better than that does."""
    from audio import asr

    misheard = "The brief hat mai voice mabey blown bye noises to do, code 4719."
    monkeypatch.setattr(asr, "transcribe", lambda *args, **kwargs: asr.Transcript(misheard, "en", None))
    evidence = _verify(jane_reading, jane_samples)
    assert evidence.wer > consent.MAX_WER and evidence.words_margin > consent.WORDS_MARGIN
    assert evidence.verified, evidence.reason


def test_other_words_fit_worse_than_what_was_heard(jane_samples):
    evidence = _verify(
        _flite("slt", "The weather will be sunny tomorrow with a light breeze from the west."), jane_samples
    )
    assert evidence.wer > consent.MAX_WER and evidence.words_margin < consent.WORDS_MARGIN
    assert "did not match the consent phrase" in evidence.reason


def test_a_refusal_the_transcript_misses_is_caught_by_scoring(jane_samples, monkeypatch):
    """Whisper wrote an espeak-ng "I, Jane Doe, do not agree ..." as "... how to read that my voice ...",
    a WER the check lets through; scored against the phrase, "do not agree" fits the recording better."""
    from audio import asr

    refusal = _flite("slt", PHRASE.replace("agree", "do not agree"))
    misheard = "I, Jane Doe, how to read that my voice may be cloned by Voice Studio. Code 4719."
    monkeypatch.setattr(asr, "transcribe", lambda *args, **kwargs: asr.Transcript(misheard, "en", None))
    evidence = _verify(refusal, jane_samples)
    assert evidence.decision == "failed"
    assert evidence.refusal_margin < consent.REFUSAL_MARGIN and evidence.negations == ["do not agree"]
    assert 'The recording says "do not agree", which is not in the consent phrase.' in evidence.reason


def test_saying_the_opposite_fails_though_the_words_almost_match(jane_samples):
    refusal = PHRASE.replace("agree", "do not agree")
    evidence = _verify(_flite("slt", refusal), jane_samples)
    assert evidence.decision == "failed"
    assert "not" in evidence.negations
    assert '"not"' in evidence.reason


def test_it_needs_samples_to_compare_with():
    with pytest.raises(InvalidInput):
        consent.verify_consent(np.zeros(16000, np.float32), 16000, phrase=PHRASE, code=CODE, references=[])


def test_the_evidence_is_stored_as_json(jane_samples):
    evidence = _verify((np.zeros(16000, np.float32), 16000), jane_samples)
    stored = json.loads(json.dumps(evidence.as_dict()))
    assert stored["decision"] == "failed"
    assert stored["checked_at"].endswith("+00:00")
    assert set(stored) >= {
        "transcript", "wer", "digits_ok", "code_margin", "refusal_margin", "similarity", "similarity_threshold", "reason",
        "watermark_confidence", "watermark_threshold", "generated",
    }  # fmt: skip


def test_the_thresholds_are_the_callers(jane_samples):
    silence = np.zeros(16000, np.float32)
    evidence = consent.verify_consent(
        silence, 16000, phrase=PHRASE, code=CODE, references=jane_samples,
        max_wer=0.2, min_similarity=0.9,
    )  # fmt: skip
    assert (evidence.similarity_threshold, evidence.wer_threshold) == (0.9, 0.2)


# --- the phrase and its matching rules -----------------------------------------------------------


def test_the_phrase_names_the_speaker_and_spells_out_the_code():
    phrase = consent.consent_phrase("  Jane   Doe ", "0472", studio_name="Acme Voices")
    assert phrase == "I, Jane Doe, agree that my voice may be cloned by Acme Voices. Code 0 4 7 2."


@pytest.mark.parametrize(
    "name, code", [("", "1234"), ("Doe, Jane", "1234"), ("Jane", "123"), ("Jane", "12a4")]
)
def test_the_phrase_rejects_bad_names_and_codes(name, code):
    with pytest.raises(InvalidInput):
        consent.consent_phrase(name, code)


def test_codes_are_four_random_digits():
    codes = {consent.new_consent_code() for _ in range(200)}
    assert all(len(code) == 4 and code.isdigit() for code in codes)
    assert len(codes) > 150  # 10,000 possibilities: repeats are rare


def test_whisper_is_primed_with_the_name_and_studio_never_the_code():
    assert consent.asr_prompt(PHRASE) == "Jane Doe, Voice Studio."
    assert consent.asr_prompt(consent.consent_phrase("Jane Doe", "8206")) == consent.asr_prompt(PHRASE)
    assert consent.asr_prompt("Say anything.") == ""  # not a consent phrase: no priming


@pytest.mark.parametrize(
    "transcript, expected",
    [
        ("I, Jane Doe, agree that my voice may be cloned by Voice Studio. Code 4719.", 0.0),
        ("I, Jayne Dough, agree that my voice may be cloned by voice studio, code four seven one nine", 0.0),
        ("Hi, Jane Doe. Agree that my voice may be blown by voices to deal. Code 4719.", 5 / 16),
        ("I agree. Code 4 7 1 9.", 9 / 16),
        ("", 1.0),
    ],
)
def test_the_name_is_a_free_slot_in_the_word_error_rate(transcript, expected):
    assert consent.phrase_error_rate(PHRASE, transcript) == pytest.approx(expected)


def test_a_long_insertion_where_the_name_goes_still_counts():
    padded = "I, Jane Doe and all my friends and family, agree that my voice may be cloned by Voice Studio. Code 4719."
    assert consent.phrase_error_rate(PHRASE, padded) == pytest.approx(4 / 16)


@pytest.mark.parametrize(
    "transcript, heard",
    [
        ("Code 4719.", True),
        ("code four seven one nine", True),
        ("Good for 7-1-9.", True),  # Whisper's "four" → "for"
        ("Voice Studio Code4719.", True),  # no space after "Code", as Whisper base sometimes writes it
        ("code 4 7 9 1", False),  # out of order
        ("code 4 7 1", False),
        ("I went to the shop for hours", False),  # homophones count only next to digits
    ],
)
def test_the_code_must_be_heard_in_order(transcript, heard):
    assert consent.code_heard(CODE, transcript) is heard
