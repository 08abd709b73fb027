"""XTTS v2 via coqui-tts. Importing this package imports no heavy library: torch and coqui-tts are
imported inside the engine's methods, the first time a model is needed."""

from .engine import XTTS_LANGUAGES, XttsEngine, temperature_for

__all__ = ["XTTS_LANGUAGES", "XttsEngine", "temperature_for"]
