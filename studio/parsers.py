"""The JSON parser every API endpoint uses (``DEFAULT_PARSER_CLASSES``).

Its own module: DRF reads ``DEFAULT_PARSER_CLASSES`` when ``rest_framework.views`` is first imported,
so the parser must not live in a module that imports the views.
"""

from __future__ import annotations

import json
from typing import Any

from rest_framework import exceptions, parsers

import limits
from errors import PayloadTooLarge


class JsonObjectParser(parsers.JSONParser):
    """JSON bodies as every endpoint takes them: one object, of bounded size and nesting.

    Python's parser raises RecursionError (not a parse error) on deep nesting, and a top-level list or
    number reached views that expect an object: both were 500s. ``max_bytes`` is the route's limit
    (the upload endpoints accept base64 audio and set their own).
    """

    max_bytes = limits.JSON_BODY_MAX_BYTES

    def parse(self, stream, media_type=None, parser_context=None) -> dict:
        raw = stream.read(self.max_bytes + 1) if stream is not None else b""
        if len(raw) > self.max_bytes:
            raise PayloadTooLarge(f"The JSON body is larger than {self.max_bytes / 1e6:g} MB.", field="body")
        try:
            data = json.loads(
                raw.decode((parser_context or {}).get("encoding") or "utf-8"), parse_constant=_no_constant
            )
        except RecursionError:
            raise _too_deep() from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(f"The body is not valid JSON: {exc}") from None
        if json_depth(data) > limits.JSON_MAX_DEPTH:
            raise _too_deep()
        if not isinstance(data, dict):
            raise exceptions.ParseError(
                f"The JSON body must be an object ({{...}}), not {type(data).__name__}."
            )
        return data


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _too_deep() -> exceptions.ParseError:
    return exceptions.ParseError(f"The JSON body nests more than {limits.JSON_MAX_DEPTH} levels deep.")


def json_depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0), counted without recursion and without
    looking past ``limits.JSON_MAX_DEPTH + 1``."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, dict | list):
            continue
        deepest = max(deepest, depth)
        if deepest > limits.JSON_MAX_DEPTH:
            break
        stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest
