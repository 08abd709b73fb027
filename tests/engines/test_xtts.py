"""The XTTS engine on a tiny random-weight checkpoint: real coqui-tts loading and inference on CPU."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from engines import get_available_engine
from engines.base import SynthesisOptions
from engines.xtts import XTTS_LANGUAGES, XttsEngine, temperature_for
from engines.xtts.text import split_text
from errors import Conflict, EngineUnavailable

from .conftest import TINY_XTTS_GEN_TOKENS

pytest.importorskip("TTS")
pytestmark = pytest.mark.slow  # builds and runs a tiny XTTS model on torch

SAMPLE_RATE = 24000
TOKEN_SECONDS = 1024 / 22050  # one GPT audio token


@pytest.fixture(scope="module")
def engine(tiny_xtts_dir) -> XttsEngine:
    # One engine (and so one loaded model) for the whole module, as in a worker process.
    return XttsEngine(checkpoint_dir=tiny_xtts_dir)


@pytest.fixture(scope="module")
def artifacts_store() -> dict:
    return {}


@pytest.fixture
def artifacts(engine, reference_clip, artifacts_store) -> dict[str, bytes]:
    """Prepared once: a neutral and a happy reference."""
    if "voice" not in artifacts_store:
        references = [reference_clip(1.5), reference_clip(1.0, emotion="happy", f0=220.0)]
        artifacts_store["voice"] = engine.prepare(references)
    return artifacts_store["voice"]


def options(**values) -> SynthesisOptions:
    values.setdefault("extra", {"seed": 7})
    return SynthesisOptions(**values)


def test_importing_the_engines_imports_no_torch():
    code = (
        "import sys, engines.xtts, engines.openvoice, engines.postprocess;"
        "print('torch' in sys.modules, 'TTS' in sys.modules)"
    )
    import subprocess

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


def test_it_reports_unavailable_without_a_directory(monkeypatch):
    monkeypatch.delenv("COQUI_TOS_AGREED", raising=False)
    availability = XttsEngine().availability()
    assert not availability.available
    assert "STUDIO_XTTS_DIR is not set" in availability.reason
    assert "COQUI_TOS_AGREED=1" in availability.reason


def test_it_says_which_packages_are_missing(monkeypatch):
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name in {"torch", "TTS"} else find_spec(name)
    )
    availability = XttsEngine().availability()
    assert (
        availability.reason
        == "torch, coqui-tts not installed: install the xtts extra with scripts/install-xtts.sh."
    )
    assert not availability.available


def test_it_lists_the_missing_files(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    availability = XttsEngine(checkpoint_dir=tmp_path).availability()
    assert not availability.available
    assert availability.reason.endswith("lacks model.pth, vocab.json.")


def test_the_studio_builds_it_from_its_setting(settings, tmp_path):
    settings.STUDIO_XTTS_DIR = str(tmp_path / "nowhere")
    with pytest.raises(EngineUnavailable, match="is not a directory"):
        get_available_engine("xtts")


def test_agreeing_to_the_cpml_makes_the_model_manager_the_source(monkeypatch):
    monkeypatch.setenv("COQUI_TOS_AGREED", "1")
    assert XttsEngine().availability().available


def test_the_model_manager_downloads_only_with_the_cpml_agreed(monkeypatch, tiny_xtts_dir):
    from TTS.utils.manage import ModelManager

    from engines.xtts import model

    asked = []
    monkeypatch.setattr("builtins.input", lambda *a: pytest.fail("coqui asked for agreement on input()"))
    monkeypatch.setattr(
        ModelManager,
        "download_model",
        lambda self, name: asked.append(name) or (tiny_xtts_dir / "model.pth", None, {}),
    )
    monkeypatch.delenv("COQUI_TOS_AGREED", raising=False)
    with pytest.raises(EngineUnavailable, match="COQUI_TOS_AGREED=1"):
        model.checkpoint_dir(None)
    monkeypatch.setenv("COQUI_TOS_AGREED", "1")
    assert model.checkpoint_dir(None) == tiny_xtts_dir
    assert asked == ["tts_models/multilingual/multi-dataset/xtts_v2"]


def test_it_declares_its_licence_languages_and_queue():
    engine = XttsEngine()
    assert engine.license.commercial_use is False
    assert "CPML" in engine.license.name
    assert len(XTTS_LANGUAGES) == 17 and "zh" in XTTS_LANGUAGES
    assert engine.queue == "gpu"


def test_stability_maps_to_a_bounded_temperature():
    assert temperature_for(0.0) == pytest.approx(0.85)
    assert temperature_for(0.5) == pytest.approx(0.55)
    assert temperature_for(1.0) == pytest.approx(0.25)


def test_long_text_is_split_at_sentences_within_the_language_limit():
    text = "First sentence here. Second one! A third, rather longer sentence follows? End."
    pieces = split_text(text, "en", {"en": 40})
    assert pieces == ["First sentence here. Second one!", "A third, rather longer sentence follows?", "End."]
    assert all(len(piece) <= 40 for piece in pieces)
    assert split_text("一二三四五六七八九十一二三。", "zh", {"zh": 5}) == [
        "一二三四五",
        "六七八九十",
        "一二三。",
    ]


def test_prepare_stores_latents_per_emotion(engine, artifacts):
    import io

    import torch

    assert set(artifacts) == {"xtts_latents.pth"}
    data = torch.load(io.BytesIO(artifacts["xtts_latents.pth"]), weights_only=True)
    assert set(data["voices"]) == {"neutral", "happy", "*"}
    latents = data["voices"]["neutral"]
    assert latents["gpt_cond_latent"].shape == (1, 32, 128)  # perceiver: 32 latents of the GPT's width
    assert latents["speaker_embedding"].shape == (1, 512, 1)


@pytest.fixture
def hello(engine, artifacts, artifacts_store):
    """ "Hello world." at speed 1, rendered once for the tests that only look at it."""
    if "hello" not in artifacts_store:
        artifacts_store["hello"] = engine.synthesize(artifacts, "Hello world.", options())
    return artifacts_store["hello"]


def test_synthesize_returns_24khz_float32_audio(hello):
    audio = hello
    assert audio.sample_rate == SAMPLE_RATE
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert np.isfinite(audio.samples).all() and np.abs(audio.samples).max() <= 1.0
    # One text piece: at most TINY_XTTS_GEN_TOKENS tokens of ~46 ms.
    assert 0.1 < audio.duration <= TINY_XTTS_GEN_TOKENS * TOKEN_SECONDS * 1.1


def test_speed_scales_the_duration(engine, artifacts, hello):
    fast = engine.synthesize(artifacts, "Hello world.", options(speed=2.0))
    assert fast.duration == pytest.approx(hello.duration / 2, rel=0.05)


def test_stream_yields_chunks_as_they_are_made(engine, artifacts, monkeypatch):
    from engines import postprocess

    shifts = []
    shift_pitch = postprocess.shift_pitch
    monkeypatch.setattr(
        postprocess, "shift_pitch", lambda x, sr, st: shifts.append(st) or shift_pitch(x, sr, st)
    )
    stream_options = options(pitch=3.0, extra={"seed": 7, "stream_chunk_tokens": 6})
    chunks = list(engine.stream(artifacts, "Hello world.", stream_options))
    assert len(chunks) >= 2
    assert shifts == [3.0] * len(chunks)  # pitch is post-processing, applied to every chunk
    assert all(chunk.sample_rate == SAMPLE_RATE and chunk.samples.dtype == np.float32 for chunk in chunks)


def test_an_emotion_uses_its_own_references(engine, artifacts):
    import torch

    loaded = engine._models.get(engine.checkpoint_dir)
    happy = engine._conditioning(loaded, artifacts, options(emotion="happy"))
    neutral = engine._conditioning(loaded, artifacts, options(emotion="neutral"))
    sad = engine._conditioning(loaded, artifacts, options(emotion="sad"))  # no sad samples: the neutral ones
    assert not torch.equal(happy["gpt_cond_latent"], neutral["gpt_cond_latent"])
    assert torch.equal(sad["gpt_cond_latent"], neutral["gpt_cond_latent"])


def test_artifacts_of_another_checkpoint_are_refused(engine, artifacts):
    from engines.xtts import voice

    with pytest.raises(Conflict, match="prepare it again"):
        voice.load(artifacts, "another-checkpoint")


def test_pitch_post_processing_moves_f0_and_keeps_the_duration():
    import pyworld

    from engines.postprocess import shift_pitch

    sample_rate = 24000
    t = np.arange(sample_rate) / sample_rate
    tone = (0.3 * np.sin(2 * np.pi * 200 * t) + 0.1 * np.sin(2 * np.pi * 400 * t)).astype(np.float32)
    shifted = shift_pitch(tone, sample_rate, 4.0)

    def median_f0(x: np.ndarray) -> float:
        f0, _ = pyworld.dio(x.astype(np.float64), sample_rate, f0_floor=60, f0_ceil=800)
        return float(np.median(f0[f0 > 0]))

    assert len(shifted) == len(tone) and shifted.dtype == np.float32
    assert median_f0(shifted) / median_f0(tone) == pytest.approx(2 ** (4 / 12), rel=0.03)
