"""Prometheus metrics of the job system, served by every web process at ``/metrics``.

Jobs finish on workers, often on other machines, while Prometheus scrapes the web processes. So each
outcome is counted where every process can read it: in Redis (hash ``studio:metrics:jobs``) in the
distributed mode, in this process's memory in the embedded one (its worker is a thread of it). The
queue depth is read at scrape time from the job table (the source of truth) and from the broker.

    studio_jobs{status,queue}                  queued and running jobs (the queue depth)
    studio_broker_queue_messages{queue}        messages waiting in the Redis broker
    studio_jobs_finished_total{kind,outcome}   jobs that finished, by kind and outcome
    studio_job_duration_seconds{kind,outcome}  histogram of run time (claim to finish, last attempt)
    studio_websockets_open                     progress websockets open in this web process
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from prometheus_client import Gauge
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from jobs.models import Job

log = logging.getLogger(__name__)

REDIS_KEY = "studio:metrics:jobs"
DURATION_BUCKETS = (1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
QUEUES = ("cpu", "gpu")

WEBSOCKETS_OPEN = Gauge("studio_websockets_open", "Progress websockets open in this web process")

_local: dict[str, float] = defaultdict(float)
_local_lock = threading.Lock()


@cache
def _redis() -> Any:
    """The shared store (the broker's Redis), or None in the embedded mode."""
    if not settings.REDIS_URL:
        return None
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=5)


def job_outcome_record(job: Job) -> None:
    """Count a finished job (called once per job, by whoever finished it). Never fails the job."""
    seconds = 0.0
    if job.started_at and job.finished_at:
        seconds = max(0.0, (job.finished_at - job.started_at).total_seconds())
    labels = f"{job.kind}|{job.status.lower()}"
    increments = {f"count|{labels}": 1.0, f"sum|{labels}": seconds}
    increments |= {f"bucket|{labels}|{bound}": 1.0 for bound in DURATION_BUCKETS if seconds <= bound}
    try:
        client = _redis()
        if client is None:
            with _local_lock:
                for field, amount in increments.items():
                    _local[field] += amount
            return
        pipe = client.pipeline(transaction=False)
        for field, amount in increments.items():
            pipe.hincrbyfloat(REDIS_KEY, field, amount)
        pipe.execute()
    except Exception:  # metrics must never fail the work
        log.warning("Could not record the outcome of job %s in the metrics", job.id, exc_info=True)


def _recorded() -> dict[str, float]:
    client = _redis()
    if client is None:
        with _local_lock:
            return dict(_local)
    return {field.decode(): float(value) for field, value in client.hgetall(REDIS_KEY).items()}


class JobsCollector(Collector):
    """Reads the numbers at scrape time (registered once per process by ``jobs.apps``)."""

    def describe(self) -> Iterator[Any]:
        """The names, without reading anything (the registry asks at registration)."""
        yield GaugeMetricFamily("studio_jobs", "", labels=["status", "queue"])
        yield GaugeMetricFamily("studio_broker_queue_messages", "", labels=["queue"])
        yield CounterMetricFamily("studio_jobs_finished", "", labels=["kind", "outcome"])
        yield HistogramMetricFamily("studio_job_duration_seconds", "", labels=["kind", "outcome"])

    def collect(self) -> Iterator[Any]:
        yield from self._queue_depth()
        yield from self._broker_depth()
        yield from self._outcomes()

    def _queue_depth(self) -> Iterator[Any]:
        from django.db.models import Count

        from jobs.models import Job

        family = GaugeMetricFamily("studio_jobs", "Jobs waiting or running", labels=["status", "queue"])
        counts = {(status, queue): 0 for status in ("QUEUED", "RUNNING") for queue in QUEUES}
        rows = (
            Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
            .values_list("status", "queue")
            .annotate(n=Count("id"))
        )
        for status, queue, n in rows:
            counts[(status, queue)] = n
        for (status, queue), n in sorted(counts.items()):
            family.add_metric([status, queue], n)
        yield family

    def _broker_depth(self) -> Iterator[Any]:
        client = _redis()
        if client is None or not settings.CELERY_BROKER_URL.startswith("redis"):
            return
        family = GaugeMetricFamily(
            "studio_broker_queue_messages", "Messages waiting in the broker", labels=["queue"]
        )
        for queue in QUEUES:
            family.add_metric([queue], client.llen(queue))
        yield family

    def _outcomes(self) -> Iterator[Any]:
        recorded = _recorded()
        totals = CounterMetricFamily(
            "studio_jobs_finished", "Jobs that finished, by kind and outcome", labels=["kind", "outcome"]
        )
        durations = HistogramMetricFamily(
            "studio_job_duration_seconds", "Run time of finished jobs", labels=["kind", "outcome"], unit=""
        )
        for field, count in sorted(recorded.items()):
            kind_and_outcome = field.split("|")
            if kind_and_outcome[0] != "count":
                continue
            kind, outcome = kind_and_outcome[1:]
            labels = f"{kind}|{outcome}"
            totals.add_metric([kind, outcome], count)
            buckets = [
                (str(bound), recorded.get(f"bucket|{labels}|{bound}", 0.0)) for bound in DURATION_BUCKETS
            ]
            durations.add_metric(
                [kind, outcome], buckets + [("+Inf", count)], sum_value=recorded.get(f"sum|{labels}", 0.0)
            )
        yield totals
        yield durations
