"""The offline CPU engine (default): Piper or Kokoro base voice + WORLD conversion. See ``engine.py``."""

from .engine import OfflineEngine

__all__ = ["OfflineEngine"]
