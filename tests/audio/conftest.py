"""Real audio for the audio-library tests: espeak-ng speech (optionally reshaped by sox), tones, noise.

Nothing binary is committed; clips are synthesised on demand and cached for the session.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from functools import cache
from types import SimpleNamespace

import numpy as np
import pytest

from audio.codec import decode

SENTENCES = (
    "The quick brown fox jumps over the lazy dog, and then it ran into the forest.",
    "Please call Stella and ask her to bring these things with her from the store.",
    "I would like to book a table for two people at eight o'clock tomorrow evening.",
)
GERMAN = "Guten Morgen, wie geht es Ihnen heute? Ich möchte gerne einen Kaffee trinken."

Speak = Callable[..., np.ndarray]


@cache
def _espeak_wav(text: str, voice: str, sox_effects: tuple[str, ...]) -> bytes:
    wav = subprocess.run(["espeak-ng", "-v", voice, "--stdout", text], capture_output=True, check=True).stdout
    if sox_effects:
        command = ["sox", "-t", "wav", "-", "-t", "wav", "-", *sox_effects]
        wav = subprocess.run(command, input=wav, capture_output=True, check=True).stdout
    return wav


@pytest.fixture(scope="session")
def espeak_wav() -> Callable[..., bytes]:
    """``espeak_wav(text, voice="en-us", sox_effects=())`` → WAV bytes (22.05 kHz mono)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng sox)")

    def make(text: str, voice: str = "en-us", sox_effects: tuple[str, ...] = ()) -> bytes:
        if sox_effects and shutil.which("sox") is None:
            pytest.skip("sox is not installed (apt-get install sox)")
        return _espeak_wav(text, voice, tuple(sox_effects))

    return make


@pytest.fixture(scope="session")
def speak(espeak_wav: Callable[..., bytes]) -> Speak:
    """``speak(text, voice="en-us", rate=16000, sox_effects=())`` → float32 mono speech."""

    def make(
        text: str, voice: str = "en-us", rate: int = 16000, sox_effects: tuple[str, ...] = ()
    ) -> np.ndarray:
        return decode(espeak_wav(text, voice, sox_effects), target_rate=rate).samples

    return make


def silence(seconds: float, rate: int = 16000) -> np.ndarray:
    return np.zeros(int(seconds * rate), dtype=np.float32)


def noise(seconds: float, level: float, rate: int = 16000, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(seconds * rate)) * level).astype(np.float32)


def tone(seconds: float, rate: int = 16000, frequency: float = 440.0, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


@pytest.fixture(scope="session")
def signals() -> SimpleNamespace:
    """``signals.silence(s)``, ``signals.noise(s, level)``, ``signals.tone(s)``: synthetic test signals."""
    return SimpleNamespace(silence=silence, noise=noise, tone=tone)
