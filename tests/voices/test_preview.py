"""Preview, then save: a clip in the would-be voice and a preview_id, no voice; saving reuses it all."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audio.codec import decode
from jobs.models import Job
from voices.models import Voice, VoicePreview
from voices.services.preview import voice_previews_purge_expired

pytestmark = pytest.mark.django_db

TEXT = "This is how I would sound reading your script."


def preview(api, wav: bytes, **fields):
    upload = SimpleUploadedFile("take.wav", wav, content_type="audio/wav")
    return api.post("/v1/voices/preview", {"file": upload, "text": TEXT, "stability": "0.9", **fields})


def test_a_preview_speaks_the_text_and_saving_it_makes_the_voice_without_a_second_analysis(
    api, speech_wav, eager_jobs, settings, monkeypatch
):
    response = preview(api, speech_wav())
    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert body["preview_id"].startswith("preview_") and body["status"] == "AVAILABLE", body
    assert body["stability"] == 0.9 and 0 <= body["similarity_score"] <= 1
    assert body["analysis"]["language_detected"] == "en"
    assert not Voice.objects.filter(type="cloned").exists()
    clip = api.get(body["audio_url"])
    audio = decode(b"".join(clip.streaming_content), target_rate=None)
    assert audio.duration > 1.5  # the text, not the stock preview sentence's length alone

    from voices import cloning

    monkeypatch.setattr(cloning, "voice_prepare", lambda *a, **k: pytest.fail("analysed twice"))
    saved = api.post(
        "/v1/voices/clone",
        {
            "previewId": body["preview_id"],
            "name": "Kept",
            "description": "from a preview",
            "metadata": {"a": 1},
        },
        format="json",
    )
    assert saved.status_code == HTTPStatus.CREATED, saved.content
    voice = Voice.objects.get(pk=saved.json()["voice_id"])
    assert voice.status == "AVAILABLE" and voice.stability == 0.9 and voice.metadata == {"a": 1}
    assert voice.analysis == body["analysis"] and voice.similarity_score == body["similarity_score"]
    assert voice.samples.count() == 1 and voice.preview
    from voices.selectors import voice_artifacts

    assert voice_artifacts(voice)  # the engine's prepared files came along
    assert not (settings.MEDIA_ROOT / "previews" / body["preview_id"]).exists()
    again = api.post("/v1/voices/clone", {"preview_id": body["preview_id"], "name": "Twice"}, format="json")
    assert again.status_code == HTTPStatus.CONFLICT and again.json()["error"]["field"] == "preview_id"


def test_a_preview_with_accept_audio_answers_the_clip_itself(api, speech_wav, eager_jobs):
    upload = SimpleUploadedFile("take.wav", speech_wav(), content_type="audio/wav")
    response = api.post("/v1/voices/preview", {"file": upload, "text": "Short."}, HTTP_ACCEPT="audio/*")
    assert response.status_code == HTTPStatus.OK
    assert response["X-Preview-Id"].startswith("preview_")
    assert decode(b"".join(response.streaming_content), target_rate=None).duration > 0.3


@pytest.mark.parametrize(
    ("fields", "field"), [({"text": "x" * 301}, "text"), ({"stability": "1.5"}, "stability")]
)
def test_bad_preview_requests_are_refused_before_anything_is_stored(api, speech_wav, fields, field):
    response = preview(api, speech_wav(), **fields)
    assert response.status_code == HTTPStatus.BAD_REQUEST and response.json()["error"]["field"] == field
    assert not VoicePreview.objects.exists()


def test_only_the_owner_can_save_a_preview(api, other_api, user, speech_wav):
    preview_row = VoicePreview.objects.create(
        owner=user, text="x", expires_at=timezone.now() + timedelta(hours=1)
    )
    response = other_api.post(
        "/v1/voices/clone", {"preview_id": preview_row.id, "name": "Stolen"}, format="json"
    )
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_preview_still_running_cannot_be_saved(api, user):
    preview_row = VoicePreview.objects.create(
        owner=user, text="x", expires_at=timezone.now() + timedelta(hours=1)
    )
    response = api.post("/v1/voices/clone", {"preview_id": preview_row.id, "name": "Early"}, format="json")
    assert (
        response.status_code == HTTPStatus.CONFLICT
        and response.json()["error"]["code"] == "preview_not_ready"
    )


def test_expired_previews_are_purged_with_their_files(user, settings):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    old = VoicePreview.objects.create(owner=user, text="x", expires_at=timezone.now() - timedelta(minutes=1))
    fresh = VoicePreview.objects.create(owner=user, text="y", expires_at=timezone.now() + timedelta(hours=1))
    default_storage.save(f"previews/{old.id}/samples/1.wav", ContentFile(b"RIFF"))
    Job.objects.create(kind="preview", owner=user, params={"preview_id": old.id})
    assert voice_previews_purge_expired() == [old.id]
    assert list(VoicePreview.objects.values_list("id", flat=True)) == [fresh.id]
    assert not (settings.MEDIA_ROOT / "previews" / old.id).exists()
    assert not Job.objects.filter(kind="preview").exists()
