"""The perth watermark on real speech: found when present, absent from clean audio, robust to the
re-encodings a clip meets after download, and never silently skipped in production."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from audio import codec, watermark
from errors import EngineUnavailable

ROOT = Path(__file__).resolve().parents[2]

# The watermark model runs on torch: slow to load (the quick loop, -m "not slow", leaves it out).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not watermark.availability()[0], reason=f"watermarker unavailable: {watermark.availability()[1]}"
    ),
]

SPEECH = (
    "Every clip this studio generates carries an inaudible mark, "
    "so anyone can later check where the audio came from."
)


def _espeak(text: str, voice: str) -> tuple[np.ndarray, int]:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    wav = subprocess.run(["espeak-ng", "-v", voice, "--stdout", text], check=True, capture_output=True).stdout
    import soundfile

    samples, rate = soundfile.read(io.BytesIO(wav), dtype="float32")
    return samples, rate


@pytest.fixture(scope="module")
def speech() -> tuple[np.ndarray, int]:
    return _espeak(SPEECH, "en-us")


@pytest.fixture(scope="module")
def marked(speech) -> np.ndarray:
    return watermark.embed(*speech)


def test_it_marks_speech_without_changing_its_shape(speech, marked):
    samples, _rate = speech
    assert marked.dtype == np.float32
    assert marked.shape == samples.shape
    assert np.abs(marked).max() <= 1.0


def test_it_detects_its_mark(speech, marked):
    result = watermark.detect(marked, speech[1])
    assert result.watermarked
    assert result.confidence >= 0.9


def test_it_finds_no_mark_in_clean_speech(speech):
    other_voice = _espeak("A different voice reading a different sentence for the detector.", "en-gb+f3")
    for samples, rate in (speech, other_voice):
        result = watermark.detect(samples, rate)
        assert not result.watermarked
        assert result.confidence <= 0.1


def test_the_mark_survives_mp3_at_64_kbps(speech, marked):
    mp3 = codec.encode(marked, speech[1], fmt="mp3", bitrate=64000)
    decoded = codec.decode(mp3, target_rate=None)
    assert watermark.detect(decoded.samples, decoded.sample_rate).confidence >= 0.9


def test_the_mark_survives_resampling_to_16_khz(speech, marked):
    assert watermark.detect(codec.resample(marked, speech[1], 16000), 16000).confidence >= 0.9


def test_the_mark_is_a_small_change(speech, marked):
    samples, _rate = speech
    snr_db = 10 * np.log10(np.sum(samples**2) / np.sum((marked - samples) ** 2))
    assert snr_db > 10  # measured 12-16 dB on speech; the change is shaped under 2 kHz, not noise


def test_it_keeps_content_above_16_khz_at_48_khz(speech):
    samples, rate = speech
    voice = codec.resample(samples, rate, 48000)[: 48000 * 3]
    tone = 0.05 * np.sin(2 * np.pi * 18000 * np.arange(voice.size) / 48000).astype(np.float32)
    marked = watermark.embed(voice + tone, 48000)
    # perth's own class resamples the whole clip through 32 kHz and would erase this tone.
    assert _peak_near_18_khz(marked) == pytest.approx(_peak_near_18_khz(voice + tone), rel=0.01)


def _peak_near_18_khz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    hz_per_bin = 48000 / samples.size
    return float(spectrum[int(17500 / hz_per_bin) : int(18500 / hz_per_bin)].max())


def test_it_refuses_to_deliver_unmarked_audio_when_unavailable(monkeypatch, speech):
    monkeypatch.setattr(watermark, "_model", None)
    monkeypatch.setattr(watermark, "_load_error", "torch is not installed (pip install torch==2.13.0).")
    assert watermark.availability() == (False, "torch is not installed (pip install torch==2.13.0).")
    with pytest.raises(EngineUnavailable) as caught:
        watermark.embed(*speech)
    assert caught.value.code == "watermark_unavailable"
    assert "STUDIO_WATERMARK=off" in caught.value.message


def test_it_passes_audio_through_only_when_disabled(monkeypatch, speech):
    monkeypatch.setattr(watermark, "_model", None)
    monkeypatch.setattr(watermark, "_load_error", "torch is not installed.")
    samples, rate = speech
    assert np.array_equal(watermark.embed(samples, rate, enabled=False), samples)


BLOCKED_IMPORTS = """
import sys
class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torchaudio", "pkg_resources", "librosa"):
            raise ImportError(f"{name} is blocked in this test")
sys.meta_path.insert(0, Blocked())
"""


def test_it_needs_neither_torchaudio_nor_pkg_resources(tmp_path, speech):
    # In a fresh interpreter where those imports fail, as on a web/worker host without them.
    samples, rate = speech
    np.save(tmp_path / "speech.npy", samples)
    script = BLOCKED_IMPORTS + (
        "import numpy as np\n"
        "from audio import watermark\n"
        f"samples = np.load({str(tmp_path / 'speech.npy')!r})\n"
        f"print(watermark.detect(watermark.embed(samples, {rate}), {rate}).confidence)\n"
        "print('perth' in sys.modules)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    confidence, perth_imported = run.stdout.split()
    assert float(confidence) >= 0.9
    assert perth_imported == "False"  # perth's own __init__ (the pkg_resources import) never ran
