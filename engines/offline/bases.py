"""The base voices the conversion starts from, one interface for both.

- ``JOE``: Piper ``en_US-joe-medium`` (``base_voice.py``), English only and fast (RTF ~0.05 per
  core): the English base, where the instant tier's clone time and speech RTF rule.
- ``KOKORO``: Kokoro-82M (``kokoro.py``) with the mean of its stock styles, ~10x slower than Piper
  but multilingual: the base for Spanish, Italian and Portuguese (and the one base that can speak
  a voice in a language other than its samples').

French is not offered: Kokoro's French, from espeak-ng's fr-fr phonemes and the Japanese styles, is
hard to follow (Whisper base WER 46 % on bench/languages.py's sentences for the unconverted base,
21 % on another pair, against 6-18 % for es, it, pt); ``bench/languages.py`` still measures it.

Both return audio at the conversion's rate (22.05 kHz), and both render on the same two worker
threads: ONNX releases the GIL, so two sentences at once fill both cores while WORLD runs on the
caller's thread.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np

from errors import InvalidInput

from . import base_voice, kokoro, world
from .base_voice import Prosody


@dataclass(frozen=True)
class PiperJoe:
    id: str = base_voice.BASE_VOICE_ID
    languages: tuple[str, ...] = ("en",)
    label: str = "Piper joe (English)"
    quick_start: bool = False  # fast enough that a whole first sentence comes early
    boost_scale: float = 1.0  # the default boost (0.8) is this base's measured operating point

    def speak(self, text: str, prosody: Prosody, language: str = "en") -> np.ndarray:
        return base_voice.speak(text, prosody)

    def speak_async(self, text: str, prosody: Prosody, language: str = "en") -> Future[np.ndarray]:
        return base_voice.speak_async(text, prosody)

    def sentences_async(self, text: str, prosody: Prosody, language: str = "en") -> list[Future[np.ndarray]]:
        return base_voice.speak_sentences_async(text, prosody)

    def speakable(self, text: str, language: str = "en") -> bool:
        return bool(base_voice.phonemes(text))


@dataclass(frozen=True)
class KokoroMean:
    id: str = kokoro.BASE_VOICE_ID
    languages: tuple[str, ...] = ("en", "es", "it", "pt")
    label: str = "Kokoro-82M (multilingual)"
    quick_start: bool = True  # slow: a stream starts with the first clause alone
    # Kokoro's articulation gives way sooner than joe's (bench/languages.py, Spanish, Whisper base
    # WER on two speakers: strength 0.8 -> 28-34 % and 9-11 %, 0.6 -> 26 / 4 %, 0.5 -> 15 / 2 %,
    # 0.4 -> 8.5 / 2 %, the base itself 6.4 / 4 %; cosine 0.78-0.79 at 0.4 against 0.19-0.39 raw):
    # the default boost lands on 0.4 for an instant voice; higher tiers measure their own.
    boost_scale: float = 0.5

    def _render(self, phonemes: str, prosody: Prosody) -> np.ndarray:
        from audio.codec import resample

        audio = kokoro.speak_phonemes(phonemes, speed=1.0 / prosody.length_scale)
        return np.clip(resample(audio, kokoro.SAMPLE_RATE, world.SAMPLE_RATE), -1.0, 1.0)

    def speak(self, text: str, prosody: Prosody, language: str = "en") -> np.ndarray:
        parts = [self._render(p, prosody) for p in kokoro.phoneme_sentences(text, language)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)

    def speak_async(self, text: str, prosody: Prosody, language: str = "en") -> Future[np.ndarray]:
        return base_voice.pool.submit(self.speak, text, prosody, language)

    def sentences_async(self, text: str, prosody: Prosody, language: str = "en") -> list[Future[np.ndarray]]:
        return [
            base_voice.pool.submit(self._render, p, prosody) for p in kokoro.phoneme_sentences(text, language)
        ]

    def speakable(self, text: str, language: str = "en") -> bool:
        return kokoro.speakable(text, language)


JOE = PiperJoe()
KOKORO = KokoroMean()
BASES = {JOE.id: JOE, KOKORO.id: KOKORO}
LANGUAGES = tuple(dict.fromkeys(language for base in BASES.values() for language in base.languages))


def language_code(language: str | None) -> str:
    """ "pt-BR" -> "pt"; empty -> "en"."""
    return (language or "en").split("-")[0].split("_")[0].lower()


def for_language(language: str | None, english_base: str = JOE.id):
    """The base a new voice in ``language`` is prepared on: joe for English (speed; a tier may ask
    for another with ``english_base``), else Kokoro."""
    code = language_code(language)
    if code == "en":
        return BASES[english_base]
    if code in KOKORO.languages:
        return KOKORO
    raise InvalidInput(
        f"The offline engine speaks {', '.join(LANGUAGES)}, not {language!r}.", field="language"
    )


def by_id(base_id: str):
    return BASES[base_id]
