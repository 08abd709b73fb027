"""Template context every page gets."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

import limits


def studio_limits(request: HttpRequest) -> dict[str, Any]:
    """The limits (limits.py) for templates, and as JSON for scripts: base.html writes
    ``{{ studio_limits|json_script:"studio-limits" }}``, static/studio/js/limits.js reads it."""
    return {"studio_limits": limits.as_dict()}
