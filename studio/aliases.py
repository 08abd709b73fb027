"""The field names other voice APIs use, mapped to ours: the one alias table of the API.

Scripts written for the hosted APIs this studio replaces send their own names (``voice_visibility``,
``title``/``desc``/``lang``, camelCase ``voiceName``/``outputFormat``/``sampleRate``/``batchId``...).
Every request body and query string of the API goes through ``canonical`` (``studio.api.StrictSerializer``
does it), which renames the known aliases to our names; any other field we do not know is refused
with a 400 that names it, so a misspelt option never silently does nothing.

The table is per kind of request, because one vendor word means different things in different places
("text" is what to say in a speech request, the transcript of a sample in a clone request). ``COMMON``
applies everywhere. README.md ("Switching from another API") shows this table; keep the two in step.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.utils.datastructures import MultiValueDict

from errors import InvalidInput

COMMON: dict[str, str] = {
    "voiceId": "voice_id",
    "lang": "language",
    "languageCode": "language",
    "language_code": "language",
    "previewId": "preview_id",
    "batchId": "batch_id",
}

ALIASES: dict[str, dict[str, str]] = {
    # POST /v1/voices/clone, /v1/voices/preview, PATCH /v1/voices/{id}
    "voice": {
        "title": "name",
        "voiceName": "name",
        "voice_name": "name",
        "desc": "description",
        "voice_description": "description",
        "voice_visibility": "visibility",
        "voiceVisibility": "visibility",
        "avatarUrl": "avatar_url",
        "audioUrl": "audio_url",
        "audioBase64": "audio_base64",
        "model": "engine",
        "model_id": "engine",
        "quality": "tier",
        "qualityTier": "tier",
        "quality_tier": "tier",
        "trainingOptions": "training_options",
        "enhanceQuality": "enhance_quality",
        "removeNoise": "remove_noise",
        "normalizeVolume": "normalize_volume",
        "trimStarts": "trim_starts",
        "trimEnds": "trim_ends",
        "sampleRate": "sample_rate",
        "contentType": "content_type",
        # multipart file parts
        "audio": "file",
        "audio_file": "file",
        "audioFile": "file",
        "audio_files": "files",
        "audioFiles": "files",
    },
    # one item of "samples" in a JSON clone or preview
    "sample": {
        "audioUrl": "audio_url",
        "url": "audio_url",
        "audioBase64": "audio_base64",
        "audio_data": "audio_base64",
        "audioData": "audio_base64",
        "data": "audio_base64",
        "text": "transcript",
        "sampleRate": "sample_rate",
        "rate": "sample_rate",
        "contentType": "content_type",
        "mime_type": "content_type",
        "mimeType": "content_type",
        "trimStart": "trim_start",
        "trimEnd": "trim_end",
    },
    # POST /v1/speech, /v1/speech/batch, /v1/speech/stream, the websocket's messages
    "speech": {
        "voice": "voice_id",
        "input": "text",
        "outputFormat": "output_format",
        "format": "output_format",
        "response_format": "output_format",
        "sampleRate": "sample_rate",
        "similarityBoost": "similarity_boost",
        "items": "texts",
    },
    # list query strings (GET /v1/voices, GET /v1/speech)
    "list": {
        "voiceType": "type",
        "voice_type": "type",
        "voice_visibility": "visibility",
        "q": "search",
        "query": "search",
        "page_size": "limit",
        "pageSize": "limit",
    },
}

# POST /v1/audio/speech takes OpenAI's own field names (no aliases). OpenAI's voice names fall back to
# the studio's built-in voice when no studio voice is called that, so code written for OpenAI runs as is.
ALIASES["openai"] = {}
OPENAI_VOICE_NAMES = frozenset(
    {
        "alloy",
        "ash",
        "ballad",
        "coral",
        "echo",
        "fable",
        "onyx",
        "nova",
        "sage",
        "shimmer",
        "verse",
        "marin",
        "cedar",
    }
)
OPENAI_FALLBACK_VOICE = "voice_builtin_joe"

# "mp3_44100_128": format, rate and bitrate in one value, as some APIs name their output formats.
_COMBINED_FORMAT = re.compile(r"^(?P<format>[a-z0-9]+)_(?P<rate>\d{4,6})(?:_\d+)?$")


def canonical(data: Any, kind: str) -> Any:
    """``data`` with every alias of ``kind`` (and the common ones) renamed to our field name.

    A field given under two names (``name`` and ``voiceName``) is refused: which one to keep would be
    a guess. Values other than mappings pass through unchanged (the serializer reports them).
    """
    if not isinstance(data, Mapping):
        return data
    aliases = {**COMMON, **ALIASES[kind]}
    multi = hasattr(data, "getlist")  # a form or query string: each field may repeat
    renamed: dict[str, Any] = {}
    given_as: dict[str, str] = {}
    for key in data:
        name = aliases.get(key, key)
        if name in given_as:
            raise InvalidInput(
                f"{given_as[name]} and {key} are the same field; send one of them.", field=name
            )
        given_as[name] = key
        renamed[name] = data.getlist(key) if multi else data[key]
    if kind == "speech":
        _split_combined_format(renamed, multi)
    if not multi:
        return renamed
    return MultiValueDict(renamed)


def _split_combined_format(fields: dict[str, Any], multi: bool) -> None:
    value = fields.get("output_format")
    text = value[-1] if multi and isinstance(value, list) and value else value
    match = _COMBINED_FORMAT.match(text) if isinstance(text, str) else None
    if match is None or "sample_rate" in fields:
        return
    fields["output_format"] = [match["format"]] if multi else match["format"]
    fields["sample_rate"] = [match["rate"]] if multi else match["rate"]


def table() -> dict[str, dict[str, str]]:
    """Every alias by kind of request, for the documentation."""
    return {"common": dict(COMMON), **{kind: dict(names) for kind, names in ALIASES.items()}}
