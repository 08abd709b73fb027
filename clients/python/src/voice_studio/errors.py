"""The API's errors as exceptions: ``{"error": {"code", "message", "field"}}`` with the HTTP status."""

from __future__ import annotations

from typing import Any


class StudioAPIError(Exception):
    """Any error answer of the API. ``code`` is stable (``invalid``, ``not_found``, ``consent_required``,
    ...); ``field`` names the request field at fault, when there is one."""

    def __init__(
        self, status: int, code: str, message: str, field: str | None = None, body: Any = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}" + (f" (field: {field})" if field else ""))
        self.status, self.code, self.message, self.field, self.body = status, code, message, field, body


class ValidationError(StudioAPIError):
    """400, 413, 415: a value is missing, unknown, out of range, or the audio is unusable."""


class AuthenticationError(StudioAPIError):
    """401: no API key, or a revoked one."""


class PermissionDeniedError(StudioAPIError):
    """403: not yours, or the voice may not speak (consent, moderation, licence)."""


class NotFoundError(StudioAPIError):
    """404."""


class ConflictError(StudioAPIError):
    """409: the object's state does not allow this now (e.g. a voice still cloning)."""


class JobFailedError(StudioAPIError):
    """A job the client waited for ended FAILED (``message`` is the job's error)."""


class TimeoutError(StudioAPIError):  # noqa: A001 - the client's own, carrying the job
    """A job did not finish within the client's wait."""


_BY_STATUS = {400: ValidationError, 401: AuthenticationError, 403: PermissionDeniedError, 404: NotFoundError,
              409: ConflictError, 413: ValidationError, 415: ValidationError}  # fmt: skip


def error_for(status: int, body: Any) -> StudioAPIError:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        error = {"code": "http_error", "message": str(body)[:500]}
    kind = _BY_STATUS.get(status, StudioAPIError)
    return kind(
        status, str(error.get("code", "error")), str(error.get("message", "")), error.get("field"), body
    )
