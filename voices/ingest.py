"""Audio coming in: multipart files, URLs, base64, raw bodies — turned into checked samples.

Everything here happens inside the request, before anything is stored: a file that cannot be decoded,
is too big, too short or silent is refused with a 4xx that says what to fix, and no voice is created.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings

import limits
from errors import InvalidAudio, InvalidInput, PayloadTooLarge

ANALYSIS_RATE = 16000


@dataclass
class IncomingSample:
    data: bytes
    content_type: str | None = None
    original_name: str = ""
    transcript: str = ""
    language: str = ""
    emotion: str = "neutral"
    trim_start: float | None = None
    trim_end: float | None = None


@dataclass
class CheckedSample:
    incoming: IncomingSample
    format: str
    duration: float
    speech_duration: float
    segments: list[tuple[float, float]] = field(default_factory=list)


def check_size(data: bytes, *, label: str, field_name: str) -> None:
    limit = settings.STUDIO_MAX_UPLOAD_BYTES
    if len(data) > limit:
        raise PayloadTooLarge(
            f"{label} is {len(data) / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB per file.",
            field=field_name,
        )


def declared_type(content_type: str | None, sample_rate: int | None) -> str | None:
    """The content type to decode with. A raw PCM type gets the separately given ``sample_rate``
    (``audio/pcm`` + ``sample_rate=22050`` → ``audio/pcm;rate=22050``); with no type, or an
    ``application/octet-stream`` one, a ``sample_rate`` declares 16-bit little-endian PCM."""
    from audio.codec import is_raw_pcm_type

    if sample_rate is None:
        return content_type
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in ("", "application/octet-stream"):
        return f"audio/pcm;rate={sample_rate}"
    if is_raw_pcm_type(kind) and "rate=" not in content_type.replace(" ", "").lower():
        return f"{content_type};rate={sample_rate}"
    return content_type


def upload_content_type(upload) -> str | None:  # noqa: ANN001 (a Django UploadedFile)
    """A multipart part's type with its parameters (``audio/pcm;rate=22050``): Django keeps those
    apart, in ``content_type_extra``, and raw PCM cannot be read without its rate."""
    extra = getattr(upload, "content_type_extra", None) or {}
    params = "".join(
        f";{key}={value.decode() if isinstance(value, bytes) else value}"
        for key, value in extra.items()
        if key != "charset"
    )
    return f"{upload.content_type}{params}" if upload.content_type else None


def sample_from_base64(encoded: str, *, field_name: str) -> bytes:
    if "," in encoded[:100] and encoded.startswith("data:"):
        encoded = encoded.split(",", 1)[1]  # a data: URL, as browsers make them
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("audio_base64 is not valid base64.", field=field_name) from None
    check_size(data, label="The decoded audio", field_name=field_name)
    return data


def sample_from_url(url: str, *, field_name: str) -> IncomingSample:
    from voices.fetch import fetch_url

    try:
        fetched = fetch_url(
            url,
            max_bytes=settings.STUDIO_MAX_UPLOAD_BYTES,
            timeout=settings.STUDIO_FETCH_TIMEOUT,
            allowed_hosts=settings.STUDIO_FETCH_ALLOWED_HOSTS,
        )
    except (InvalidInput, PayloadTooLarge) as exc:
        exc.field = field_name
        raise
    name = url.rstrip("/").rsplit("/", 1)[-1][:200]
    return IncomingSample(data=fetched.data, content_type=fetched.content_type, original_name=name)


def clean_emotion(value: str | None, *, field_name: str) -> str:
    return limits.choice((value or "neutral").strip().lower(), limits.EMOTIONS, field=field_name)


def trim_bounds(duration: float, start: float | None, end: float | None) -> tuple[float, float]:
    """The kept region of a sample (seconds), clamped to the audio: the one trim rule, used when the
    sample is checked and again when the worker decodes it."""
    start = max(0.0, start or 0.0)
    end = min(duration, end if end is not None else duration)
    return start, max(start, end)


def trimmed(samples: np.ndarray, rate: int, start: float | None, end: float | None) -> np.ndarray:
    if start is None and end is None:
        return samples
    start, end = trim_bounds(len(samples) / rate, start, end)
    return samples[int(start * rate) : int(end * rate)]


def _trimmed(samples: np.ndarray, rate: int, sample: IncomingSample, field_name: str) -> np.ndarray:
    if sample.trim_start is None and sample.trim_end is None:
        return samples
    start, end = trim_bounds(len(samples) / rate, sample.trim_start, sample.trim_end)
    if end - start < limits.TRIM_MIN_SECONDS:
        raise InvalidInput(
            f"The trimmed region must be at least {limits.TRIM_MIN_SECONDS:g} s long.", field=field_name
        )
    return trimmed(samples, rate, start, end)


def check_samples(samples: list[IncomingSample], *, tier: str) -> list[CheckedSample]:
    """Decode every sample and measure its speech; refuse the set if it does not fit the tier."""
    from audio.codec import decode
    from audio.speech_activity import speech_duration, speech_segments

    if not samples:
        raise InvalidInput("Send at least one audio sample.", field="file")
    if len(samples) > settings.STUDIO_MAX_SAMPLES:
        raise InvalidInput(
            f"Too many samples ({len(samples)}); send at most {settings.STUDIO_MAX_SAMPLES}.", field="file"
        )
    checked = []
    for index, sample in enumerate(samples):
        field_name = f"samples[{index}]"
        label = sample.original_name or f"Sample {index + 1}"
        if not sample.data:
            raise InvalidAudio(f"{label} is empty.", field=field_name)
        check_size(sample.data, label=label, field_name=field_name)
        try:
            decoded = decode(
                sample.data,
                content_type=sample.content_type,
                target_rate=ANALYSIS_RATE,
                max_seconds=limits.SAMPLE_MAX_SECONDS,
            )
            stored_format = decoded.format
            if decoded.format == "pcm":
                sample.data, stored_format = _pcm_as_wav(sample), "wav"
        except InvalidAudio as exc:
            raise InvalidAudio(f"{label}: {exc.message}", field=field_name) from None
        audio = _trimmed(decoded.samples, ANALYSIS_RATE, sample, field_name)
        segments = speech_segments(audio, ANALYSIS_RATE)
        checked.append(
            CheckedSample(sample, stored_format, decoded.duration, speech_duration(segments), segments)
        )
    _check_speech_total(checked, tier)
    return checked


def _pcm_as_wav(sample: IncomingSample) -> bytes:
    """Raw PCM is stored as the same samples in a WAV file: the file then says its own rate and byte
    order, so the worker (and a download) can read it without the request's content type."""
    from audio.codec import decode, encode

    native = decode(sample.data, content_type=sample.content_type, target_rate=None)
    sample.content_type = "audio/wav"
    return encode(native.samples, native.sample_rate, fmt="wav")


def _check_speech_total(checked: list[CheckedSample], tier: str) -> None:
    allowed = limits.TIER_SPEECH_SECONDS[tier]
    minimum, maximum = allowed.low, allowed.high
    total = sum(sample.speech_duration for sample in checked)
    if total < 0.3:
        raise InvalidAudio("No speech was found in the audio (silence or noise only).", field="file")
    if total < minimum:
        raise InvalidAudio(
            f"Only {total:.1f} s of speech found; the {tier} tier needs at least {minimum:.0f} s. "
            "Record or upload more speech.",
            field="file",
            code="too_short",
        )
    if total > maximum:
        raise InvalidAudio(
            f"{total / 60:.1f} min of speech is more than the {tier} tier accepts ({maximum / 60:.0f} min). "
            "Choose a higher tier or send less audio.",
            field="file",
            code="too_long",
        )
