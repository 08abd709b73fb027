"""Serving stored media to its owner. Media is private (voice samples!), so nothing under MEDIA_ROOT
is served directly: views check access, then stream the file (local disk) or redirect to a short-lived
signed URL (S3)."""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath

from django.core.files.storage import default_storage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponseRedirect

from errors import NotFound
from studio.storage import storage_is_local


def file_response(
    field: FieldFile,
    *,
    download_name: str | None = None,
    as_attachment: bool = False,
    content_type: str | None = None,
):
    """The file itself (local storage) or a redirect to a signed URL (S3). ``content_type`` where the
    name's extension does not tell it (raw PCM, Opus, AAC: Python's mimetypes does not know them all)."""
    if not field or not field.name:
        raise NotFound("This file does not exist (yet).")
    name = download_name or PurePosixPath(field.name).name
    storage = field.storage or default_storage
    if not storage_is_local(storage):
        return HttpResponseRedirect(storage.url(field.name))  # a signed URL, valid STUDIO_S3_URL_EXPIRY s
    if not storage.exists(field.name):
        raise NotFound("This file is missing from storage.")
    content_type = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return FileResponse(
        storage.open(field.name, "rb"), as_attachment=as_attachment, filename=name, content_type=content_type
    )
