"""The voice pages: library, new voice, voice page (progress, consent, trust panel, edit, delete) and the
admin's waveform widget."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.admin.utils import quote
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from studio.errors import Forbidden
from synthesis.jobs import job_create
from synthesis.models import Job
from voices.consent_jobs import consent_record_result, consent_request
from voices.models import Voice, VoiceConsent, VoiceSample
from voices.moderation import voice_moderate
from voices.services import voice_assert_usable

pytestmark = pytest.mark.django_db

BUILT_IN_ID = "voice_builtin_joe"


@pytest.fixture
def alice_client(client, user):
    client.force_login(user)
    return client


def sample_for(voice: Voice, data: bytes = b"RIFF....WAVE", **fields) -> VoiceSample:
    sample = VoiceSample(voice=voice, original_name="take-1.wav", format="wav", duration=12.0, **fields)
    sample.file.save("original.wav", ContentFile(data), save=False)
    sample.save()
    return sample


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

    available = alice_client.get("/", {"status": "AVAILABLE"}).content.decode()
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
                  "samples_used": 1},
    )  # fmt: skip

    page = alice_client.get(f"/voices/{voice.id}").content.decode()

    assert 'data-status="AVAILABLE"' in page
    assert 'aria-valuenow="83"' in page  # the similarity gauge
    assert "97%" in page  # speaker consistency
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
    voice = make_voice(user, "Old name")

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
    job = job_create(kind=Job.Kind.CLONE, owner=user, voice=voice)
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


def admin_change_url(obj) -> str:
    # The admin unquotes ids in its URLs: "voice_23ab" taken raw reads as "voice#ab", a missing voice.
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[quote(obj.pk)])


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


# --- Consent step and trust panel ---------------------------------------------------------------------

FAILED_EVIDENCE = {
    "speech_seconds": 5.2, "wer_threshold": 0.5, "similarity_threshold": 0.75,
    "transcript": "I, Alice Liddell, agree that my voice may be cloned by Voice Studio. Code 1 2 3 4.",
    "wer": 0.0625, "digits_ok": True, "negations": [], "similarity": 0.412, "decision": "failed",
}  # fmt: skip
VOICE_MISMATCH = "The consent recording's voice does not match the samples (similarity 0.41, need 0.75)."


@pytest.fixture
def available_voice(user, make_voice):
    voice = make_voice(user, "Narrator")
    Voice.objects.filter(pk=voice.pk).update(status="AVAILABLE")
    voice.refresh_from_db()
    return voice


def checked_consent(voice, *, verified: bool, **request) -> VoiceConsent:
    """A consent request whose recording the worker has judged (the check itself is tested elsewhere)."""
    consent = consent_request(voice=voice, **request)
    evidence = (
        {**FAILED_EVIDENCE, "similarity": 0.93, "decision": "verified"} if verified else FAILED_EVIDENCE
    )
    reason = (
        "The recording says the consent phrase in the voice of the samples." if verified else VOICE_MISMATCH
    )
    return consent_record_result(consent=consent, evidence=evidence, verified=verified, reason=reason)


def consent_config(response) -> dict:
    match = re.search(
        r'<script id="consent-config" type="application/json">(.*?)</script>', response.content.decode()
    )
    assert match, "no consent step on the page"
    return json.loads(match.group(1))


def test_an_available_voice_without_consent_offers_the_consent_step(alice_client, user, available_voice):
    user.first_name, user.last_name = "Alice", "Liddell"
    user.save()

    response = alice_client.get(f"/voices/{available_voice.id}")

    page = response.content.decode()
    assert 'id="consent-step"' in page and 'href="#consent-step"' in page  # the hero points at it
    assert 'value="Alice Liddell"' in page  # the speaker defaults to the user's name
    assert 'value="commercial"' in page and "Commercial use allowed by the engine" in page
    assert 'id="consent-record-button"' in page and 'id="consent-file"' in page
    config = consent_config(response)
    assert config["consentUrl"] == f"/v1/voices/{available_voice.id}/consent"
    assert config["trustUrl"] == f"/voices/{available_voice.id}/trust"
    assert config["job"] is None
    # Showing the page asks for no phrase: the script does, through the API.
    assert not available_voice.consents.exists()


def test_the_consent_step_refuses_a_commercial_licence_the_engine_forbids(alice_client, user, make_voice):
    voice = make_voice(user, "XTTS voice", engine="xtts")
    Voice.objects.filter(pk=voice.pk).update(status="AVAILABLE")

    page = alice_client.get(f"/voices/{voice.id}").content.decode()

    commercial = re.search(r'<input type="radio" name="license" value="commercial"[^>]*>', page).group(0)
    assert "disabled" in commercial
    assert "allows non-commercial use only" in page and "CPML" in page


def test_the_consent_step_resumes_the_phrase_already_asked_for(alice_client, available_voice):
    consent_request(voice=available_voice, speaker_name="Jane Doe", license="commercial")

    page = alice_client.get(f"/voices/{available_voice.id}").content.decode()

    assert 'value="Jane Doe"' in page
    assert re.search(r'value="commercial" checked', page)


def test_the_consent_step_waits_for_cloning_and_ends_with_verification(alice_client, user, make_voice):
    cloning = make_voice(user, "Still cloning")
    assert 'id="consent-step"' not in alice_client.get(f"/voices/{cloning.id}").content.decode()

    verified = make_voice(user, "Verified")
    Voice.objects.filter(pk=verified.pk).update(status="AVAILABLE")
    checked_consent(verified, verified=True)
    page = alice_client.get(f"/voices/{verified.id}").content.decode()
    assert 'id="consent-step"' not in page and "Generate speech" in page


def test_a_running_consent_check_is_followed_after_a_reload(alice_client, user, available_voice):
    consent = consent_request(voice=available_voice)
    VoiceConsent.objects.filter(pk=consent.pk).update(status="checking")
    job = job_create(
        kind=Job.Kind.CONSENT, owner=user, voice=available_voice, params={"consent_id": consent.id}
    )

    response = alice_client.get(f"/voices/{available_voice.id}")

    assert consent_config(response)["job"]["id"] == job.id
    assert 'data-state="checking"' in response.content.decode()
    assert "Checking the consent recording" in response.content.decode()


def test_a_failed_check_shows_its_reason_and_evidence(alice_client, available_voice):
    checked_consent(available_voice, verified=False, speaker_name="Jane Doe")

    page = alice_client.get(f"/voices/{available_voice.id}").content.decode()

    assert "The last recording did not pass." in page  # in the consent step, above a new attempt
    assert 'value="Jane Doe"' in page  # the same speaker tries again
    evidence = page[page.index('id="evidence-title"') :]
    assert "Did not pass" in evidence and "does not match the samples" in evidence
    assert "6% <span" in evidence and "max 50%" in evidence  # WER against its threshold
    assert "0.41" in evidence and "need 0.75" in evidence  # similarity against its threshold
    assert "Code 1 2 3 4." in evidence  # the transcript
    assert "Consent check failed" in page


def test_a_verified_voice_shows_when_with_which_licence_and_can_revoke(alice_client, available_voice):
    consent = checked_consent(available_voice, verified=True, license="commercial")

    page = alice_client.get(f"/voices/{available_voice.id}").content.decode()

    assert f'Consent verified on <time datetime="{consent.checked_at:%Y-%m-%d}' in page
    assert "Commercial licence" in page
    assert f'action="/voices/{available_voice.id}/consent/revoke"' in page and "Revoke consent" in page


def test_revoking_consent_stops_the_voice_at_once(alice_client, user, available_voice):
    consent = checked_consent(available_voice, verified=True)
    available_voice.refresh_from_db()
    voice_assert_usable(voice=available_voice, user=user)  # it speaks, until...

    response = alice_client.post(f"/voices/{available_voice.id}/consent/revoke")

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"/voices/{available_voice.id}#trust"
    available_voice.refresh_from_db()
    consent.refresh_from_db()
    assert available_voice.verification == Voice.Verification.REVOKED
    assert consent.status == VoiceConsent.Status.REVOKED and consent.revoked_at is not None
    with pytest.raises(Forbidden, match="revoked"):
        voice_assert_usable(voice=available_voice, user=user)
    event = available_voice.events.filter(action="verification").first()
    assert (event.to_state, event.actor) == ("revoked", user)
    page = alice_client.get(response["Location"]).content.decode()
    assert "Consent revoked" in page and "can no longer speak" in page
    assert 'id="consent-step"' in page  # recording again is offered


def test_renewing_keeps_the_voice_longer_through_the_service(alice_client, available_voice, settings):
    Voice.objects.filter(pk=available_voice.pk).update(expires_at=timezone.now() + timedelta(days=3))

    response = alice_client.post(f"/voices/{available_voice.id}/renew", follow=True)

    available_voice.refresh_from_db()
    expected = timezone.now() + timedelta(days=settings.STUDIO_RETENTION_DAYS)
    assert abs(available_voice.expires_at - expected) < timedelta(minutes=1)
    assert available_voice.events.filter(action="renewed").exists()
    page = response.content.decode()
    new_date = f"{timezone.localtime(available_voice.expires_at):%-d %b %Y}"
    assert f"is kept until {new_date}" in page and f"data-expires>{new_date}</time>" in page


def test_renew_and_revoke_are_for_the_owner_only(alice_client, other_user, make_voice):
    voice = make_voice(other_user, "Bob secret")
    Voice.objects.filter(pk=voice.pk).update(status="AVAILABLE", verification="verified")
    old_expiry = Voice.objects.get(pk=voice.pk).expires_at

    assert alice_client.post(f"/voices/{voice.id}/renew").status_code == HTTPStatus.NOT_FOUND
    assert alice_client.post(f"/voices/{voice.id}/consent/revoke").status_code == HTTPStatus.NOT_FOUND
    assert alice_client.get(f"/voices/{voice.id}/trust").status_code == HTTPStatus.NOT_FOUND
    assert alice_client.post(f"/voices/{BUILT_IN_ID}/renew").status_code == HTTPStatus.FORBIDDEN
    voice.refresh_from_db()
    assert (voice.verification, voice.expires_at) == ("verified", old_expiry)


def test_renew_and_revoke_only_answer_posts(alice_client, available_voice):
    assert (
        alice_client.get(f"/voices/{available_voice.id}/renew").status_code == HTTPStatus.METHOD_NOT_ALLOWED
    )
    assert (
        alice_client.get(f"/voices/{available_voice.id}/consent/revoke").status_code
        == HTTPStatus.METHOD_NOT_ALLOWED
    )


def test_the_trust_panel_shows_the_moderators_reason(alice_client, make_user, available_voice):
    moderator = make_user("mod", is_staff=True)
    voice_moderate(
        voice=available_voice, actor=moderator, action="suspend", reason="Sounds like a politician."
    )

    page = alice_client.get(f"/voices/{available_voice.id}").content.decode()

    assert 'data-moderation="suspended"' in page and "Sounds like a politician." in page


def test_the_audit_log_lists_every_change_newest_first(alice_client, user, available_voice):
    checked_consent(available_voice, verified=True)
    alice_client.post(f"/voices/{available_voice.id}/renew")
    alice_client.post(f"/voices/{available_voice.id}/consent/revoke")

    page = alice_client.get(f"/voices/{available_voice.id}").content.decode()

    log = page[page.index('class="table table--compact audit-log"') :]
    rows = re.findall(r"<tr>\s*<td><time[^>]*>[^<]*</time></td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>", log)
    assert [action for _, action in rows] == ["Consent", "Retention", "Consent", "Created"]
    assert rows[0][0] == "alice" and rows[1][0] == "alice"
    assert "verified → revoked" in log and "consent revoked by the owner" in log
    assert rows[2][0] == "studio"  # the worker's verdict has no person behind it


def test_the_trust_panel_alone_for_the_consent_step(alice_client, available_voice):
    checked_consent(available_voice, verified=True)

    response = alice_client.get(f"/voices/{available_voice.id}/trust")

    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert page.lstrip().startswith("<section") and 'id="trust"' in page and "<html" not in page
    assert "Consent verified" in page


def test_built_in_voices_show_the_engine_terms_without_consent(alice_client):
    page = alice_client.get(f"/voices/{BUILT_IN_ID}").content.decode()
    assert "no consent recording is needed" in page and "GPL-3.0-or-later" in page
    assert 'id="consent-step"' not in page and "Revoke consent" not in page and "Renew" not in page


def test_shared_voices_show_consent_and_licence_but_not_the_owners_log(alice_client, other_user, make_voice):
    voice = make_voice(other_user, "Bob shared", visibility="PUBLIC")
    Voice.objects.filter(pk=voice.pk).update(
        status="AVAILABLE", moderation="approved", verification="verified"
    )

    page = alice_client.get(f"/voices/{voice.id}").content.decode()

    assert "Consent verified" in page and "Personal licence" in page
    assert "Audit log" not in page and "Revoke consent" not in page and ">Renew<" not in page


def test_admin_consent_inline_plays_the_clip(client, make_user, available_voice):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    consent = checked_consent(available_voice, verified=True)
    consent.file.save("consent.wav", ContentFile(b"RIFF....WAVE"), save=True)

    page = client.get(admin_change_url(available_voice)).content.decode()

    media_url = f"/staff/media/{consent.file.name}"
    assert f'class="waveform-widget" data-src="{media_url}"' in page
    assert "Play consent clip of alice" in page
    assert "studio/js/waveform-widget.js" in page
    assert client.get(media_url).status_code == HTTPStatus.OK
