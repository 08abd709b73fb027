from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.files.base import ContentFile
from rest_framework.test import APIClient

from voices.models import Voice, VoiceSample

pytestmark = pytest.mark.django_db


def test_it_requires_authentication():
    response = APIClient().get("/v1/voices")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"]["code"] == "not_authenticated"


def test_it_rejects_a_wrong_key_with_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer vs_not-a-real-key")
    response = client.get("/v1/voices")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert "Invalid" in response.json()["error"]["message"]


def test_it_accepts_the_x_api_key_header(user, api_key_for):
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key_for(user))
    assert client.get("/v1/voices").status_code == HTTPStatus.OK


def test_it_rejects_a_revoked_key(user):
    from studio.services import api_key_create, api_key_revoke

    key, raw = api_key_create(user=user)
    api_key_revoke(user=user, key_id=key.pk)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/v1/voices").status_code == HTTPStatus.UNAUTHORIZED


def test_list_shows_own_public_and_built_in_voices_but_not_others_private(api, user, other_user, make_voice):
    mine = make_voice(user, "Mine")
    make_voice(other_user, "Their secret")
    theirs_public = make_voice(other_user, "Their public", visibility="PUBLIC", status="AVAILABLE")
    Voice.objects.filter(pk=theirs_public.pk).update(moderation="approved")
    ids = {v["id"] for v in api.get("/v1/voices").json()["data"]}
    assert ids == {mine.id, theirs_public.id, "voice_builtin_joe"}


def test_another_users_private_voice_is_not_found(api, other_user, make_voice):
    voice = make_voice(other_user, "Their secret")
    response = api.get(f"/v1/voices/{voice.id}")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"]["code"] == "not_found"


def test_deleting_another_users_voice_is_refused(api, other_user, make_voice):
    private = make_voice(other_user, "Their secret")
    public = make_voice(other_user, "Their public", visibility="PUBLIC", status="AVAILABLE")
    Voice.objects.filter(pk=public.pk).update(moderation="approved")
    assert api.delete(f"/v1/voices/{private.id}").status_code == HTTPStatus.NOT_FOUND
    assert api.delete(f"/v1/voices/{public.id}").status_code == HTTPStatus.FORBIDDEN
    assert Voice.objects.filter(pk__in=[private.pk, public.pk]).count() == 2


def test_built_in_voices_cannot_be_deleted(api):
    response = api.delete("/v1/voices/voice_builtin_joe")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["error"] == {
        "code": "built_in_voice",
        "message": "Built-in voices cannot be changed or deleted.",
    }
    assert Voice.objects.filter(pk="voice_builtin_joe").exists()


def test_delete_removes_the_voice_and_its_stored_files(
    api, user, make_voice, settings, django_capture_on_commit_callbacks
):
    voice = make_voice(user)
    sample = VoiceSample(voice=voice, original_name="a.wav")
    sample.file.save("a.wav", ContentFile(b"RIFF....WAVE"), save=True)
    path = settings.MEDIA_ROOT / sample.file.name
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.delete(f"/v1/voices/{voice.id}")
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"id": voice.id, "voice_id": voice.id, "deleted": True}
    assert not Voice.objects.filter(pk=voice.pk).exists()
    assert not path.exists()
    assert not (settings.MEDIA_ROOT / "voices" / voice.id).exists()


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=abc", "offset=-1", "type=robot", "status=DONE"]
)
def test_list_rejects_bad_filters_with_the_field_named(api, query):
    response = api.get(f"/v1/voices?{query}")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["field"] == query.split("=")[0]


def test_list_filters_and_pages(api, user, make_voice):
    for index in range(5):
        # XTTS speaks German (the offline engine would refuse "de").
        make_voice(user, f"Voice {index}", engine="xtts", language="de" if index % 2 else "en")
    german = api.get("/v1/voices?language=de&type=cloned").json()
    assert {v["name"] for v in german["data"]} == {"Voice 1", "Voice 3"}
    first = api.get("/v1/voices?type=cloned&limit=2").json()
    assert len(first["data"]) == 2 and first["total"] == 5 and first["next_offset"] == 2
    last = api.get("/v1/voices?type=cloned&limit=2&offset=4").json()
    assert len(last["data"]) == 1 and last["next_offset"] is None
    built_in = api.get("/v1/voices?type=built-in").json()["data"]
    assert [v["id"] for v in built_in] == ["voice_builtin_joe"]


def test_default_limit_is_20(api, user, make_voice):
    for index in range(25):
        make_voice(user, f"Voice {index}")
    body = api.get("/v1/voices").json()
    assert len(body["data"]) == 20 and body["limit"] == 20


def test_patch_updates_editable_fields(api, user, make_voice):
    voice = make_voice(user)
    response = api.patch(
        f"/v1/voices/{voice.id}",
        {"name": "  Narrator  ", "visibility": "public", "metadata": {"project": "audiobook"}},
        format="json",
    )
    assert response.status_code == HTTPStatus.OK, response.json()
    voice.refresh_from_db()
    assert (voice.name, voice.visibility, voice.metadata) == ("Narrator", "PUBLIC", {"project": "audiobook"})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"visibility": "FRIENDS"}, "visibility"),
        ({"metadata": [1, 2]}, "metadata"),
        ({"status": "AVAILABLE"}, "status"),
        ({"similarity_score": 1.0}, "similarity_score"),
    ],
)
def test_patch_rejects_invalid_values_and_changes_nothing(api, user, make_voice, body, field):
    voice = make_voice(user, "Before")
    response = api.patch(f"/v1/voices/{voice.id}", body, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    error = response.json()["error"]
    assert error["field"] == field and error["code"] == "invalid" and error["message"]
    voice.refresh_from_db()
    assert voice.name == "Before" and voice.status == "PENDING"


def test_voice_body_has_the_documented_shape(api, user, make_voice):
    voice = make_voice(user, engine="xtts", languages=["en", "de"])
    body = api.get(f"/v1/voices/{voice.id}").json()
    assert body["id"].startswith("voice_") and body["voice_id"] == body["id"]
    assert body["type"] == "cloned" and body["visibility"] == "PRIVATE" and body["status"] == "PENDING"
    assert body["progress"] == {"step": "", "percent": 0.0, "eta_seconds": None}
    assert body["languages"] == ["en", "de"] and body["preview_url"] is None
    for key in ("similarity_score", "analysis", "error", "created_at", "updated_at", "owner"):
        assert key in body


def test_schema_and_docs_are_served(client):
    schema = client.get("/v1/schema")
    assert schema.status_code == HTTPStatus.OK
    assert b"/v1/voices/{voice_id}" in schema.content
    assert client.get("/v1/docs").status_code == HTTPStatus.OK


def test_the_openapi_schema_generates_without_warnings():
    from django.core.management import call_command

    call_command("spectacular", "--fail-on-warn", "--file", "/dev/null")


def test_a_public_voice_shows_others_only_what_its_page_shows(api, other_api, user, make_voice):
    from voices.models import Voice, VoiceSample

    voice = make_voice(user, "Shared narrator", metadata={"client": "ACME", "rate": 120})
    VoiceSample.objects.create(
        voice=voice,
        file="voices/x/sample.wav",
        original_name="ceo-interview.wav",
        transcript="Our secret plan.",
    )
    Voice.objects.filter(pk=voice.pk).update(
        visibility=Voice.Visibility.PUBLIC,
        moderation=Voice.Moderation.APPROVED,
        status=Voice.Status.AVAILABLE,
    )

    seen_by_other = other_api.get(f"/v1/voices/{voice.id}").json()
    listed = [
        v for v in other_api.get("/v1/voices", {"owner": "shared"}).json()["data"] if v["id"] == voice.id
    ]
    seen_by_owner = api.get(f"/v1/voices/{voice.id}").json()

    for body in (seen_by_other, listed[0]):
        assert body["name"] == "Shared narrator" and body["owner"] == user.username
        assert body["samples"] == [] and body["metadata"] == {}
        assert "ceo-interview" not in str(body) and "secret plan" not in str(body) and "ACME" not in str(body)
    assert seen_by_owner["metadata"] == {"client": "ACME", "rate": 120}
    assert [s["original_name"] for s in seen_by_owner["samples"]] == ["ceo-interview.wav"]
    assert seen_by_owner["samples"][0]["transcript"] == "Our secret plan."
    assert other_api.get(f"/v1/voices/{voice.id}/samples/x/audio").status_code == 403
