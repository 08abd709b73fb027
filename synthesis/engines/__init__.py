"""Engine registry. Engines are looked up by name; importing this module imports no heavy library."""

from __future__ import annotations

from importlib import import_module

from studio.errors import EngineUnavailable, InvalidInput

from .base import Engine

# name -> "module:ClassName"; the module is imported on first use.
ENGINE_PATHS: dict[str, str] = {
    "offline": "synthesis.engines.offline:OfflineEngine",
    "xtts": "synthesis.engines.xtts:XttsEngine",
    "openvoice": "synthesis.engines.openvoice:OpenVoiceEngine",
}

DEFAULT_ENGINE = "offline"

_instances: dict[str, Engine] = {}


def engine_names() -> list[str]:
    return list(ENGINE_PATHS)


def get_engine(name: str) -> Engine:
    """The engine instance for ``name`` (one per process, so loaded models are reused)."""
    if name not in ENGINE_PATHS:
        raise InvalidInput(
            f"Unknown engine {name!r}; choose one of {', '.join(ENGINE_PATHS)}.", field="engine"
        )
    if name not in _instances:
        module_name, class_name = ENGINE_PATHS[name].split(":")
        _instances[name] = getattr(import_module(module_name), class_name)()
    return _instances[name]


def get_available_engine(name: str) -> Engine:
    engine = get_engine(name)
    availability = engine.availability()
    if not availability.available:
        raise EngineUnavailable(
            f"The {engine.label} engine is not available here: {availability.reason}", field="engine"
        )
    return engine
