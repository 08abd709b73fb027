"""What the API answers, as small typed objects (the full JSON stays in ``raw``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass
class Voice:
    id: str
    name: str
    status: str
    language: str
    languages: list[str]
    visibility: str
    type: str
    engine: str
    stability: float | None
    similarity_score: float | None
    preview_url: str | None
    progress: dict[str, Any]
    analysis: dict[str, Any]
    verification: str | None
    error: str
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> Voice:
        return cls(
            id=body["id"], name=body.get("name", ""), status=body.get("status", ""),
            language=body.get("language", ""), languages=list(body.get("languages") or []),
            visibility=body.get("visibility", ""), type=body.get("type", ""), engine=body.get("engine", ""),
            stability=body.get("stability"), similarity_score=body.get("similarity_score"),
            preview_url=body.get("preview_url"), progress=dict(body.get("progress") or {}),
            analysis=dict(body.get("analysis") or {}), verification=body.get("verification"),
            error=body.get("error") or "", raw=body,
        )  # fmt: skip


@dataclass
class Preview:
    id: str
    status: str
    text: str
    stability: float
    similarity_score: float | None
    audio_url: str | None
    analysis: dict[str, Any]
    error: str
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> Preview:
        return cls(
            id=body["id"], status=body.get("status", ""), text=body.get("text", ""),
            stability=body.get("stability", 0.5), similarity_score=body.get("similarity_score"),
            audio_url=body.get("audio_url"), analysis=dict(body.get("analysis") or {}),
            error=body.get("error") or "", raw=body,
        )  # fmt: skip


@dataclass
class Consent:
    voice_id: str
    verification: str
    phrase: str | None
    consent_id: str | None
    last_check: dict[str, Any] | None
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> Consent:
        return cls(
            voice_id=body["voice_id"], verification=body.get("verification", ""), phrase=body.get("phrase"),
            consent_id=body.get("consent_id"), last_check=body.get("last_check"), raw=body,
        )  # fmt: skip


@dataclass
class Page(Generic[T]):
    data: list[T]
    total: int
    limit: int
    offset: int
    next_offset: int | None


@dataclass
class Audio:
    """Generated speech: the bytes, their format, and the stored generation's id."""

    data: bytes
    format: str
    content_type: str
    speech_id: str | None = None

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_bytes(self.data)
        return path
