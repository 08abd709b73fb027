"""Engine registry. Engines are looked up by name; importing this package imports no heavy library
and no Django.

What an engine needs from the operator (checkpoint folders) is passed in with ``configure``: the studio
does that from its settings when Django starts (``studio.apps.StudioConfig.ready``) and again when a
setting changes; a script outside Django calls it itself, or takes the defaults.
"""

from __future__ import annotations

import threading
from importlib import import_module
from typing import Any

from errors import EngineUnavailable, InvalidInput

from .base import Engine

# name -> "module:ClassName"; the module is imported on first use.
ENGINE_PATHS: dict[str, str] = {
    "offline": "engines.offline:OfflineEngine",
    "xtts": "engines.xtts:XttsEngine",
    "openvoice": "engines.openvoice:OpenVoiceEngine",
}

DEFAULT_ENGINE = "offline"

_lock = threading.RLock()  # an engine may look up another (OpenVoice its base voice)
_options: dict[str, dict[str, Any]] = {}
_instances: dict[str, Engine] = {}


def configure(options: dict[str, dict[str, Any]]) -> None:
    """Set each engine's constructor keywords, e.g. ``{"xtts": {"checkpoint_dir": "/models/xtts"}}``.

    Engines built earlier with other options are dropped (their models with them), so the next
    ``get_engine`` builds them again; engines whose options did not change are kept.
    """
    with _lock:
        for name in ENGINE_PATHS:
            if options.get(name, {}) != _options.get(name, {}):
                _instances.pop(name, None)
        _options.clear()
        _options.update({name: dict(value) for name, value in options.items()})


def engine_names() -> list[str]:
    return list(ENGINE_PATHS)


def get_engine(name: str) -> Engine:
    """The engine instance for ``name`` (one per process, so loaded models are reused)."""
    if name not in ENGINE_PATHS:
        raise InvalidInput(
            f"Unknown engine {name!r}; choose one of {', '.join(ENGINE_PATHS)}.", field="engine"
        )
    with _lock:
        if name not in _instances:
            module_name, class_name = ENGINE_PATHS[name].split(":")
            _instances[name] = getattr(import_module(module_name), class_name)(**_options.get(name, {}))
        return _instances[name]


def get_available_engine(name: str) -> Engine:
    engine = get_engine(name)
    availability = engine.availability()
    if not availability.available:
        raise EngineUnavailable(
            f"The {engine.label} engine is not available here: {availability.reason}", field="engine"
        )
    return engine
