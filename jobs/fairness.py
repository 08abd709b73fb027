"""Fair use of the workers: per-user caps when a job is created, fair dispatch when a worker picks one.

* **Admission** (``job_admit``, called by ``jobs.services.job_create``): a user may have at most
  ``limits.USER_MAX_ACTIVE_JOBS`` unfinished jobs, standing for at most
  ``limits.USER_MAX_QUEUED_WORKER_SECONDS`` of worker time (each kind estimates its cost from its params:
  ``JobKind.cost``; speech by the length of its text). Past that: ``RateLimited`` (429, Retry-After).
* **Dispatch** (``job_claim_fair``, called by ``jobs.runner.job_run``): a broker message only says "a job
  is waiting on this queue". The worker takes the queued job whose owner is least served right now:
  fewest jobs running, then longest since their last job started, then the oldest job. One user's flood
  of jobs therefore delays another user's job by at most one job per worker, not by the whole flood.
  Every job has its own message, so every job still runs; a message whose job another message already
  ran simply runs the next fair one (or nothing).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, Q

import limits
from errors import RateLimited
from jobs.kinds import job_kind
from jobs.models import Job
from jobs.services import job_claim

# Queued jobs looked at per pick (oldest first): enough to find every waiting user behind a flood.
_FAIR_WINDOW = 1000
# What a job of a kind with no estimate stands for.
_DEFAULT_COST_SECONDS = 10.0


def job_cost(kind: str, params: dict) -> float:
    """Estimated worker seconds of a job (its kind's ``cost`` estimate, or a default)."""
    estimate = job_kind(kind).cost
    return float(estimate(params)) if estimate is not None else _DEFAULT_COST_SECONDS


def job_admit(*, owner: Any, kind: str, params: dict) -> None:
    """Raise ``RateLimited`` if ``owner`` may not queue this job now."""
    active = list(
        Job.objects.filter(owner=owner, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).values_list(
            "kind", "params"
        )
    )
    queued_seconds = sum(job_cost(k, p) for k, p in active)
    if len(active) >= limits.USER_MAX_ACTIVE_JOBS:
        raise RateLimited(
            f"You have {len(active)} jobs waiting or running; the limit is {limits.USER_MAX_ACTIVE_JOBS}. "
            "Wait for some to finish.",
            retry_after=queued_seconds / max(len(active), 1),
        )
    cost = job_cost(kind, params)
    budget = limits.USER_MAX_QUEUED_WORKER_SECONDS
    if cost > budget:
        raise RateLimited(
            f"This needs about {_duration(cost)} of worker time; one request may take at most "
            f"{_duration(budget)}. Split it into smaller requests (shorter texts, fewer per batch).",
            retry_after=60,
            field="text" if kind == "speech" else None,
        )
    if queued_seconds + cost > budget:
        raise RateLimited(
            f"Your queued work already needs about {_duration(queued_seconds)} of worker time; together with "
            f"this ({_duration(cost)}) it passes the {_duration(budget)} one user may have queued. "
            "Try again when some of it has finished.",
            retry_after=queued_seconds + cost - budget,
        )


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def job_claim_fair(job_id: str) -> Job | None:
    """Claim the fairest queued job on ``job_id``'s queue (``job_id`` itself last, e.g. a stale one)."""
    queue = Job.objects.filter(pk=job_id).values_list("queue", flat=True).first()
    if queue is None:
        return None  # deleted meanwhile (its voice was deleted)
    candidates = fair_order(queue)
    if job_id not in candidates:
        candidates.append(job_id)
    for candidate in candidates:
        job = job_claim(candidate)
        if job is not None:
            return job
    return None


def fair_order(queue: str) -> list[str]:
    """Each waiting user's oldest queued job on ``queue``, least-served user first."""
    oldest: dict[int, tuple[str, Any]] = {}
    for job_id, owner_id, created_at in (
        Job.objects.filter(queue=queue, status=Job.Status.QUEUED)
        .order_by("created_at", "id")
        .values_list("id", "owner_id", "created_at")[:_FAIR_WINDOW]
    ):
        oldest.setdefault(owner_id, (job_id, created_at))
    if not oldest:
        return []
    service = {
        row["owner_id"]: row
        for row in Job.objects.filter(owner_id__in=list(oldest), queue=queue)
        .values("owner_id")
        .annotate(running=Count("id", filter=Q(status=Job.Status.RUNNING)), last_started=Max("started_at"))
    }

    def served(owner_id: int) -> tuple:
        row = service.get(owner_id, {})
        last = row.get("last_started")
        return (
            row.get("running", 0),
            last is not None,
            last.timestamp() if last else 0.0,
            oldest[owner_id][1],
        )

    return [oldest[owner_id][0] for owner_id in sorted(oldest, key=served)]
