"""Sign in / out, the header, and the API keys page (through studio.services)."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from studio.models import ApiKey, hash_key
from studio.services import api_key_create

pytestmark = pytest.mark.django_db


def test_sign_in_page_renders_and_signs_in(client, user):
    assert client.get("/login").status_code == HTTPStatus.OK

    response = client.post("/login", {"username": "alice", "password": "pw-alice"})

    assert response.status_code == HTTPStatus.FOUND and response["Location"] == "/"
    assert client.get("/").status_code == HTTPStatus.OK


def test_wrong_password_shows_the_error(client, user):
    response = client.post("/login", {"username": "alice", "password": "wrong"})
    assert response.status_code == HTTPStatus.OK
    assert 'id="login-error"' in response.content.decode()


def test_sign_out_needs_a_post_and_ends_the_session(client, user):
    client.force_login(user)
    response = client.post("/logout")
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == "/login"
    assert client.get("/keys").status_code == HTTPStatus.FOUND


def test_header_links_admin_only_for_staff(client, user, make_user):
    client.force_login(user)
    page = client.get("/keys").content.decode()
    for link in ['href="/"', 'href="/speech"', 'href="/history"', 'href="/keys"']:
        assert link in page
    assert 'href="/admin/"' not in page
    assert "alice" in page

    client.force_login(make_user("root", is_staff=True))
    assert 'href="/admin/"' in client.get("/keys").content.decode()


def test_keys_page_requires_login(client):
    response = client.get("/keys")
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == "/login?next=/keys"


def test_creating_a_key_shows_it_once(client, user):
    client.force_login(user)

    response = client.post("/keys", {"name": "laptop"})

    raw_key = response.context["raw_key"]
    assert raw_key.startswith("vs_") and raw_key in response.content.decode()
    key = ApiKey.objects.get(user=user, name="laptop")
    assert key.key_hash == hash_key(raw_key)
    again = client.get("/keys").content.decode()
    assert raw_key not in again and f"{key.prefix}…" in again


def test_a_key_created_without_a_name_gets_a_numbered_one(client, user):
    client.force_login(user)

    client.post("/keys", {"name": ""})
    client.post("/keys", {"name": "   "})

    names = sorted(ApiKey.objects.filter(user=user).values_list("name", flat=True))
    assert names == ["Key 1", "Key 2"]
    assert "Your new key “Key 3”" in client.post("/keys", {"name": ""}).content.decode()


def test_key_name_too_long_is_refused_next_to_the_field(client, user):
    client.force_login(user)
    response = client.post("/keys", {"name": "x" * 101})
    assert "name" in response.context["form"].errors
    assert not ApiKey.objects.filter(user=user).exists()


def test_revoking_a_key(client, user):
    client.force_login(user)
    key, _ = api_key_create(user=user, name="ci")

    response = client.post(f"/keys/{key.pk}/revoke")

    assert response.status_code == HTTPStatus.FOUND
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_revoking_another_users_key_is_not_found(client, user, other_user):
    client.force_login(user)
    key, _ = api_key_create(user=other_user, name="bob's")

    assert client.post(f"/keys/{key.pk}/revoke").status_code == HTTPStatus.NOT_FOUND
    assert client.get(f"/keys/{key.pk}/revoke").status_code == HTTPStatus.METHOD_NOT_ALLOWED
    key.refresh_from_db()
    assert key.revoked_at is None
