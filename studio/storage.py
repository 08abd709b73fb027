"""Stored files on local disk or S3: what differs between the two, in one place.

Media is private (voice samples), so files reach browsers through views that check access and then
stream the file (local disk) or redirect to a short-lived signed URL (S3, ``StudioS3Storage``).
Whether a storage is local is a question of its class: django-storages' ``S3Storage`` *has* a
``path`` method (it raises ``NotImplementedError``), so ``hasattr(storage, "path")`` cannot tell.
"""

from __future__ import annotations

import logging
import posixpath
import shutil
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from storages.backends.s3 import S3Storage

log = logging.getLogger(__name__)


class StudioS3Storage(S3Storage):
    """``S3Storage`` that can sign URLs for the address browsers use (``public_endpoint_url``).

    A signed URL covers its host, so it cannot be rewritten afterwards: when the servers reach S3 at
    one address (``http://s3:8333`` inside compose) and browsers at another, it must be signed for the
    browsers' one. Signing needs no request, so the second client never talks to S3 itself.
    """

    def get_default_settings(self) -> dict[str, Any]:
        return {**super().get_default_settings(), "public_endpoint_url": None}

    def url(
        self, name: str, parameters: dict | None = None, expire: int | None = None, http_method=None
    ) -> str:
        if not self.public_endpoint_url:
            return super().url(name, parameters, expire, http_method)
        params = {**(parameters or {}), "Bucket": self.bucket_name, "Key": self._normalize_name(name)}
        return self._public_client().generate_presigned_url(
            "get_object",
            Params=params,
            ExpiresIn=self.querystring_expire if expire is None else expire,
            HttpMethod=http_method,
        )

    def _public_client(self) -> Any:
        client = getattr(self, "_public", None)
        if client is None:
            client = self._public = self._create_session().client(
                "s3",
                region_name=self.region_name,
                endpoint_url=self.public_endpoint_url,
                config=self.client_config,
            )
        return client


def storage_is_local(storage: Storage) -> bool:
    return isinstance(storage, FileSystemStorage)


def storage_delete_prefix(prefix: str, storage: Storage = default_storage) -> int:
    """Delete every file under ``prefix/`` (and, on disk, the emptied folders). Returns how many went
    on S3 (batched, 1000 keys a request), or -1 on disk, where a folder goes at once."""
    prefix = prefix.strip("/")
    if not prefix:
        raise ValueError("Refusing to delete the whole storage.")
    if isinstance(storage, S3Storage):
        objects = storage.bucket.objects.filter(Prefix=f"{prefix}/")
        return sum(len(batch.get("Deleted", [])) for batch in objects.delete())
    if storage_is_local(storage):
        shutil.rmtree(storage.path(prefix), ignore_errors=True)
        return -1
    directories, files = _listdir(storage, prefix)
    count = 0
    for name in files:
        storage.delete(posixpath.join(prefix, name))
        count += 1
    for name in directories:
        count += storage_delete_prefix(posixpath.join(prefix, name), storage)
    return count


def _listdir(storage: Storage, prefix: str) -> tuple[list[str], list[str]]:
    try:
        return storage.listdir(prefix)
    except FileNotFoundError:
        return [], []


def storage_check(storage: Storage = default_storage, *, create: bool = False) -> str:
    """Make sure the storage can be used; raise ``ImproperlyConfigured`` saying what to fix.

    On S3 the bucket must exist and accept our credentials; ``create`` makes a missing one. Called at
    start by every process (web: studio/asgi.py, workers and beat: studio/celery.py, the embedded
    studio) and by ``/readyz``. Returns a line describing the storage.
    """
    if storage_is_local(storage):
        return f"local folder {storage.location}"
    if not isinstance(storage, S3Storage):
        return type(storage).__name__
    from botocore.exceptions import BotoCoreError, ClientError

    where = f"bucket {storage.bucket_name!r} at {storage.endpoint_url or 'AWS S3'}"
    client = storage.connection.meta.client
    try:
        client.head_bucket(Bucket=storage.bucket_name)
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 404 and create:
            try:
                client.create_bucket(Bucket=storage.bucket_name)
            except ClientError as create_error:
                raise ImproperlyConfigured(
                    f"S3: the {where} does not exist and could not be created ({create_error}). "
                    "Create it, or give STUDIO_S3_ACCESS_KEY the right to."
                ) from None
            log.warning("Created the S3 %s", where)
            return f"S3 {where} (created)"
        if status == 404:
            raise ImproperlyConfigured(
                f"S3: the {where} does not exist. Create it, or set STUDIO_S3_CREATE_BUCKET=on."
            ) from None
        if status in (401, 403):
            raise ImproperlyConfigured(
                f"S3 refused the credentials for the {where} (HTTP {status}): check STUDIO_S3_ACCESS_KEY "
                "and STUDIO_S3_SECRET_KEY, and that this key may read, write, list and delete in the bucket."
            ) from None
        raise ImproperlyConfigured(f"S3: the {where} answered {error}.") from None
    except BotoCoreError as error:
        raise ImproperlyConfigured(f"S3: cannot reach the {where}: {error}") from None
    return f"S3 {where}"


def storage_ensure_at_start() -> None:
    """The start-up check: create or check the bucket once per process, failing fast and clearly."""
    storage_check(default_storage, create=getattr(settings, "STUDIO_S3_CREATE_BUCKET", False))
