"""``/healthz`` (liveness) and ``/readyz`` (readiness), for load balancers and orchestrators.

``/healthz`` answers 200 while the process serves requests: restart the process when it does not.
``/readyz`` answers 200 when this process can do its work — the database answers, the broker accepts
connections, the storage is usable (the S3 bucket exists and takes our credentials), and in the
distributed mode the channel layer's Redis answers — and 503 otherwise: take it out of rotation.
Neither needs authentication; the body names the failing check and the kind of error, while the
details (which may name hosts and users) go to the log only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, Callable[[], str]] = {
        "database": _database,
        "broker": _broker,
        "storage": _storage,
    }
    if settings.REDIS_URL:
        checks["channel_layer"] = _channel_layer
    results = {name: _run(name, check) for name, check in checks.items()}
    ready = all(result["ok"] for result in results.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": results}, status=200 if ready else 503
    )


def _run(name: str, check: Callable[[], str]) -> dict:
    started = time.perf_counter()
    try:
        detail = check()
    except Exception as error:
        log.error("Readiness check %s failed: %s", name, error)
        return {"ok": False, "error": type(error).__name__, "ms": _ms(started)}
    return {"ok": True, "detail": detail, "ms": _ms(started)}


def _ms(started: float) -> float:
    return round(1000 * (time.perf_counter() - started), 1)


def _database() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connections["default"].vendor


def _broker() -> str:
    from studio.celery import app

    if settings.CELERY_BROKER_URL == "memory://":
        return "in-process"
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=3)
        return connection.transport.driver_type


def _storage() -> str:
    from studio.storage import storage_check

    return storage_check()


def _channel_layer() -> str:
    import redis

    address = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["address"]
    client = redis.Redis.from_url(address, socket_timeout=3, socket_connect_timeout=3)
    try:
        client.ping()
    finally:
        client.close()
    return "redis"
