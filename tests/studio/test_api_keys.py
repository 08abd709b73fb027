from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from studio.models import ApiKey, hash_key

pytestmark = pytest.mark.django_db


def test_create_api_key_command_creates_the_user_and_prints_the_key_last(capsys, django_user_model):
    call_command("create_api_key", "carol")
    lines = capsys.readouterr().out.strip().splitlines()
    raw_key = lines[-1]
    assert raw_key.startswith("vs_") and " " not in raw_key
    user = django_user_model.objects.get(username="carol")
    assert not user.has_usable_password()
    key = ApiKey.objects.get(user=user)
    assert key.key_hash == hash_key(raw_key) and raw_key not in key.key_hash
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    assert client.get("/v1/voices").status_code == HTTPStatus.OK


def test_create_api_key_command_reuses_an_existing_user(capsys, user):
    call_command("create_api_key", user.username)
    call_command("create_api_key", user.username)
    assert ApiKey.objects.filter(user=user).count() == 2


def test_keys_are_stored_hashed_only(user):
    from studio.services import api_key_create

    key, raw = api_key_create(user=user, name="ci")
    stored = ApiKey.objects.values_list("key_hash", "prefix").get(pk=key.pk)
    assert raw not in stored[0] and raw.startswith(stored[1])


def test_admin_creates_a_key_and_shows_it_once(admin_client, user):
    response = admin_client.post(
        "/admin/studio/apikey/add/", {"user": user.pk, "name": "from admin"}, follow=True
    )
    assert response.status_code == HTTPStatus.OK
    shown = [str(m) for m in response.context["messages"]]
    raw_key = next(word for m in shown for word in m.split() if word.startswith("vs_"))
    assert ApiKey.objects.get(user=user).key_hash == hash_key(raw_key)


def test_admin_ensure_prints_a_password_once(django_user_model):
    from studio.services import admin_ensure

    password = admin_ensure()
    assert password and django_user_model.objects.get(username="admin").check_password(password)
    assert admin_ensure() is None
