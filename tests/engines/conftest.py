"""Fixtures for engine tests: tiny random-weight checkpoints built at test time, reference clips.

The checkpoints go through coqui-tts's real loading and inference code, only smaller (XTTS) or with
random weights (OpenVoice), so they prove the wiring, shapes, rates and controls — not the sound.
They are built once per session in a temporary directory and never committed (~100 MB each).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engines.xtts.engine import CHECKPOINT_LANGUAGES

XTTS_LANGUAGES = list(CHECKPOINT_LANGUAGES)  # the codes a checkpoint uses ("zh-cn")
# The GPT may make at most this many audio tokens per text piece (~46 ms of audio each). Random
# weights never choose the stop token, so every piece is exactly this long: fast, and a fixed length
# that makes speed comparisons meaningful (10 tokens at speed 2 -> exactly 5 latent frames).
TINY_XTTS_GEN_TOKENS = 10


def build_tiny_xtts(directory: Path) -> Path:
    """An XTTS v2 checkpoint dir (model.pth, config.json, vocab.json) with a 2-layer, 128-wide GPT."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("TTS")
    from TTS.tts.configs.xtts_config import XttsArgs, XttsConfig
    from TTS.tts.layers.xtts.tokenizer import VoiceBpeTokenizer
    from TTS.tts.models.xtts import Xtts

    directory.mkdir(parents=True, exist_ok=True)
    _tiny_vocab().save(str(directory / "vocab.json"))
    args = XttsArgs(
        gpt_layers=2,
        gpt_n_model_channels=128,
        gpt_n_heads=4,
        # v2's layout (1026 audio tokens, perceiver conditioning) at a fraction of the width.
        gpt_num_audio_tokens=1026,
        gpt_start_audio_token=1024,
        gpt_stop_audio_token=1025,
        gpt_use_perceiver_resampler=True,
        gpt_max_audio_tokens=TINY_XTTS_GEN_TOKENS + 3,  # coqui subtracts 3 (start, stop, conditioning)
        decoder_input_dim=128,  # the vocoder reads the GPT's latents
        d_vector_dim=512,  # fixed by coqui's speaker encoder
    )
    config = XttsConfig(
        model_args=args,
        languages=XTTS_LANGUAGES,
        temperature=0.75,
        repetition_penalty=5.0,
        gpt_cond_len=30,
        gpt_cond_chunk_len=4,
        max_ref_len=30,
    )
    torch.manual_seed(0)
    model = Xtts(config)
    model.tokenizer = VoiceBpeTokenizer(vocab_file=str(directory / "vocab.json"))
    model.init_models()  # sizes the text embedding from the vocab, as load_checkpoint will
    torch.save({"model": model.state_dict()}, directory / "model.pth")
    config.save_json(str(directory / "config.json"))
    return directory


def _tiny_vocab():
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    special = ["[STOP]", "[UNK]", "[SPACE]", "[START]"] + [f"[{code}]" for code in XTTS_LANGUAGES]
    trainer = trainers.BpeTrainer(
        vocab_size=160,
        special_tokens=special,
        initial_alphabet=list("abcdefghijklmnopqrstuvwxyz0123456789.,;:!?'-"),
        show_progress=False,
    )
    corpus = ["hello world, this is the voice studio.", "the quick brown fox jumps over the lazy dog!"]
    tokenizer.train_from_iterator(corpus, trainer)
    return tokenizer


def build_tiny_openvoice(directory: Path) -> Path:
    """An OpenVoice v2 converter dir (config.json in OpenVoice's own format + checkpoint.pth), random weights,
    coqui's default (= v2) architecture."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("TTS")
    from TTS.vc.configs.openvoice_config import OpenVoiceConfig
    from TTS.vc.models.openvoice import OpenVoice

    directory.mkdir(parents=True, exist_ok=True)
    config = OpenVoiceConfig()
    torch.manual_seed(0)
    model = OpenVoice(config)
    torch.save({"model": model.state_dict()}, directory / "checkpoint.pth")
    audio = config.audio
    original_format = {
        "_version_": "v2",
        "data": {
            "sampling_rate": audio.input_sample_rate,
            "filter_length": audio.fft_size,
            "hop_length": audio.hop_length,
            "win_length": audio.win_length,
            "n_speakers": 0,
        },
        "model": config.model_args.to_dict(),
    }
    (directory / "config.json").write_text(json.dumps(original_format, indent=2))
    return directory


@pytest.fixture(scope="session")
def tiny_xtts_dir(tmp_path_factory) -> Path:
    return build_tiny_xtts(tmp_path_factory.mktemp("xtts"))


@pytest.fixture(scope="session")
def tiny_openvoice_dir(tmp_path_factory) -> Path:
    return build_tiny_openvoice(tmp_path_factory.mktemp("openvoice"))


def voice_like(seconds: float, sample_rate: int = 22050, f0: float = 140.0, seed: int = 0) -> np.ndarray:
    """A harmonic tone with vibrato, a syllable-rate envelope and a little noise: speech-ish, fully synthetic."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.03 * np.sin(2 * np.pi * 5 * t))) / sample_rate
    tone = sum(np.sin(k * phase) / k for k in range(1, 12))
    envelope = 0.6 + 0.4 * np.sin(2 * np.pi * 4 * t) ** 2
    signal = 0.15 * tone * envelope + 0.005 * rng.standard_normal(t.size)
    return signal.astype(np.float32)


@pytest.fixture
def reference_clip():
    """Factory: ``reference_clip(seconds=1.5, emotion="neutral", f0=140)`` -> a ``Reference``."""
    from engines.base import Reference

    def make(seconds: float = 1.5, emotion: str = "neutral", f0: float = 140.0, sample_rate: int = 22050):
        samples = voice_like(seconds, sample_rate, f0=f0)
        return Reference(samples=samples, sample_rate=sample_rate, transcript="hello world", emotion=emotion)

    return make
