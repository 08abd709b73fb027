"""The voice pages: library, new voice, voice page (progress, edit, delete) and the admin's waveform
widget. The consent step and trust panel: test_trust_pages.py."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from jobs.models import Job
from jobs.services import job_create
from tests.voices.pages_helpers import admin_change_url, sample_for
from voices.models import Voice

pytestmark = pytest.mark.django_db

BUILT_IN_ID = "voice_builtin_joe"


def test_pages_require_login(client, user, make_voice):
    voice = make_voice(user)
    for url in [
        "/",
        "/voices/new",
        f"/voices/{voice.id}",
        f"/voices/{voice.id}/delete",
        f"/voices/{voice.id}/trust",
    ]:
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND, url
        assert response["Location"].startswith("/login?next="), url


def test_library_shows_own_built_in_and_shared_voices(alice_client, user, other_user, make_voice):
    make_voice(user, "Alice narrator")
    shared = make_voice(other_user, "Bob shared", visibility="PUBLIC")
    Voice.objects.filter(pk=shared.pk).update(status="AVAILABLE", moderation="approved")
    make_voice(other_user, "Bob secret")

    page = alice_client.get("/").content.decode()

    assert "Alice narrator" in page
    assert "Joe (studio base voice)" in page
    assert "Bob shared" in page
    assert "Bob secret" not in page


def test_library_filters_by_type_status_and_name(alice_client, user, make_voice):
    make_voice(user, "Alice narrator")
    make_voice(user, "Podcast voice")

    mine = alice_client.get("/", {"type": "mine"}).content.decode()
    assert "Alice narrator" in mine and "Joe (studio base voice)" not in mine

    searched = alice_client.get("/", {"q": "podcast"}).content.decode()
    assert "Podcast voice" in searched and "Alice narrator" not in searched

    available = alice_client.get("/", {"state": "ready"}).content.decode()
    assert "Joe (studio base voice)" in available and "Alice narrator" not in available


def test_library_without_matches_offers_to_clear_filters(alice_client):
    page = alice_client.get("/", {"q": "nothing like this"}).content.decode()
    assert "No voice matches these filters" in page


def test_library_invites_a_new_voice_when_user_has_none(alice_client):
    page = alice_client.get("/").content.decode()
    assert "Clone your own voice" in page
    assert 'href="/voices/new"' in page


def test_new_voice_page_gives_the_script_the_tier_limits(alice_client):
    response = alice_client.get("/voices/new")
    assert response.status_code == HTTPStatus.OK
    config = response.context["config"]
    assert config["tiers"]["instant"]["min"] == 10.0
    assert config["cloneUrl"] == "/v1/voices/clone"
    assert 'id="voice-new-config"' in response.content.decode()


def test_new_voice_page_reloads_the_samples_of_a_failed_voice(alice_client, user, make_voice):
    voice = make_voice(user, "Try again", tier="instant")
    sample = sample_for(voice, emotion="happy", trim_start=1.0, trim_end=9.5)
    Voice.objects.filter(pk=voice.pk).update(status="FAILED", error="Only 4.0 s of speech found.")

    response = alice_client.get("/voices/new", {"from": voice.id})

    retry = response.context["config"]["retry"]
    assert retry["voiceId"] == voice.id
    assert retry["samples"][0]["url"] == f"/v1/voices/{voice.id}/samples/{sample.id}/audio"
    assert retry["samples"][0]["emotion"] == "happy"
    assert retry["samples"][0]["trimEnd"] == 9.5
    assert response.context["form"].initial["name"] == "Try again"


def test_new_voice_page_refuses_to_load_another_users_voice(alice_client, other_user, make_voice):
    voice = make_voice(other_user, "Bob secret")
    assert alice_client.get("/voices/new", {"from": voice.id}).status_code == HTTPStatus.NOT_FOUND


def test_voice_page_shows_own_voice_with_samples_and_edit_form(alice_client, user, make_voice):
    voice = make_voice(user, "Alice narrator")
    sample = sample_for(voice)
    Voice.objects.filter(pk=voice.pk).update(
        status="AVAILABLE",
        similarity_score=0.83,
        analysis={"total_duration": 14.2, "speech_duration": 11.0, "quality": "good", "snr_db": 31.0,
                  "speaker_consistency": 0.97, "language_detected": "en", "language_probability": 0.99,
                  "samples_used": 1, "noise_removal": "skipped: already clean"},
    )  # fmt: skip

    page = alice_client.get(f"/voices/{voice.id}").content.decode()

    assert 'data-status="AVAILABLE"' in page
    assert 'aria-valuenow="83"' in page  # the similarity gauge
    assert "97%" in page  # speaker consistency
    assert "Skipped: already clean" in page  # what the noise removal the user asked for did
    assert f"/v1/voices/{voice.id}/samples/{sample.id}/audio" in page
    assert 'id="edit"' in page
    assert 'id="trust"' in page and 'id="consent-step"' in page


def test_other_users_private_voice_is_not_found(alice_client, other_user, make_voice):
    voice = make_voice(other_user, "Bob secret")
    assert alice_client.get(f"/voices/{voice.id}").status_code == HTTPStatus.NOT_FOUND
    assert alice_client.post(f"/voices/{voice.id}", {"name": "Mine now"}).status_code == HTTPStatus.NOT_FOUND
    assert alice_client.post(f"/voices/{voice.id}/delete").status_code == HTTPStatus.NOT_FOUND
    assert Voice.objects.filter(pk=voice.pk, name="Bob secret").exists()


def test_shared_and_built_in_voices_are_read_only(alice_client, other_user, make_voice):
    page = alice_client.get(f"/voices/{BUILT_IN_ID}").content.decode()
    assert 'id="edit"' not in page
    assert (
        alice_client.post(f"/voices/{BUILT_IN_ID}", {"name": "Renamed"}).status_code == HTTPStatus.FORBIDDEN
    )
    assert alice_client.post(f"/voices/{BUILT_IN_ID}/delete").status_code == HTTPStatus.FORBIDDEN
    assert Voice.objects.get(pk=BUILT_IN_ID).name == "Joe (studio base voice)"


def test_editing_a_voice_saves_through_the_service(alice_client, user, make_voice):
    # XTTS speaks German; the offline engine would refuse "de".
    voice = make_voice(user, "Old name", engine="xtts")

    response = alice_client.post(
        f"/voices/{voice.id}",
        {"name": "New name", "description": "Warm and calm", "language": "de", "visibility": "PUBLIC"},
    )

    assert response.status_code == HTTPStatus.FOUND
    voice.refresh_from_db()
    assert (voice.name, voice.description, voice.language, voice.visibility) == (
        "New name", "Warm and calm", "de", "PUBLIC",
    )  # fmt: skip
    # The service's rule: a public voice waits for a moderator.
    assert voice.moderation == Voice.Moderation.PENDING_REVIEW
    assert voice.events.filter(action="visibility").exists()


def test_editing_a_voice_shows_errors_next_to_the_fields(alice_client, user, make_voice):
    voice = make_voice(user, "Old name")

    response = alice_client.post(
        f"/voices/{voice.id}", {"name": "  ", "language": "en", "visibility": "SECRET"}
    )

    assert response.status_code == HTTPStatus.OK
    form = response.context["form"]
    assert "name" in form.errors and "visibility" in form.errors
    assert 'class="field field--invalid"' in response.content.decode()
    voice.refresh_from_db()
    assert voice.name == "Old name"


def test_deleting_a_voice_asks_first_then_deletes(alice_client, user, make_voice):
    voice = make_voice(user, "Doomed")

    confirm = alice_client.get(f"/voices/{voice.id}/delete")
    assert confirm.status_code == HTTPStatus.OK and "cannot be undone" in confirm.content.decode()
    assert Voice.objects.filter(pk=voice.pk).exists()

    response = alice_client.post(f"/voices/{voice.id}/delete")

    assert response.status_code == HTTPStatus.FOUND and response["Location"] == "/"
    assert not Voice.objects.filter(pk=voice.pk).exists()


def test_voice_being_cloned_shows_live_progress(alice_client, user, make_voice):
    voice = make_voice(user, "In progress")
    job = job_create(kind="clone", owner=user, voice_id=voice.id)
    Job.objects.filter(pk=job.pk).update(status="RUNNING", step="analyse", percent=42.0, eta_seconds=12.0)
    Voice.objects.filter(pk=voice.pk).update(status="PROCESSING")

    page = alice_client.get(f"/voices/{voice.id}").content.decode()

    assert f'data-job-id="{job.id}"' in page
    assert 'data-step="analyse"' in page
    for step in ["decode", "detect speech", "prepare engine", "similarity"]:
        assert f'<li data-step="{step}">' in page


def test_failed_voice_explains_and_links_to_fixing_the_samples(alice_client, user, make_voice):
    voice = make_voice(user, "Broken")
    Voice.objects.filter(pk=voice.pk).update(status="FAILED", error="Only 3.2 s of speech found.")

    page = alice_client.get(f"/voices/{voice.id}").content.decode()

    assert "Only 3.2 s of speech found." in page
    assert f"/voices/new?from={voice.id}" in page


def test_admin_sample_page_shows_the_waveform_widget(client, make_user, user, make_voice):
    staff = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(staff)
    voice = make_voice(user, "Alice narrator")
    sample = sample_for(voice)

    page = client.get(admin_change_url(sample)).content.decode()
    inline = client.get(admin_change_url(voice)).content.decode()

    media_url = f"/staff/media/{sample.file.name}"
    assert 'class="waveform-widget"' in page and media_url in page
    assert "studio/js/waveform-widget.js" in page and 'type="module"' in page
    assert media_url in inline
    assert client.get(media_url).status_code == HTTPStatus.OK


def test_staff_media_is_for_staff_only(alice_client, user, make_voice):
    sample = sample_for(make_voice(user))
    response = alice_client.get(f"/staff/media/{sample.file.name}")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/admin/login/")


def test_staff_media_refuses_paths_outside_media(client, make_user):
    client.force_login(make_user("root", is_staff=True))
    assert client.get("/staff/media/../secret_key").status_code == HTTPStatus.NOT_FOUND
    assert client.get("/staff/media/voices/missing.wav").status_code == HTTPStatus.NOT_FOUND


def test_voice_page_shows_only_trims_that_cut_something(alice_client, user, make_voice):
    voice = make_voice(user, "Trimmed")
    sample_for(voice, trim_start=1.0, trim_end=9.5)
    sample_for(voice, trim_start=0.0, trim_end=12.0)  # the whole 12 s take

    page = alice_client.get(f"/voices/{voice.id}").content.decode()

    assert page.count("trimmed to") == 1 and "trimmed to 1.0–9.5 s" in page
    assert page.count("data-trim-start") == 1
