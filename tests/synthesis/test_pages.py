"""The speech page (the generate form → synthesis.services.speech_request), history and deleting."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.files.base import ContentFile

from jobs.models import Job
from synthesis.models import Speech
from voices.models import Voice

pytestmark = pytest.mark.django_db

BUILT_IN_ID = "voice_builtin_joe"
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def alice_client(client, user):
    client.force_login(user)
    return client


def speech_for(owner, voice_id: str = BUILT_IN_ID, text: str = "Hello there", **fields) -> Speech:
    speech = Speech(owner=owner, voice_id=voice_id, text=text, format="wav", duration=1.5, **fields)
    speech.file.save("speech.wav", ContentFile(b"RIFF....WAVE"), save=False)
    speech.save()
    return speech


def form_data(**overrides) -> dict:
    return {
        "voice": BUILT_IN_ID, "text": "Good morning!", "emotion": "happy", "speed": "1.5", "pitch": "3",
        "output_format": "wav", "sample_rate": "22050", **overrides,
    }  # fmt: skip


def test_pages_require_login(client):
    for url in ["/speech", "/history"]:
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND and response["Location"].startswith("/login")


def test_speech_page_offers_usable_voices(alice_client, user, make_voice):
    own = make_voice(user, "Alice narrator")
    Voice.objects.filter(pk=own.pk).update(status="AVAILABLE")
    make_voice(user, "Still cloning")

    response = alice_client.get("/speech")

    # Only voices that can speak are offered; the user's others are listed with what they wait for.
    groups = dict(response.context["form"].fields["voice"].choices)
    assert groups == {"Built-in": [(BUILT_IN_ID, "Joe (studio base voice)")]}
    assert response.context["form"].initial["voice"] == BUILT_IN_ID
    assert [v.name for v in response.context["not_ready"]] == ["Alice narrator", "Still cloning"]
    page = response.content.decode()
    assert "/ 5000 characters" in page


def test_generating_creates_a_speech_job_with_the_chosen_settings(alice_client, user):
    response = alice_client.post("/speech", form_data(), **JSON)

    assert response.status_code == HTTPStatus.ACCEPTED
    job = Job.objects.get(pk=response.json()["job"]["id"], owner=user)
    assert job.kind == "speech" and job.voice_id == BUILT_IN_ID
    assert {k: job.params[k] for k in ("text", "emotion", "speed", "pitch", "output_format", "sample_rate")} == {
        "text": "Good morning!", "emotion": "happy", "speed": 1.5, "pitch": 3.0, "output_format": "wav",
        "sample_rate": 22050,
    }  # fmt: skip


def test_stability_and_similarity_come_from_their_sliders_or_their_defaults(alice_client, user):
    alice_client.post("/speech", form_data(stability="0.8", similarity_boost="0.6"), **JSON)
    alice_client.post("/speech", form_data(), **JSON)  # a client that sends neither

    chosen, defaults = Job.objects.filter(owner=user).order_by("created_at")
    assert (chosen.params["stability"], chosen.params["similarity_boost"]) == (0.8, 0.6)
    assert (defaults.params["stability"], defaults.params["similarity_boost"]) == (0.5, 0.8)


def test_invalid_settings_come_back_per_field(alice_client):
    response = alice_client.post("/speech", form_data(speed="3", text="", emotion="furious"), **JSON)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert set(response.json()["errors"]) == {"speed", "text", "emotion"}
    assert not Job.objects.exists()


def test_text_longer_than_5000_characters_is_refused(alice_client):
    response = alice_client.post("/speech", form_data(text="a" * 5001), **JSON)
    assert "text" in response.json()["errors"]


def test_a_voice_without_consent_is_refused_next_to_the_voice(alice_client, user, make_voice):
    voice = make_voice(user, "Alice narrator")
    Voice.objects.filter(pk=voice.pk).update(status="AVAILABLE")

    response = alice_client.post("/speech", form_data(voice=voice.id), **JSON)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    message = response.json()["errors"]["voice"][0]["message"]
    assert (
        message
        == "“Alice narrator” can’t speak right now: Its speaker has not recorded the consent phrase yet."
    )
    assert "/v1/" not in message  # no API paths on a page


def test_a_voice_that_cannot_speak_is_explained_not_offered(alice_client, user, make_voice):
    voice = make_voice(user, "Alice narrator")
    Voice.objects.filter(pk=voice.pk).update(status="AVAILABLE")

    page = alice_client.get(f"/speech?voice={voice.id}").content.decode()

    assert "“Alice narrator” can’t speak yet." in page and "has not recorded the consent phrase" in page
    assert f'<option value="{voice.id}"' not in page
    assert f'href="/voices/{voice.id}#consent-step"' in page


def test_another_users_private_voice_cannot_be_chosen(alice_client, other_user, make_voice):
    voice = make_voice(other_user, "Bob secret")
    Voice.objects.filter(pk=voice.pk).update(status="AVAILABLE", verification="verified")

    response = alice_client.post("/speech", form_data(voice=voice.id), **JSON)

    assert "voice" in response.json()["errors"]
    assert not Job.objects.exists()


def test_without_javascript_the_form_redirects_to_the_history(alice_client):
    response = alice_client.post("/speech", form_data())
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == "/history"

    invalid = alice_client.post("/speech", form_data(pitch="13"))
    assert invalid.status_code == HTTPStatus.BAD_REQUEST and "pitch" in invalid.context["form"].errors


def test_history_lists_only_own_generations_filtered_by_voice(alice_client, user, other_user, make_voice):
    mine = speech_for(user, text="Mine with Joe")
    own_voice = make_voice(user, "Alice narrator")
    speech_for(user, voice_id=own_voice.id, text="Mine with my voice")
    speech_for(other_user, text="Bob's words")

    page = alice_client.get("/history").content.decode()
    assert "Mine with Joe" in page and "Mine with my voice" in page and "Bob&#x27;s words" not in page
    assert f"/v1/speech/{mine.id}/audio?download=1" in page

    filtered = alice_client.get("/history", {"voice": own_voice.id}).content.decode()
    assert "Mine with my voice" in filtered and "Mine with Joe" not in filtered


def test_speech_page_list_fragment(alice_client, user):
    speech_for(user, text="Recent one")
    response = alice_client.get("/history", {"partial": "1"})
    assert "Recent one" in response.content.decode()
    assert "<html" not in response.content.decode()


def test_deleting_a_generation(alice_client, user):
    speech = speech_for(user)

    response = alice_client.post(f"/speech/{speech.id}/delete", {"next": "/speech"})

    assert response.status_code == HTTPStatus.FOUND and response["Location"] == "/speech"
    assert not Speech.objects.filter(pk=speech.pk).exists()


def test_deleting_goes_back_only_to_this_site(alice_client, user):
    speech = speech_for(user)
    response = alice_client.post(f"/speech/{speech.id}/delete", {"next": "https://evil.example/"})
    assert response["Location"] == "/history"


def test_deleting_another_users_generation_is_not_found(alice_client, other_user):
    speech = speech_for(other_user)
    assert alice_client.post(f"/speech/{speech.id}/delete").status_code == HTTPStatus.NOT_FOUND
    assert Speech.objects.filter(pk=speech.pk).exists()
