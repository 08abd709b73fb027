"""The engine protocol.

An engine turns reference audio into per-voice artifacts (``prepare``) and text into speech
(``synthesize``). Engines are the only modules that import heavy libraries (torch, onnxruntime,
coqui-tts, piper), and they do so lazily inside their methods, so the web process starts fast and a
machine without an engine's extras still runs everything else.

Audio crossing this boundary is always mono float32 numpy in [-1, 1] with an explicit sample rate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import limits

if TYPE_CHECKING:
    import numpy as np

# The option values every engine accepts (limits.py defines them once for the whole studio).
EMOTIONS = limits.EMOTIONS
TIERS = limits.TIERS
DEFAULT_SIMILARITY_BOOST = limits.DEFAULT_SIMILARITY_BOOST

# progress(fraction 0..1, step label or None)
ProgressCallback = Callable[[float, "str | None"], None]


@dataclass(frozen=True)
class EngineLicense:
    name: str  # e.g. "MIT + GPL-3.0-or-later runtime", "CPML"
    commercial_use: bool
    notes: str = ""


@dataclass(frozen=True)
class Availability:
    available: bool
    reason: str = ""  # why not, in words an operator can act on


@dataclass
class Reference:
    """One cleaned reference clip of the target speaker."""

    samples: np.ndarray  # float32 mono
    sample_rate: int
    transcript: str = ""
    language: str = ""
    emotion: str = "neutral"


@dataclass
class Audio:
    samples: np.ndarray  # float32 mono
    sample_rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.sample_rate)


@dataclass
class SynthesisOptions:
    language: str = "en"
    emotion: str = "neutral"
    speed: float = 1.0  # limits.SPEED
    pitch: float = 0.0  # semitones, limits.PITCH
    stability: float = (
        limits.DEFAULT_STABILITY
    )  # limits.STABILITY (engine-specific mapping, documented by each engine)
    similarity_boost: float = DEFAULT_SIMILARITY_BOOST  # 0 .. 1: likeness against clarity (engine-specific)
    # Engine-specific settings. "seed": a reproducible render, the same audio for the same input
    # (XTTS seeds torch; the offline engine turns Piper's sampling noise off).
    extra: dict = field(default_factory=dict)


# Per-voice artifacts: file name -> bytes. The studio stores them under the voice and gives the same
# mapping back to ``synthesize``; engines choose the names and the format (npz, pth, json...).
Artifacts = dict[str, bytes]


class Engine(Protocol):
    name: str  # stable id stored on voices, e.g. "offline"
    label: str  # human name
    license: EngineLicense
    languages: tuple[str, ...]
    queue: str  # Celery queue its jobs go to: "cpu" or "gpu"

    def availability(self) -> Availability: ...

    def prepare(
        self,
        references: list[Reference],
        *,
        tier: str = "instant",
        progress: ProgressCallback | None = None,
    ) -> Artifacts: ...

    def synthesize(self, artifacts: Artifacts, text: str, options: SynthesisOptions) -> Audio: ...

    def stream(self, artifacts: Artifacts, text: str, options: SynthesisOptions) -> Iterator[Audio]:
        """Yield audio chunks as they are made (engines without native streaming yield per sentence)."""
        ...
