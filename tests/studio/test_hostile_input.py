"""Inputs that used to answer 500 (HTML, with a traceback) answer a JSON 4xx in the API's error shape."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest

from voices.models import Voice

pytestmark = pytest.mark.django_db


def assert_error(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) <= {"code", "message", "field"} and error["code"] and error["message"]
    if field is not None:
        assert error.get("field") == field, error
    return error


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.fixture
def voice(make_voice, user) -> Voice:
    return make_voice(user, "Mine")


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "3", "null"])
def test_a_json_body_that_is_not_an_object_is_a_400_on_watermark_detect(api, body):
    response = api.post("/v1/watermark/detect", body, content_type="application/json")

    assert_error(response, HTTPStatus.BAD_REQUEST)


@pytest.mark.parametrize("body", ["[1, 2]", '"text"'])
def test_a_json_body_that_is_not_an_object_is_a_400_on_consent(api, voice, body):
    assert api.get(f"/v1/voices/{voice.id}/consent").status_code == HTTPStatus.OK  # a phrase is waiting

    assert_error(
        api.post(f"/v1/voices/{voice.id}/consent", body, content_type="application/json"),
        HTTPStatus.BAD_REQUEST,
    )
    assert_error(
        api.delete(f"/v1/voices/{voice.id}/consent", body, content_type="application/json"),
        HTTPStatus.BAD_REQUEST,
    )


@pytest.mark.parametrize("audio_url", [123, 1.5, True, ["http://example.com/a.wav"], {"url": "x"}])
def test_a_non_string_audio_url_is_a_400(api, voice, audio_url):
    api.get(f"/v1/voices/{voice.id}/consent")
    for path in ("/v1/watermark/detect", f"/v1/voices/{voice.id}/consent"):
        response = api.post(path, {"audio_url": audio_url}, format="json")
        assert_error(response, HTTPStatus.BAD_REQUEST, field="audio_url")
    clone = api.post("/v1/voices/clone", {"name": "x", "samples": [{"audio_url": audio_url}]}, format="json")
    assert_error(clone, HTTPStatus.BAD_REQUEST)


def test_a_revocation_reason_must_be_text(api, voice):
    response = api.delete(f"/v1/voices/{voice.id}/consent", {"reason": {"a": 1}}, format="json")

    assert_error(response, HTTPStatus.BAD_REQUEST, field="reason")


@pytest.mark.parametrize("path", ["/v1/voices", "/v1/speech"])
@pytest.mark.parametrize("offset", ["99999999999999999999", "9223372036854775808", "-1", "x"])
def test_an_offset_past_any_integer_is_a_400(api, path, offset):
    assert_error(api.get(path, {"offset": offset}), HTTPStatus.BAD_REQUEST, field="offset")


@pytest.mark.parametrize("depth", [40, 950, 100_000])
def test_deeply_nested_json_is_a_400(api, depth):
    body = '{"voice_id": "voice_x", "text": ' + nested(depth) + "}"

    error = assert_error(
        api.post("/v1/speech", body, content_type="application/json"), HTTPStatus.BAD_REQUEST
    )

    assert "nests more than" in error["message"]


def test_nesting_within_the_limit_reaches_the_view(api):
    body = '{"voice_id": "voice_x", "text": "hi", "extra": ' + nested(20) + "}"

    # Parsed: the view's own check answers, naming the unknown field (not the parser's depth limit).
    assert_error(
        api.post("/v1/speech", body, content_type="application/json"), HTTPStatus.BAD_REQUEST, "extra"
    )


def test_metadata_nested_950_levels_is_refused_and_the_admin_pages_stay_up(api, voice, client, make_user):
    deep: dict = {}
    for _ in range(950):
        deep = {"a": deep}

    response = api.patch(
        f"/v1/voices/{voice.id}", json.dumps({"metadata": deep}), content_type="application/json"
    )

    assert_error(response, HTTPStatus.BAD_REQUEST)
    allowed: dict = {"leaf": 1}
    for _ in range(6):
        allowed = {"a": allowed}
    assert (
        api.patch(f"/v1/voices/{voice.id}", {"metadata": allowed}, format="json").status_code == HTTPStatus.OK
    )
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    assert client.get(f"/admin/voices/voice/{voice.id}/change/").status_code == HTTPStatus.OK
    assert client.get("/admin/jobs/job/").status_code == HTTPStatus.OK


def test_a_json_body_over_the_size_limit_is_a_413(api):
    import limits

    body = json.dumps({"voice_id": "voice_x", "text": "a" * (limits.JSON_BODY_MAX_BYTES + 10)})

    assert_error(
        api.post("/v1/speech", body, content_type="application/json"), HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    )


@pytest.mark.parametrize(
    "filename", ["../../../../tmp/pwn", "/etc/passwd", "a/b", "..", ".hidden", "x\\y", "a\x00b"]
)
def test_a_batch_filename_with_a_path_is_refused_before_any_job(api, filename):
    from jobs.models import Job

    body = {"voice_id": "voice_builtin_x", "texts": [{"text": "Hello.", "filename": filename}]}

    response = api.post("/v1/speech/batch", body, format="json")

    assert response.status_code in (HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND), response.content
    assert_error(response, response.status_code)
    assert not Job.objects.exists()


def test_a_batch_filename_with_a_path_is_refused_for_a_usable_voice(api):
    voice = Voice.objects.filter(type=Voice.Type.BUILT_IN).first()
    body = {"voice_id": voice.id, "texts": [{"text": "Hello.", "filename": "../../../../tmp/pwn"}]}

    response = api.post("/v1/speech/batch", body, format="json")

    assert_error(response, HTTPStatus.BAD_REQUEST, field="texts[0].filename")


@pytest.mark.parametrize("path", ["/v1/nothing-here", "/v1/voices/x/y/z"])
def test_an_unknown_api_path_answers_json(api, path):
    assert_error(api.get(path), HTTPStatus.NOT_FOUND)


def test_an_unknown_page_still_answers_html(client):
    response = client.get("/no-such-page")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not response["Content-Type"].startswith("application/json")
