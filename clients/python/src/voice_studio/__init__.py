"""Python client for the Voice Studio API."""

from ._client import TTS, Client, Voices
from .errors import (
    AuthenticationError,
    ConflictError,
    JobFailedError,
    NotFoundError,
    PermissionDeniedError,
    StudioAPIError,
    TimeoutError,
    ValidationError,
)
from .models import Audio, Consent, Page, Preview, Voice

__all__ = [
    "TTS", "Audio", "AuthenticationError", "Client", "ConflictError", "Consent", "JobFailedError",
    "NotFoundError", "Page", "PermissionDeniedError", "Preview", "StudioAPIError", "TimeoutError",
    "ValidationError", "Voice", "Voices",
]  # fmt: skip
