"""Request bodies are refused by size and by authentication before they are read.

Django reads a whole request body before a view runs, and DRF authenticates only then: an anonymous 1 GB
POST used to be read in full before its 401. The gate answers first, from the request line and headers:

* every route has a body limit (``body_limit``): audio uploads ``settings.DATA_UPLOAD_MAX_MEMORY_SIZE``,
  every other API or page body ``limits.JSON_BODY_MAX_BYTES``, and a body sent with no credentials at all
  (no API key, no session cookie) ``limits.ANONYMOUS_BODY_MAX_BYTES`` (the login form needs no more);
* a declared ``Content-Length`` over the limit is a 413 at once; a streamed (chunked) body is counted as
  it arrives and cut off with a 413 when it passes the limit;
* an API request with a body must carry valid credentials (API key, or a live session): else a 401
  before the first byte of the body is read.

``RequestGate`` is the ASGI middleware (any ASGI server). Daphne buffers a body before it calls the
application at all, so the studio's own server also applies ``body_limit`` while the body arrives
(``studio.server``): there an oversized or anonymous body is answered from its headers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from types import SimpleNamespace
from typing import Any

from django.conf import settings

import limits

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

# Routes that take audio in the body (multipart files, base64 JSON or a raw audio body).
_UPLOAD_ROUTES = (
    re.compile(r"^/v1/voices/(clone|preview)/?$"),
    re.compile(r"^/v1/voices/[^/]+/consent/?$"),
    re.compile(r"^/v1/watermark/detect/?$"),
    re.compile(r"^/admin/"),  # the admin's file fields (samples, previews, consent clips)
)
# API routes anyone may call: the schema and its documentation page.
_PUBLIC_API = re.compile(r"^/v1/(schema|docs)/?$")


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str
    headers: tuple[tuple[bytes, bytes], ...] = ()

    def body(self) -> bytes:
        return json.dumps({"error": {"code": self.code, "message": self.message}}).encode()

    def response_headers(self, body: bytes) -> list[tuple[bytes, bytes]]:
        return [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            *self.headers,
        ]


def has_credentials(headers: dict[str, str]) -> bool:
    """Whether the request carries an API key or a session cookie (valid or not: that needs the database)."""
    if headers.get("x-api-key") or headers.get("authorization", "").lower().startswith("bearer "):
        return True
    return f"{settings.SESSION_COOKIE_NAME}=" in headers.get("cookie", "")


def body_limit(path: str, headers: dict[str, str]) -> int:
    """The most bytes of body this request may send (``headers``: lower-case names)."""
    if not has_credentials(headers):
        return limits.ANONYMOUS_BODY_MAX_BYTES
    if any(route.match(path) for route in _UPLOAD_ROUTES):
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return limits.JSON_BODY_MAX_BYTES


def too_large(limit: int) -> Refusal:
    if limit == limits.ANONYMOUS_BODY_MAX_BYTES:
        return unauthenticated(f"Sign in or send an API key to send a body larger than {limit // 1024} KB.")
    return Refusal(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        "too_large",
        f"The request body is larger than this endpoint accepts ({limit / 1e6:.0f} MB).",
    )


def unauthenticated(message: str = "Authentication credentials were not provided.") -> Refusal:
    return Refusal(
        HTTPStatus.UNAUTHORIZED, "not_authenticated", message, ((b"www-authenticate", b'Bearer realm="api"'),)
    )


def header_refusal(path: str, headers: dict[str, str]) -> Refusal | None:
    """What can be refused from the headers alone, with no database: a declared length over the limit,
    or a malformed one."""
    declared = headers.get("content-length")
    if declared is None:
        return None
    if not declared.strip().isdigit():
        return Refusal(HTTPStatus.BAD_REQUEST, "bad_request", "Content-Length must be a whole number.")
    limit = body_limit(path, headers)
    return too_large(limit) if int(declared) > limit else None


def _headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in raw}


def _has_body(headers: dict[str, str]) -> bool:
    return headers.get("content-length", "0").strip() not in ("", "0") or "transfer-encoding" in headers


def _authenticated(headers: dict[str, str]) -> bool:
    """Whether the credentials are valid: an active user's API key, or a live session (database)."""
    from django.contrib.auth import get_user
    from django.utils.module_loading import import_string

    from studio.auth import key_from_headers, user_for_key

    raw_key = key_from_headers(headers.get("authorization"), headers.get("x-api-key"))
    if raw_key is not None:
        return user_for_key(raw_key) is not None
    from http.cookies import CookieError, SimpleCookie

    try:
        cookie = SimpleCookie(headers.get("cookie", "")).get(settings.SESSION_COOKIE_NAME)
    except CookieError:
        return False
    if cookie is None:
        return False
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")(cookie.value)
    # get_user reads only ``.session`` (and verifies the session hash, as every request does).
    return bool(get_user(SimpleNamespace(session=store)).is_authenticated)  # type: ignore[arg-type]


async def _answer(send: Send, refusal: Refusal) -> None:
    body = refusal.body()
    await send(
        {"type": "http.response.start", "status": refusal.status, "headers": refusal.response_headers(body)}
    )
    await send({"type": "http.response.body", "body": body})


class RequestGate:
    """ASGI middleware: size limits per route and authentication before the body (see the module)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, headers = scope["path"], _headers(scope.get("headers", []))
        refusal = header_refusal(path, headers)
        if refusal is None and _has_body(headers) and path.startswith("/v1/") and not _PUBLIC_API.match(path):
            from channels.db import database_sync_to_async

            if not await database_sync_to_async(_authenticated)(headers):
                refusal = unauthenticated("Invalid or revoked credentials: send a valid API key or sign in.")
        if refusal is not None:
            return await _answer(send, refusal)
        await self._counted(scope, receive, send, body_limit(path, headers))

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Run the app, cutting a streamed body off with a 413 once it passes ``limit``."""
        received = 0
        answered = False

        async def counting_receive() -> dict[str, Any]:
            nonlocal received, answered
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit and not answered:
                    answered = True
                    await _answer(send, too_large(limit))
                    return {"type": "http.disconnect"}  # the app stops reading, as for a client gone
            return message

        async def guarded_send(message: dict[str, Any]) -> None:
            if not answered:  # once the gate answered, the app has nothing left to say
                await send(message)

        await self.app(scope, counting_receive, guarded_send)
