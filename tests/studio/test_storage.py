"""Stored files on disk or S3 (studio/storage.py, studio/files.py). Signing a URL needs no S3 server;
the real bucket (SeaweedFS) is exercised in tests/e2e/test_scale_out.py."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

from studio.files import file_response
from studio.storage import StudioS3Storage, storage_delete_prefix, storage_is_local


def s3_storage(**options) -> StudioS3Storage:
    return StudioS3Storage(
        bucket_name="voice-studio", endpoint_url="http://s3:8333", access_key="key", secret_key="secret",
        region_name="us-east-1", addressing_style="path", signature_version="s3v4", querystring_expire=90,
        **options,
    )  # fmt: skip


def test_s3_storage_is_not_local_although_it_has_a_path_method():
    storage = s3_storage()
    assert hasattr(storage, "path")  # django-storages' S3Storage.path raises NotImplementedError
    assert not storage_is_local(storage)
    assert storage_is_local(FileSystemStorage())


def test_deleting_a_prefix_on_disk_removes_its_files_and_folders_only(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    storage.save("voices/v1/samples/s1/original.wav", ContentFile(b"a"))
    storage.save("voices/v1/engine/offline/profile.npz", ContentFile(b"b"))
    storage.save("voices/v2/preview.mp3", ContentFile(b"c"))

    storage_delete_prefix("voices/v1", storage)

    assert not (tmp_path / "voices" / "v1").exists()
    assert (tmp_path / "voices" / "v2" / "preview.mp3").exists()
    with pytest.raises(ValueError):
        storage_delete_prefix("/", storage)


def test_signed_urls_expire_as_configured_and_use_the_public_endpoint_when_given():
    internal = urlsplit(s3_storage().url("voices/v1/preview.mp3"))
    assert internal.netloc == "s3:8333" and parse_qs(internal.query)["X-Amz-Expires"] == ["90"]

    public = urlsplit(
        s3_storage(public_endpoint_url="https://media.example.com").url("voices/v1/preview.mp3")
    )
    assert public.netloc == "media.example.com" and public.path == "/voice-studio/voices/v1/preview.mp3"
    assert parse_qs(public.query)["X-Amz-Expires"] == ["90"]


def test_a_file_on_s3_is_answered_with_a_redirect_to_its_signed_url():
    field = SimpleNamespace(name="voices/v1/preview.mp3", storage=s3_storage())
    response = file_response(field)
    assert response.status_code == 302
    assert response["Location"].startswith("http://s3:8333/voice-studio/voices/v1/preview.mp3?")
