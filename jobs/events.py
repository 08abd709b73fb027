"""What clients see of a job, and how it reaches their websockets.

Every event goes to the job's own group (``ws/jobs/<id>/``) and to any group an app registered for
it (``jobs.kinds.job_groups_register``: the voice's group, ``ws/voices/<id>/``).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from jobs.kinds import job_extra_groups
from jobs.models import Job

log = logging.getLogger(__name__)


def job_group(job_id: str) -> str:
    return f"job.{job_id}"


def job_payload(job: Job) -> dict[str, Any]:
    """What clients see of a job: the API body, the websocket snapshot and every event."""
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "step": job.step,
        "percent": round(job.percent, 1),
        "eta_seconds": None if job.eta_seconds is None else round(job.eta_seconds, 1),
        "error": job.error or None,
        "voice_id": job.voice_id,
        "result": job.result,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def job_broadcast(job: Job, event: str) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    # sent_at: lets a client (bench/progress_latency.py) measure how long the event took to reach it.
    message = {"type": "job.event", "event": event, "job": job_payload(job), "sent_at": time.time()}
    try:
        for group in [job_group(job.id), *job_extra_groups(job)]:
            # The group travels with the message: each web process fans it out to its own sockets.
            async_to_sync(layer.group_send)(group, {**message, "group": group})
    except Exception:  # A dead channel layer must not fail the work; clients can still poll the row.
        log.exception("Could not publish %s event for %s", event, job.id)
