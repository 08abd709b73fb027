"""API key authentication for DRF (``Authorization: Bearer <key>`` or ``x-api-key: <key>``) and for
websockets (the same headers, or ``?api_key=`` for browsers' WebSocket, which cannot set headers)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

from channels.auth import AuthMiddleware, UserLazyObject, get_user
from channels.db import database_sync_to_async
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from rest_framework import authentication, exceptions

from studio.models import ApiKey, hash_key

# Write last_used_at at most this often per key, so reads do not turn into writes on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def user_for_key(raw_key: str) -> tuple[AbstractBaseUser, ApiKey] | None:
    try:
        key = ApiKey.objects.select_related("user").get(key_hash=hash_key(raw_key), revoked_at__isnull=True)
    except ApiKey.DoesNotExist:
        return None
    if not key.user.is_active:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key.user, key


def key_from_headers(authorization: str | None, x_api_key: str | None) -> str | None:
    if x_api_key:
        return x_api_key.strip()
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return None


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Any) -> tuple[AbstractBaseUser, ApiKey] | None:
        raw_key = key_from_headers(request.META.get("HTTP_AUTHORIZATION"), request.META.get("HTTP_X_API_KEY"))
        if raw_key is None:
            return None
        found = user_for_key(raw_key)
        if found is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        return found

    def authenticate_header(self, request: Any) -> str:
        # Makes DRF answer 401 (not 403) to unauthenticated requests.
        return 'Bearer realm="api"'


class ApiKeyWebsocketMiddleware:
    """Authenticates websocket connections that carry an API key; session users pass through."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        headers = {name.decode().lower(): value.decode() for name, value in scope.get("headers", [])}
        raw_key = key_from_headers(headers.get("authorization"), headers.get("x-api-key"))
        if raw_key is None:
            query = parse_qs(scope.get("query_string", b"").decode())
            raw_key = (query.get("api_key") or [None])[0]
        if raw_key:
            # Not thread-sensitive: hundreds of sockets connecting at once (a deploy, a popular page)
            # would otherwise wait for each other's lookups on one thread, past daphne's 5 s handshake.
            found = await database_sync_to_async(user_for_key, thread_sensitive=False)(raw_key)
            if found is not None:
                scope = dict(scope, user=found[0], api_key=found[1])
        return await self.inner(scope, receive, send)


class SessionWebsocketMiddleware(AuthMiddleware):
    """Channels' ``AuthMiddleware`` (the session user), without its two bottlenecks under a burst of
    connections: the session lookup runs on any thread of the pool instead of queueing on the one
    thread-sensitive thread, and it is skipped when an API key already named the user."""

    async def resolve_scope(self, scope: dict) -> None:
        if not isinstance(scope["user"], UserLazyObject):
            return  # ApiKeyWebsocketMiddleware, outside this one, authenticated the socket
        scope["user"]._wrapped = await database_sync_to_async(get_user.func, thread_sensitive=False)(scope)


def WebsocketAuthStack(inner: Any) -> Any:  # noqa: N802 (named like channels' AuthMiddlewareStack)
    """API key first, then the session: ``AuthMiddlewareStack`` with ``SessionWebsocketMiddleware``."""
    return ApiKeyWebsocketMiddleware(CookieMiddleware(SessionMiddleware(SessionWebsocketMiddleware(inner))))
