"""Long text -> pieces XTTS can say in one go.

XTTS's GPT sees at most ~400 text tokens and its quality drops well before that, so coqui-tts
keeps per-language character limits (``VoiceBpeTokenizer.char_limits``: 250 for English, 71 for
Japanese...). Its own splitter (``inference(enable_text_splitting=True)``) needs spaCy, which
coqui-tts 0.28 does not install, so we split here: at sentence ends (Latin, CJK, Devanagari and
Arabic punctuation), then pack whole sentences into pieces up to the limit, so short sentences
keep their shared prosody and only over-long ones are cut, at word boundaries where there are any.
"""

from __future__ import annotations

import re
import textwrap

# Same limits as coqui-tts 0.28 (TTS/tts/layers/xtts/tokenizer.py), used when the tokenizer
# is not at hand; the engine passes the loaded tokenizer's own limits.
CHAR_LIMITS = {
    "en": 250, "de": 253, "fr": 273, "es": 239, "it": 213, "pt": 203, "pl": 224, "zh": 82, "ar": 166,
    "cs": 186, "ru": 182, "nl": 251, "tr": 226, "ja": 71, "hu": 224, "ko": 95, "hi": 150,
}  # fmt: skip
DEFAULT_LIMIT = 250

# A sentence ends after . ! ? … (followed by a space) or after CJK 。！？, Devanagari । and Arabic ؟
# (which need no space after them).
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|(?<=[。！？!?।؟])(?=\S)")


def base_language(language: str) -> str:
    """``"zh-cn"`` -> ``"zh"``, ``"en-US"`` -> ``"en"``: XTTS keys everything on the base code."""
    return language.split("-")[0].lower()


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text.strip()) if part.strip()]


def split_text(text: str, language: str, limits: dict[str, int] | None = None) -> list[str]:
    """Pieces of at most the language's character limit, made of whole sentences where possible."""
    limit = (limits or CHAR_LIMITS).get(base_language(language), DEFAULT_LIMIT)
    pieces: list[str] = []
    for sentence in sentences(text):
        for part in _wrap(sentence, limit):
            joiner = "" if _is_unspaced(language) else " "
            if pieces and len(pieces[-1]) + len(joiner) + len(part) <= limit:
                pieces[-1] = pieces[-1] + joiner + part
            else:
                pieces.append(part)
    return pieces


def _wrap(sentence: str, limit: int) -> list[str]:
    if len(sentence) <= limit:
        return [sentence]
    # textwrap cuts at spaces and, for text without any (Chinese, Japanese), inside the "word".
    return textwrap.wrap(sentence, width=limit, break_on_hyphens=False)


def _is_unspaced(language: str) -> bool:
    return base_language(language) in {"zh", "ja"}
