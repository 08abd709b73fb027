"""limits.py: every user-facing limit, defined once, and the front doors that derive from it."""

from __future__ import annotations

import json
import re
from http import HTTPStatus

import pytest

import limits
from errors import InvalidInput


@pytest.mark.parametrize("value", [0.49, 2.01, float("nan"), "fast", None])
def test_a_range_refuses_values_outside_it_naming_the_field(value):
    with pytest.raises(InvalidInput) as refused:
        limits.SPEED.check(value, field="speed")
    assert refused.value.field == "speed" and "between 0.5 and 2" in refused.value.message


def test_a_signed_range_says_plus_for_its_upper_bound():
    assert limits.PITCH.describe() == "between -12 and +12 semitones"
    assert limits.PITCH.check("3", field="pitch") == 3.0


@pytest.mark.django_db
def test_the_pages_get_the_same_limits_as_json(client, user):
    client.force_login(user)
    page = client.get("/speech").content.decode()
    given = json.loads(
        re.search(r'<script id="studio-limits" type="application/json">(.*?)</script>', page)[1]
    )
    assert given == json.loads(json.dumps(limits.as_dict()))
    assert given["speed"] == {"min": limits.SPEED.low, "max": limits.SPEED.high}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/speech", {"voice_id": "voice_builtin_joe", "text": "x" * (limits.TEXT_MAX_CHARS + 1)}, "text"),
        (
            "/v1/speech",
            {"voice_id": "voice_builtin_joe", "text": "Hi.", "speed": limits.SPEED.high + 0.1},
            "speed",
        ),
    ],
)
def test_the_api_refuses_what_the_limits_refuse(api, path, body, field):
    response = api.post(path, body, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["field"] == field


@pytest.mark.django_db
def test_a_voice_name_is_limited_alike_in_the_api_and_the_service(api, user):
    from voices.services.voice import voice_create

    long_name = "n" * (limits.NAME_MAX_CHARS + 1)
    with pytest.raises(InvalidInput):
        voice_create(owner=user, name=long_name)
    voice = voice_create(owner=user, name="Short")
    response = api.patch(f"/v1/voices/{voice.id}", {"name": long_name}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST and response.json()["error"]["field"] == "name"
