"""The request rate of the calls that start work or send audio (``throttle_scope`` on the view)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import ScopedRateThrottle


class WorkThrottle(ScopedRateThrottle):
    """``ScopedRateThrottle`` for writes only: reading a voice's consent phrase is not uploading."""

    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)
