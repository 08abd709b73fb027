"""Websocket plumbing shared by the apps' consumers: who may open a socket, and paths nobody serves.

Browsers always send ``Origin``, so a browser's socket is checked against ``ALLOWED_HOSTS`` (a page on
another site must not open a socket with the user's cookies). A client that sends no ``Origin`` is not a
browser: it may connect when it authenticated with an API key (the README's own example does this).
"""

from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import re_path

CLOSE_NOT_FOUND = 4404


class BrowserOriginValidator:
    """``AllowedHostsOriginValidator`` for browsers; API-key clients without an ``Origin`` pass."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.checked = AllowedHostsOriginValidator(inner)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        sends_origin = any(name.lower() == b"origin" for name, _ in scope.get("headers", []))
        if not sends_origin and scope.get("api_key") is not None:
            return await self.inner(scope, receive, send)
        return await self.checked(scope, receive, send)


class NotFoundConsumer(AsyncWebsocketConsumer):
    """Any path no app serves: refused like a missing job (it was a 500 with a traceback)."""

    async def connect(self) -> None:
        await self.close(code=CLOSE_NOT_FOUND)


not_found_route = re_path(r"", NotFoundConsumer.as_asgi())
