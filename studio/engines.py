"""Engines as a request sees them: refused at once when this studio cannot run them.

A request naming an engine that is not installed or not configured here is refused with a 400 while
the client waits, instead of a job that fails on the worker half a minute later. In the distributed
mode the web machines may lack what the GPU workers have (coqui-tts, the checkpoints):
``STUDIO_WORKER_ENGINES`` names the engines that run on separate workers, and those are trusted
rather than checked here.
"""

from __future__ import annotations

from django.conf import settings

from engines import get_engine
from engines.base import Engine
from errors import InvalidInput


def engine_for_request(name: str, *, field: str = "engine") -> Engine:
    engine = get_engine(name)
    if name in settings.STUDIO_WORKER_ENGINES:
        return engine
    availability = engine.availability()
    if not availability.available:
        raise InvalidInput(
            f"The {engine.label} engine is not available on this studio: {availability.reason}",
            field=field,
            code="engine_unavailable",
        )
    return engine
