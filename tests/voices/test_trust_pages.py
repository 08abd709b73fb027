"""The voice page's consent step and trust panel (consent, licence, moderation, retention, audit log)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from errors import Forbidden
from jobs.services import job_create
from tests.voices.pages_helpers import admin_change_url
from voices.models import Voice, VoiceConsent
from voices.services.consent import consent_record_result, consent_request
from voices.services.moderation import voice_moderate
from voices.services.voice import voice_assert_usable

pytestmark = pytest.mark.django_db

BUILT_IN_ID = "voice_builtin_joe"


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
    VoiceConsent.objects.filter(pk=consent.pk).update(status="checking")  # as consent_submit leaves it
    return consent_record_result(consent_id=consent.id, evidence=evidence, verified=verified, reason=reason)


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
    # The speaker names themselves: not the account's name, which a creator would read out as shown.
    assert (
        'id="consent-speaker" name="speaker_name" value=""' in page
        and 'placeholder="e.g. Alex Morgan"' in page
    )
    assert "Alice Liddell" not in page
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
        kind="consent", owner=user, voice_id=available_voice.id, params={"consent_id": consent.id}
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


def test_a_code_matched_against_the_recording_says_so_beside_the_transcript(alice_client, available_voice):
    consent = consent_request(voice=available_voice)
    VoiceConsent.objects.filter(pk=consent.pk).update(status="checking")
    misheard = "I, Alice Liddell, agree that my voice may be cloned by Voice Studio, called 234."
    evidence = {**FAILED_EVIDENCE, "transcript": misheard, "similarity": 0.93, "code_margin": 4.7}
    consent_record_result(
        consent_id=consent.id,
        evidence={**evidence, "decision": "verified"},
        verified=True,
        reason="The recording says the consent phrase in the voice of the samples.",
    )

    evidence_panel = alice_client.get(f"/voices/{available_voice.id}").content.decode()
    evidence_panel = evidence_panel[evidence_panel.index('id="evidence-title"') :]
    assert (
        "Code heard</dt><dd>Yes <span" in evidence_panel and "matched against the recording" in evidence_panel
    )
    assert "called 234." in evidence_panel  # what Whisper wrote, shown as heard


def test_words_matched_against_the_recording_say_so_beside_the_word_error_rate(alice_client, available_voice):
    consent = consent_request(voice=available_voice)
    VoiceConsent.objects.filter(pk=consent.pk).update(status="checking")
    misheard = "The brief hat mai voice mabey blown bye noises to do, code 1234."
    evidence = {
        **FAILED_EVIDENCE,
        "transcript": misheard,
        "wer": 0.625,
        "words_ok": True,
        "words_margin": -0.4,
    }
    consent_record_result(
        consent_id=consent.id,
        evidence={**evidence, "similarity": 0.93, "decision": "verified"},
        verified=True,
        reason="The recording says the consent phrase in the voice of the samples.",
    )

    evidence_panel = alice_client.get(f"/voices/{available_voice.id}").content.decode()
    evidence_panel = evidence_panel[evidence_panel.index('id="evidence-title"') :]
    assert 'stat--ok"><dt>Word error rate</dt><dd>62% <span' in evidence_panel
    assert "words matched against the recording" in evidence_panel and "max 50%" not in evidence_panel


def test_generated_speech_refused_as_consent_shows_the_watermark_and_its_audit_entry(
    alice_client, available_voice
):
    consent = consent_request(voice=available_voice)
    VoiceConsent.objects.filter(pk=consent.pk).update(status="checking")
    evidence = {
        **FAILED_EVIDENCE,
        "similarity": 0.97,
        "watermark_confidence": 1.0,
        "watermark_threshold": 0.5,
    }
    consent_record_result(
        consent_id=consent.id,
        evidence={**evidence, "generated": True},
        verified=False,
        reason="This recording was made by a speech generator.",
    )

    page = alice_client.get(f"/voices/{available_voice.id}").content.decode()

    evidence_panel = page[page.index('id="evidence-title"') :]
    assert "Generated speech</dt><dd>Yes" in evidence_panel and "watermark 1.00" in evidence_panel
    log = page[page.index('class="table table--compact table--stack audit-log"') :]
    assert "Generated consent" in log and "watermark confidence 1.00 (threshold 0.50)" in log


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

    log = page[page.index('class="table table--compact table--stack audit-log"') :]
    rows = re.findall(r'<td data-label="Who">([^<]*)</td>\s*<td data-label="What">([^<]*)</td>', log)
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
    assert f'class="player player--small" data-src="{media_url}"' in page  # the studio's own player
    assert "Play consent clip of alice" in page
    assert "studio/js/waveform-widget.js" in page
    assert client.get(media_url).status_code == HTTPStatus.OK
