"""The studio's one error vocabulary.

Services raise these; the API turns them into ``{"error": {"code", "message", "field"}}`` with the
class's HTTP status, the HTML views into form errors, and the worker into a FAILED job whose
``error`` is the message (so write messages a user can act on).
"""

from __future__ import annotations

from http import HTTPStatus


class StudioError(Exception):
    status: int = HTTPStatus.BAD_REQUEST
    code: str = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def as_dict(self) -> dict[str, str]:
        body = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return body


class InvalidInput(StudioError):
    """The request is understandable but its values are wrong (400)."""


class InvalidAudio(InvalidInput):
    """Audio that cannot be decoded, is empty, too short, silent, ... (400)."""

    code = "invalid_audio"


class PayloadTooLarge(StudioError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    code = "too_large"


class UnsupportedMediaType(StudioError):
    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    code = "unsupported_media_type"


class NotFound(StudioError):
    status = HTTPStatus.NOT_FOUND
    code = "not_found"


class Forbidden(StudioError):
    status = HTTPStatus.FORBIDDEN
    code = "forbidden"


class Conflict(StudioError):
    """The object is in a state that does not allow this action (409)."""

    status = HTTPStatus.CONFLICT
    code = "conflict"


class EngineUnavailable(StudioError):
    status = HTTPStatus.SERVICE_UNAVAILABLE
    code = "engine_unavailable"


class RateLimited(StudioError):
    """Too much at once for one user (429); ``retry_after`` seconds says when to try again."""

    status = HTTPStatus.TOO_MANY_REQUESTS
    code = "throttled"

    def __init__(self, message: str, *, retry_after: float, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = max(1, int(retry_after + 0.999))
