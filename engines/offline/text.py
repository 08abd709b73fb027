"""Splitting input text into phrases the base voice says one at a time.

Sentences are the unit of synthesis and streaming; a long sentence is cut again at commas (then
semicolons/dashes) so one phrase never runs much past ~20 s, which keeps streaming latency low and
lets every join fall on a natural pause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import limits
from errors import InvalidInput

LONG_PHRASE_CHARS = 180  # a sentence longer than this is cut at its commas

# Pauses after a phrase, in seconds at speed 1 (scaled by 1/speed).
PAUSE_AFTER_SENTENCE = 0.32
PAUSE_AFTER_PARAGRAPH = 0.55
PAUSE_AFTER_CLAUSE = 0.16

_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "prof", "sr", "jr", "vs", "etc", "e.g", "i.e", "no", "mt"}
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+")
_CLAUSE_END = re.compile(r"(?<=[,;:—–])\s+")


@dataclass(frozen=True)
class Phrase:
    text: str
    pause_after: float  # seconds of silence that follow it (the last phrase's is dropped)


def _is_abbreviation(left: str) -> bool:
    word = left.rsplit(maxsplit=1)[-1].rstrip(".").lower() if left.strip() else ""
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _sentences(paragraph: str) -> list[str]:
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(paragraph):
        if _is_abbreviation(paragraph[start : match.start()]):
            continue
        sentences.append(paragraph[start : match.start()].strip())
        start = match.end()
    sentences.append(paragraph[start:].strip())
    return [s for s in sentences if s]


def _clauses(sentence: str) -> list[str]:
    """Cut a long sentence at clause punctuation, merging pieces back up to a comfortable length."""
    if len(sentence) <= LONG_PHRASE_CHARS:
        return [sentence]
    pieces, current = [], ""
    for part in _CLAUSE_END.split(sentence):
        if current and len(current) + len(part) + 1 > LONG_PHRASE_CHARS:
            pieces.append(current)
            current = part
        else:
            current = f"{current} {part}".strip()
    pieces.append(current)
    return [p for p in pieces if p]


def split_phrases(text: str) -> list[Phrase]:
    phrases: list[Phrase] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        paragraph = " ".join(paragraph.split())
        for sentence in _sentences(paragraph):
            clauses = _clauses(sentence)
            phrases += [Phrase(clause, PAUSE_AFTER_CLAUSE) for clause in clauses[:-1]]
            phrases.append(Phrase(clauses[-1], PAUSE_AFTER_SENTENCE))
        if phrases:
            phrases[-1] = Phrase(phrases[-1].text, PAUSE_AFTER_PARAGRAPH)
    return phrases


def validated_phrases(text: str, has_phonemes) -> list[Phrase]:
    """The phrases to speak, or ``InvalidInput(field="text")`` for empty, too long or unspeakable text.

    ``has_phonemes(phrase_text) -> bool`` tells whether the base voice would say anything; phrases it
    would not (lone punctuation) are dropped rather than rendered as silence.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("Enter some text to speak.", field="text")
    if len(text) > limits.TEXT_MAX_CHARS:
        raise InvalidInput(
            f"Text is limited to {limits.TEXT_MAX_CHARS} characters (got {len(text)}).", field="text"
        )
    phrases = [p for p in split_phrases(text) if has_phonemes(p.text)]
    if not phrases:
        raise InvalidInput("The text contains nothing that can be spoken.", field="text")
    return phrases


def with_quick_start(phrases: list[Phrase], min_words: int = 3) -> list[Phrase]:
    """The first phrase cut at its first clause break (comma, semicolon, colon, dash), so a stream's
    first audio comes after one clause, not one sentence, with a slow base voice. Clauses shorter than
    ``min_words`` words are not cut off (a lone "Yes," would sound clipped)."""
    if not phrases:
        return phrases
    first, rest = phrases[0], phrases[1:]
    parts = _CLAUSE_END.split(first.text, maxsplit=1)
    if len(parts) < 2 or len(parts[0].split()) < min_words or len(parts[1].split()) < min_words:
        return phrases
    return [Phrase(parts[0], PAUSE_AFTER_CLAUSE), Phrase(parts[1], first.pause_after), *rest]
