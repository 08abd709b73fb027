"""XTTS v2 via coqui-tts. Importing this package imports no heavy library: torch and coqui-tts are
imported inside the engine's methods, the first time a model is needed."""

from .engine import CHECKPOINT_LANGUAGES, XTTS_LANGUAGES, XttsEngine, temperature_for

__all__ = ["CHECKPOINT_LANGUAGES", "XTTS_LANGUAGES", "XttsEngine", "temperature_for"]
