"""Endpoints that may wait for a job (``POST /v1/speech``, ``POST /v1/voices/clone?wait=true``).

Under ASGI every sync Django view runs on one shared thread, so a sync view that sleeps while a job
runs would stall the whole site. Here the waiting happens in an async view between two quick sync
steps: ``start`` (a DRF view that validates and enqueues, marking its response with
``wait_for_job``) and ``finish`` (a DRF view that answers with the result, given ``job_id``).

At shutdown the server awaits ``waiting_answer_all``: every wait ends at once and its ``finish`` answers
with what there is (202 and the job to poll, when it is not final).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse

from jobs.models import Job
from jobs.selectors import job_status

POLL_SECONDS = 0.05
# Set by the server at shutdown; counts the requests still waiting or answering.
_stopping = False
_in_flight = 0
# After the last wait ends, its response still has to be written: a moment for that.
_ANSWER_GRACE_SECONDS = 0.3


async def job_wait(job_id: str, timeout: float) -> bool:
    """Wait until the job is final; False on timeout or when the server is shutting down."""
    deadline = time.monotonic() + timeout
    while True:
        status = await sync_to_async(job_status)(job_id)
        if status is None or status in Job.FINAL:
            return True
        if _stopping or time.monotonic() >= deadline:
            return False
        await asyncio.sleep(POLL_SECONDS)


async def waiting_answer_all(timeout: float = 5.0) -> None:
    """The server is shutting down: every waiting request answers now with what it has. Returns once
    none is waiting or answering any more (or after ``timeout`` seconds)."""
    global _stopping
    _stopping = True
    deadline = time.monotonic() + timeout
    while _in_flight and time.monotonic() < deadline:
        await asyncio.sleep(POLL_SECONDS)
    await asyncio.sleep(_ANSWER_GRACE_SECONDS)


def waiting_view(
    start: Callable[..., HttpResponse], finish: Callable[..., HttpResponse], *, timeout: Callable[[], float]
) -> Callable:
    async def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        global _in_flight
        response = await sync_to_async(start)(request, *args, **kwargs)
        job_id = getattr(response, "wait_for_job", None)
        if job_id is None:
            return response
        _in_flight += 1
        try:
            await job_wait(job_id, timeout())
            return await sync_to_async(finish)(request, *args, job_id=job_id, **kwargs)
        finally:
            _in_flight -= 1

    # DRF's session authentication enforces CSRF itself; API-key clients have no CSRF token.
    view.csrf_exempt = True  # type: ignore[attr-defined]
    # The OpenAPI generator documents the start view (a DRF view) as this endpoint.
    for attribute in ("cls", "initkwargs", "view_class", "actions"):
        if hasattr(start, attribute):
            setattr(view, attribute, getattr(start, attribute))
    return view
