"""``/metrics``: Prometheus metrics of this process and the studio (text exposition format).

Collectors register themselves once per process in their app's ``ready()``: this module's database
collector (studio), the job collector (``jobs.metrics``). Scrape every web process (each has its own
websocket count and connection pool); the job numbers are the studio's and are the same everywhere.
With ``STUDIO_METRICS_TOKEN`` set, scrapers must send ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.STUDIO_METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return HttpResponse("A metrics token is required.\n", status=401, content_type="text/plain")
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)


class DatabaseCollector(Collector):
    """Connections to the database: the server's view (all processes) and this process's pool."""

    def describe(self) -> Iterator[Any]:
        """The names, without connecting (the registry asks at registration)."""
        yield GaugeMetricFamily("studio_db_connections", "", labels=["state"])
        yield GaugeMetricFamily("studio_db_max_connections", "")
        yield GaugeMetricFamily("studio_db_pool_connections", "", labels=["state"])

    def collect(self) -> Iterator[Any]:
        connection = connections["default"]
        if connection.vendor == "postgresql":
            yield from self._server(connection)
        pool = getattr(connection, "pool", None)
        if pool is not None:
            stats = pool.get_stats()
            family = GaugeMetricFamily(
                "studio_db_pool_connections", "This process's connection pool", labels=["state"]
            )
            family.add_metric(["open"], stats.get("pool_size", 0))
            family.add_metric(["idle"], stats.get("pool_available", 0))
            family.add_metric(["waiting_requests"], stats.get("requests_waiting", 0))
            family.add_metric(["max"], pool.max_size)
            yield family

    def _server(self, connection: Any) -> Iterator[Any]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(state, 'unknown'), count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() GROUP BY 1"
            )
            rows = cursor.fetchall()
            cursor.execute("SHOW max_connections")
            maximum = int(cursor.fetchone()[0])
        family = GaugeMetricFamily(
            "studio_db_connections", "Connections to the studio's database, every client", labels=["state"]
        )
        for state, count in rows:
            family.add_metric([state], count)
        yield family
        yield GaugeMetricFamily("studio_db_max_connections", "The server's max_connections", value=maximum)
