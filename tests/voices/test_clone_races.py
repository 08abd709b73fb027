"""What others change while a clone runs stays changed: the worker writes only the columns cloning owns.

Each test changes the voice from inside the engine's ``prepare`` step (a moderator, the owner, a
delete), exactly as it happens when the change lands while the worker is busy, then checks what the
finished clone left behind.
"""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from jobs.models import Job
from voices.models import Voice, VoiceEvent
from voices.services.moderation import voice_moderate
from voices.services.voice import voice_delete, voice_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def during_prepare(monkeypatch):
    """``during_prepare(change)``: run ``change(voice_id)`` while the engine prepares the voice."""
    from engines import get_engine

    engine = get_engine("offline")
    original = engine.prepare

    def install(change):
        def prepare(references, **kwargs):
            voice_id = Job.objects.filter(kind="clone", status="RUNNING").latest("created_at").voice_id
            change(voice_id)
            return original(references, **kwargs)

        monkeypatch.setattr(engine, "prepare", prepare)

    return install


def clone(api, wav: bytes) -> str:
    upload = SimpleUploadedFile("take.wav", wav, "audio/wav")
    response = api.post("/v1/voices/clone", {"name": "Narrator", "file": upload})
    assert response.status_code == 202, response.content
    return response.json()["id"]


def test_a_suspension_during_cloning_stays(api, speech_wav, eager_jobs, during_prepare, make_user):
    moderator = make_user("mod", is_staff=True)
    during_prepare(
        lambda voice_id: voice_moderate(
            voice=Voice.objects.get(pk=voice_id), actor=moderator, action="suspend", reason="Reported."
        )
    )

    voice = Voice.objects.get(pk=clone(api, speech_wav()))

    assert voice.status == Voice.Status.AVAILABLE
    assert voice.moderation == Voice.Moderation.SUSPENDED and voice.moderation_reason == "Reported."
    last_moderation = VoiceEvent.objects.filter(voice_ref=voice.id, action="moderation").latest("created_at")
    assert last_moderation.to_state == voice.moderation


def test_a_visibility_change_during_cloning_stays(api, user, speech_wav, eager_jobs, during_prepare):
    during_prepare(
        lambda voice_id: voice_update(
            voice=Voice.objects.get(pk=voice_id), actor=user, visibility="PUBLIC", name="Renamed"
        )
    )

    voice = Voice.objects.get(pk=clone(api, speech_wav()))

    assert voice.status == Voice.Status.AVAILABLE
    assert (voice.visibility, voice.name) == (Voice.Visibility.PUBLIC, "Renamed")
    assert voice.moderation == Voice.Moderation.PENDING_REVIEW


def test_a_voice_deleted_during_cloning_stays_deleted_with_no_files_left(
    api, user, speech_wav, eager_jobs, during_prepare
):
    during_prepare(lambda voice_id: voice_delete(voice=Voice.objects.get(pk=voice_id), actor=user))

    voice_id = clone(api, speech_wav())

    assert not Voice.objects.filter(pk=voice_id).exists()
    assert not Job.objects.filter(voice_id=voice_id).exists()
    assert not default_storage.exists(f"voices/{voice_id}")
    assert api.get(f"/v1/voices/{voice_id}").status_code == 404


def test_a_voice_deleted_while_its_preview_is_made_stays_deleted_with_no_files_left(
    api, user, speech_wav, eager_jobs, monkeypatch
):
    from voices import cloning

    original = cloning.voice_speak_preview

    def preview_step(prepared, *args, **kwargs):
        voice_id = Job.objects.get(kind="clone", status="RUNNING").voice_id
        assert Voice.objects.get(pk=voice_id).status == Voice.Status.AVAILABLE  # usable already
        voice_delete(voice=Voice.objects.get(pk=voice_id), actor=user)
        return original(prepared, *args, **kwargs)

    monkeypatch.setattr(cloning, "voice_speak_preview", preview_step)
    voice_id = clone(api, speech_wav())

    assert not Voice.objects.filter(pk=voice_id).exists()
    assert not default_storage.exists(f"voices/{voice_id}")
    assert api.get(f"/v1/voices/{voice_id}").status_code == 404
