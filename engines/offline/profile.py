"""The per-voice profile ``prepare`` builds and ``synthesize`` applies, and its artifact format.

Artifacts are one ``profile.npz`` (numpy arrays, no pickle) holding a JSON header with a format
version: a profile written by another version (or for another base voice) is refused with a message
that says to prepare the voice again, never silently misread.
"""

from __future__ import annotations

import functools
import io
import json
from dataclasses import asdict, dataclass, field

import numpy as np

from errors import Conflict

from .base_voice import BASE_VOICE_ID
from .bases import BASES

FORMAT_VERSION = 1
ARTIFACT_NAME = "profile.npz"


@dataclass
class ProsodyStats:
    """How a voice (or one emotion of it) sounds in pitch, tempo and level."""

    log_f0_mean: float
    log_f0_std: float
    length_scale: float = 1.0  # Piper length_scale that matches the speaking rate (> 1 slower)
    level_db: float = 0.0  # loudness relative to the voice's neutral references


@dataclass
class Exemplars:
    """Aligned frame pairs from the self-parallel data: globally converted base -> reference.

    A new frame borrows the residual (and, with ``blend`` > 0, part of the reference envelope) of
    its nearest exemplars, so the profile carries the target's phone-dependent colour, not just an
    average EQ.
    """

    sources: np.ndarray  # (N, ORDER) converted base cepstra
    residuals: np.ndarray  # (N, ORDER) aligned reference cepstra minus ``sources``
    match_dims: int = 24  # neighbours are searched on c1 .. c{match_dims}
    neighbours: int = 16  # k for the averaged residual
    blend_neighbours: int = 4  # k for the reference-envelope part
    blend: float = 0.0  # 0: residual only; 1: the neighbours' reference envelopes replace the frame's
    pull: float = 0.0  # then: how far a frame moves to the mean of its nearest reference frames
    pull_neighbours: int = 4

    @functools.cached_property
    def references(self) -> np.ndarray:
        """(N, ORDER) the aligned reference cepstra themselves (computed once per loaded profile)."""
        return self.sources + self.residuals


@dataclass
class SpectralMap:
    """Base-voice envelope -> target envelope: warp, then EQ, then the exemplar residual."""

    warp: float = 1.0  # frequency-warp factor, > 1 moves formants up
    eq: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (ORDER,) cepstral offset
    exemplars: Exemplars | None = None
    spread: np.ndarray | None = None  # (ORDER,) std of the reference's cepstra over speech frames
    spread_strength: float = 0.0  # 0: none; 1: a phrase's spread is set to ``spread``


@dataclass
class VoiceProfile:
    base_prosody: ProsodyStats  # the base voice saying the same text, for relative moves
    prosody: dict[str, ProsodyStats]  # per emotion; "neutral" is always present
    spectral: SpectralMap
    info: dict = field(default_factory=dict)  # tier, seconds of reference, parallel or not ...
    base_voice: str = BASE_VOICE_ID  # which base (bases.BASES) the map was learned on
    language: str = "en"  # the references' language: what the voice speaks unless asked otherwise
    boost_scale: float = 1.0  # the similarity boost is multiplied by this (calibration.py; higher tiers)

    def prosody_for(self, emotion: str) -> ProsodyStats | None:
        return self.prosody.get(emotion)


def _header(profile: VoiceProfile) -> dict:
    return {
        "format_version": FORMAT_VERSION,
        "base_voice": profile.base_voice,
        "language": profile.language,
        "boost_scale": profile.boost_scale,
        "base_prosody": asdict(profile.base_prosody),
        "prosody": {emotion: asdict(stats) for emotion, stats in profile.prosody.items()},
        "warp": profile.spectral.warp,
        "spread_strength": profile.spectral.spread_strength,
        "exemplars": _exemplar_header(profile.spectral.exemplars),
        "info": profile.info,
    }


def _exemplar_header(exemplars: Exemplars | None) -> dict | None:
    if exemplars is None:
        return None
    return {
        key: getattr(exemplars, key)
        for key in ("match_dims", "neighbours", "blend_neighbours", "blend", "pull", "pull_neighbours")
    }


def profile_to_artifacts(profile: VoiceProfile) -> dict[str, bytes]:
    spectral = profile.spectral
    arrays: dict[str, np.ndarray] = {
        "header": np.frombuffer(json.dumps(_header(profile)).encode(), dtype=np.uint8),
        "eq": spectral.eq.astype(np.float32),
    }
    if spectral.exemplars is not None:
        # float16 halves the size; cepstra are O(1) with ~1e-3 relative precision, far below audibility.
        arrays["exemplar_sources"] = spectral.exemplars.sources.astype(np.float16)
        arrays["exemplar_residuals"] = spectral.exemplars.residuals.astype(np.float16)
    if spectral.spread is not None:
        arrays["spread"] = spectral.spread.astype(np.float32)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return {ARTIFACT_NAME: buffer.getvalue()}


def _outdated(reason: str) -> Conflict:
    return Conflict(
        f"This voice was prepared for another version of the offline engine ({reason}); "
        "prepare (clone) it again.",
        code="voice_outdated",
    )


def _read_arrays(artifacts: dict[str, bytes]) -> dict[str, np.ndarray]:
    if ARTIFACT_NAME not in artifacts:
        raise _outdated(f"no {ARTIFACT_NAME}")
    try:
        with np.load(io.BytesIO(artifacts[ARTIFACT_NAME]), allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (ValueError, OSError) as error:
        raise _outdated("unreadable profile") from error


def profile_from_artifacts(artifacts: dict[str, bytes]) -> VoiceProfile:
    arrays = _read_arrays(artifacts)
    header = json.loads(arrays["header"].tobytes().decode())
    if header.get("format_version") != FORMAT_VERSION:
        raise _outdated(f"format {header.get('format_version')}, expected {FORMAT_VERSION}")
    if header.get("base_voice") not in BASES:
        raise _outdated(f"base voice {header.get('base_voice')}")
    exemplars = None
    if header.get("exemplars") is not None:
        exemplars = Exemplars(
            sources=arrays["exemplar_sources"].astype(np.float32),
            residuals=arrays["exemplar_residuals"].astype(np.float32),
            **header["exemplars"],
        )
    # Profiles written before the pull and the spread existed lack them and convert as they did then.
    spectral = SpectralMap(
        warp=float(header["warp"]),
        eq=arrays["eq"].astype(np.float64),
        exemplars=exemplars,
        spread=arrays["spread"].astype(np.float64) if "spread" in arrays else None,
        spread_strength=float(header.get("spread_strength", 0.0)),
    )
    return VoiceProfile(
        base_prosody=ProsodyStats(**header["base_prosody"]),
        prosody={emotion: ProsodyStats(**stats) for emotion, stats in header["prosody"].items()},
        spectral=spectral,
        info=header.get("info", {}),
        base_voice=header["base_voice"],
        language=header.get("language", "en"),
        boost_scale=float(header.get("boost_scale", 1.0)),
    )
