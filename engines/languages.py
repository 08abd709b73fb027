"""Language codes: what users send (BCP-47 tags, any case) reduced to the code engines declare.

Engines declare the languages they speak as ISO 639-1 codes (``en``, ``zh``). Requests arrive as
``en-US``, ``zh-Hant``, ``pt_BR``, ``EN``: ``language_code`` keeps the primary language subtag,
lower-cased, so ``zh-Hant`` and ``zh-Hans`` are both ``zh``. The region or script is a dialect, kept by
the voice's ``dialects`` where the user gives one; no engine here takes it as input.
"""

from __future__ import annotations

import re

from errors import InvalidInput

# BCP-47 shape: a 2-3 letter primary subtag, then subtags of 1-8 letters/digits (script, region...).
_TAG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$")


def language_code(value: str, *, field: str = "language") -> str:
    """``en-US`` → ``en``; ``zh-Hant`` → ``zh``; ``""`` stays ``""``. Anything not shaped like a
    language tag raises InvalidInput naming ``field``."""
    tag = str(value or "").strip().lower().replace("_", "-")
    if not tag:
        return ""
    if not _TAG.match(tag):
        raise InvalidInput(
            f"{field} must be a language code such as en, de or zh-Hant; got {value!r}.", field=field
        )
    return tag.split("-", 1)[0]


def language_check(engine: object, code: str, *, field: str = "language") -> str:
    """``code`` if ``engine`` speaks it, else InvalidInput naming the languages it does speak."""
    spoken = tuple(getattr(engine, "languages", ()))
    if code and code not in spoken:
        label = getattr(engine, "label", getattr(engine, "name", "chosen"))
        raise InvalidInput(
            f"The {label} engine speaks {', '.join(spoken)}, not {code!r}. Choose another language or "
            "another engine (GET /v1/engines lists them).",
            field=field,
            code="unsupported_language",
        )
    return code
