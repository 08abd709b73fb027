"""Consent over the API: the phrase, the recording, the worker's verdict, and what speech then allows."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from voices.models import Voice, VoiceSample

pytestmark = pytest.mark.django_db

SPEAKER = "en-us+m3"
OTHER_SPEAKER = "en-us+f4"


@pytest.fixture
def cloned_voice(user, make_voice, speech_wav):
    """An AVAILABLE voice whose samples are real speech of SPEAKER (cloning itself is tested elsewhere)."""
    voice = make_voice(user, "Narrator")
    Voice.objects.filter(pk=voice.pk).update(status="AVAILABLE")
    sample = VoiceSample(voice=voice, format="wav", duration=13.5)
    sample.file.save("original.wav", ContentFile(speech_wav(voice=SPEAKER)), save=True)
    voice.refresh_from_db()
    return voice


@pytest.fixture(autouse=True)
def _readable_codes(monkeypatch):
    """A fixed code without 9s or repeats: Whisper tiny hears espeak's "nine" as "I" and runs repeated
    digits together (a limit of the test voices, measured in the browser consent test)."""
    from voices.services import consent

    monkeypatch.setattr(consent, "new_consent_code", lambda: "4718")


def spoken(phrase: str) -> str:
    """The phrase as a careful speaker reads it: the code digit by digit."""
    return phrase.replace("Code 4 7 1 8", "Code 4, 7, 1, 8")


def record(api, voice, wav: bytes):
    return api.post(
        f"/v1/voices/{voice.id}/consent",
        {"file": SimpleUploadedFile("consent.wav", wav, content_type="audio/wav")},
    )


def test_the_phrase_names_the_speaker_the_studio_and_a_fresh_code(api, cloned_voice):
    first = api.get(f"/v1/voices/{cloned_voice.id}/consent?speaker_name=Jane%20Doe").json()
    assert first["phrase"].startswith("I, Jane Doe, agree that my voice may be cloned by Voice Studio. Code ")
    assert first["verification"] == "pending"
    again = api.get(f"/v1/voices/{cloned_voice.id}/consent?speaker_name=Jane%20Doe").json()
    assert again["phrase"] == first["phrase"]  # the same request until it is recorded
    other = api.get(f"/v1/voices/{cloned_voice.id}/consent?speaker_name=John%20Roe").json()
    assert other["consent_id"] != first["consent_id"]


def test_an_unverified_voice_cannot_speak(api, cloned_voice):
    response = api.post("/v1/speech", {"voice_id": cloned_voice.id, "text": "Hello."}, format="json")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["error"]["code"] == "consent_required"


def test_the_speaker_saying_the_phrase_verifies_the_voice_and_revoking_stops_it(
    api, cloned_voice, speech_wav, eager_jobs
):
    phrase = api.get(f"/v1/voices/{cloned_voice.id}/consent?license=personal").json()["phrase"]
    response = record(api, cloned_voice, speech_wav(spoken(phrase), voice=SPEAKER))
    assert response.status_code == HTTPStatus.ACCEPTED, response.content
    assert response.json()["job"]["status"] in ("QUEUED", "SUCCEEDED")
    body = api.get(f"/v1/voices/{cloned_voice.id}/consent").json()
    check = body["last_check"]
    assert body["verification"] == "verified", check
    assert (
        check["evidence"]["transcript"]
        and check["evidence"]["similarity"] >= check["evidence"]["similarity_threshold"]
    )
    # A live reading carries no watermark: the generated-speech check passes it.
    assert check["evidence"]["generated"] is False and check["evidence"]["watermark_confidence"] < 0.1

    assert api.delete(f"/v1/voices/{cloned_voice.id}/consent").json()["verification"] == "revoked"
    response = api.post("/v1/speech", {"voice_id": cloned_voice.id, "text": "Hello."}, format="json")
    assert response.status_code == HTTPStatus.FORBIDDEN and "revoked" in response.json()["error"]["message"]


def test_another_speaker_saying_the_phrase_is_refused(api, cloned_voice, speech_wav, eager_jobs):
    phrase = api.get(f"/v1/voices/{cloned_voice.id}/consent").json()["phrase"]
    record(api, cloned_voice, speech_wav(spoken(phrase), voice=OTHER_SPEAKER))
    body = api.get(f"/v1/voices/{cloned_voice.id}/consent").json()
    assert body["verification"] == "failed"
    assert "voice" in body["last_check"]["reason"].lower()


def test_a_recording_needs_a_phrase_first_and_is_used_once(api, cloned_voice, speech_wav):
    response = record(api, cloned_voice, speech_wav("hello", voice=SPEAKER))
    assert (
        response.status_code == HTTPStatus.CONFLICT and "phrase first" in response.json()["error"]["message"]
    )


def test_a_corrupt_recording_is_refused_and_nothing_changes(api, cloned_voice):
    api.get(f"/v1/voices/{cloned_voice.id}/consent")
    response = record(api, cloned_voice, b"not audio" * 100)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    cloned_voice.refresh_from_db()
    assert cloned_voice.verification == "pending" and not cloned_voice.consents.exclude(file="").exists()


def test_a_commercial_licence_is_recorded_with_the_consent(api, cloned_voice, speech_wav, eager_jobs):
    phrase = api.get(f"/v1/voices/{cloned_voice.id}/consent?license=commercial").json()["phrase"]
    record(api, cloned_voice, speech_wav(spoken(phrase), voice=SPEAKER))
    body = api.get(f"/v1/voices/{cloned_voice.id}").json()
    assert body["verification"] == "verified" and body["license"] == "commercial"
    assert body["engine_terms"]["commercial_use"] is True


def test_a_commercial_voice_is_refused_on_an_engine_that_forbids_it(api, cloned_voice, monkeypatch):
    from engines import get_engine
    from engines.base import EngineLicense

    Voice.objects.filter(pk=cloned_voice.pk).update(verification="verified", license="commercial")
    engine = get_engine("offline")
    monkeypatch.setattr(engine, "license", EngineLicense("CPML", commercial_use=False))
    response = api.post("/v1/speech", {"voice_id": cloned_voice.id, "text": "Hello."}, format="json")
    assert response.status_code == HTTPStatus.FORBIDDEN
    error = response.json()["error"]
    assert error["code"] == "license_conflict" and "non-commercial" in error["message"]


def test_others_cannot_see_or_record_consent(other_api, cloned_voice):
    assert other_api.get(f"/v1/voices/{cloned_voice.id}/consent").status_code == HTTPStatus.NOT_FOUND


def test_speech_generated_by_the_studio_is_refused_as_consent_and_audited(api, cloned_voice, eager_jobs):
    phrase = api.get(f"/v1/voices/{cloned_voice.id}/consent").json()["phrase"]
    generated = api.post(
        "/v1/speech",
        {"voice_id": "voice_builtin_joe", "text": spoken(phrase), "output_format": "wav"},
        format="json",
        HTTP_ACCEPT="audio/wav",
    )
    assert generated.status_code == HTTPStatus.OK
    record(api, cloned_voice, generated.content)
    body = api.get(f"/v1/voices/{cloned_voice.id}/consent").json()
    assert body["verification"] == "failed"
    check = body["last_check"]
    assert check["reason"].startswith("This recording was made by a speech generator")
    assert "reading the phrase live" in check["reason"]
    evidence = check["evidence"]
    assert evidence["generated"] is True
    assert evidence["watermark_confidence"] >= evidence["watermark_threshold"] == 0.5
    events = api.get(f"/v1/voices/{cloned_voice.id}/events").json()["data"]
    flagged = [e for e in events if e["action"] == "synthetic_consent"]
    assert len(flagged) == 1 and "watermark confidence" in flagged[0]["reason"]
    assert any(e["action"] == "verification" and e["to"] == "failed" for e in events)
