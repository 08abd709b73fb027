"""Retention with a moved clock: renewal extends, expiry deletes rows and files, nothing else is touched."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from voices.models import Voice, VoiceEvent, VoiceSample
from voices.services.moderation import voices_purge_expired

pytestmark = pytest.mark.django_db


def with_sample(voice: Voice) -> VoiceSample:
    sample = VoiceSample(voice=voice)
    sample.file.save("s.wav", ContentFile(b"RIFF"), save=True)
    return sample


def test_new_voices_expire_after_the_retention_period(user, make_voice, settings):
    settings.STUDIO_RETENTION_DAYS = 30
    voice = make_voice(user)
    assert voice.expires_at - timezone.now() == pytest.approx(timedelta(days=30), abs=timedelta(seconds=5))


def test_renewal_extends_from_now(api, user, make_voice, settings):
    voice = make_voice(user)
    Voice.objects.filter(pk=voice.pk).update(expires_at=timezone.now() + timedelta(days=2))
    body = api.post(f"/v1/voices/{voice.id}/renew").json()
    voice.refresh_from_db()
    assert voice.expires_at > timezone.now() + timedelta(days=settings.STUDIO_RETENTION_DAYS - 1)
    assert body["expires_at"] is not None
    assert VoiceEvent.objects.filter(voice_ref=voice.id, action="renewed").exists()


def test_others_cannot_renew_my_voice(other_api, user, make_voice):
    voice = make_voice(user)
    assert other_api.post(f"/v1/voices/{voice.id}/renew").status_code == HTTPStatus.NOT_FOUND


def test_expiry_deletes_expired_voices_with_their_files_and_nothing_else(
    user, make_voice, settings, django_capture_on_commit_callbacks
):
    expired, kept = make_voice(user, "Old"), make_voice(user, "Fresh")
    expired_file = settings.MEDIA_ROOT / with_sample(expired).file.name
    kept_file = settings.MEDIA_ROOT / with_sample(kept).file.name
    later = timezone.now() + timedelta(days=settings.STUDIO_RETENTION_DAYS, hours=1)
    Voice.objects.filter(pk=kept.pk).update(expires_at=later + timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert voices_purge_expired(now=later) == [expired.id]
    assert not Voice.objects.filter(pk=expired.pk).exists() and not expired_file.exists()
    assert Voice.objects.filter(pk=kept.pk).exists() and kept_file.exists()
    assert Voice.objects.filter(pk="voice_builtin_joe").exists()
    assert VoiceEvent.objects.filter(voice_ref=expired.id, action="deleted").exists()


def test_purge_command_reports_what_it_deleted(user, make_voice, capsys):
    voice = make_voice(user)
    Voice.objects.filter(pk=voice.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    call_command("purge_expired_voices")
    assert voice.id in capsys.readouterr().out
    assert not Voice.objects.filter(pk=voice.pk).exists()


def test_the_api_shows_expires_at(api, user, make_voice):
    voice = make_voice(user)
    assert api.get(f"/v1/voices/{voice.id}").json()["expires_at"].startswith(str(voice.expires_at.year))
