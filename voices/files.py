"""Where a voice's files live in storage, and how they go away with it.

Every file of a voice sits under ``voices/<voice id>/`` (samples, preview, engine artifacts), so
deleting a voice deletes one prefix, whatever the storage (local disk or S3).
"""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from engines.base import Artifacts
from studio.storage import storage_delete_prefix


def voice_prefix(voice_id: str) -> str:
    return f"voices/{voice_id}"


def artifacts_prefix(voice_id: str, engine: str) -> str:
    return f"{voice_prefix(voice_id)}/engine/{engine}"


def preview_prefix(preview_id: str) -> str:
    """Every file of a voice preview (samples, engine artifacts, the clip) sits under this prefix."""
    return f"previews/{preview_id}"


def preview_artifacts_prefix(preview_id: str, engine: str) -> str:
    return f"{preview_prefix(preview_id)}/engine/{engine}"


def artifacts_save(voice_id: str, engine: str, artifacts: Artifacts) -> None:
    artifacts_save_at(artifacts_prefix(voice_id, engine), artifacts)


def artifacts_load(voice_id: str, engine: str) -> Artifacts:
    return artifacts_load_at(artifacts_prefix(voice_id, engine))


def artifacts_save_at(prefix: str, artifacts: Artifacts) -> None:
    storage_delete_tree(prefix)
    for name, data in artifacts.items():
        default_storage.save(f"{prefix}/{name}", ContentFile(data))


def artifacts_load_at(prefix: str) -> Artifacts:
    try:
        _, names = default_storage.listdir(prefix)
    except FileNotFoundError:
        return {}
    artifacts = {}
    for name in names:
        with default_storage.open(f"{prefix}/{name}", "rb") as handle:
            artifacts[name] = handle.read()
    return artifacts


def storage_delete_tree(prefix: str) -> None:
    """Delete every file under ``prefix`` (one batched request per 1000 objects on S3)."""
    storage_delete_prefix(prefix, default_storage)
