"""Per-user request rates answer 429 with Retry-After; wrong passwords lock a login out for a while."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from rest_framework.throttling import SimpleRateThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(monkeypatch):
    """``rates(user="3/min", ...)``: DRF reads its rates once, at import; this swaps them for a test."""

    def set_rates(**changed: str) -> None:
        monkeypatch.setattr(
            SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, **changed}
        )

    return set_rates


def test_past_the_users_api_rate_the_answer_is_429_with_retry_after(api, other_api, rates):
    rates(user="3/min")
    for _ in range(3):
        assert api.get("/v1/voices").status_code == HTTPStatus.OK

    refused = api.get("/v1/voices")

    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused.json()["error"]["code"] == "throttled" and 1 <= int(refused["Retry-After"]) <= 60
    assert other_api.get("/v1/voices").status_code == HTTPStatus.OK  # counted per user


def test_uploads_have_a_tighter_rate_than_reads(api, rates):
    rates(upload="2/min")
    for _ in range(2):
        assert api.post("/v1/watermark/detect", {}, format="json").status_code == HTTPStatus.BAD_REQUEST

    assert api.post("/v1/watermark/detect", {}, format="json").status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert api.get("/v1/voices").status_code == HTTPStatus.OK


def sign_in(client, url: str, username: str, password: str, address: str = "203.0.113.9"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client, url: str, username: str, times: int, address: str = "203.0.113.9") -> None:
    for _ in range(times):
        sign_in(client, url, username, "guess", address)


@pytest.mark.parametrize("login_url", ["/login", "/admin/login/"])
def test_after_five_wrong_passwords_even_the_right_one_is_refused(client, make_user, login_url):
    make_user("root", is_staff=True, is_superuser=True)
    fail(client, login_url, "root", 5)

    locked = sign_in(client, login_url, "root", "pw-root")

    assert locked.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "Too many sign-in attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_success_resets_the_count(client, make_user):
    make_user("alice")
    fail(client, "/login", "alice", 4)
    assert sign_in(client, "/login", "alice", "pw-alice").status_code == HTTPStatus.FOUND
    client.logout()
    fail(client, "/login", "alice", 4)  # 8 wrong in all, but never 5 in a row

    assert sign_in(client, "/login", "alice", "pw-alice").status_code == HTTPStatus.FOUND


def test_a_lockout_holds_one_address_not_the_account(client, make_user):
    make_user("alice")
    fail(client, "/login", "alice", 5, address="203.0.113.9")

    assert sign_in(client, "/login", "alice", "pw-alice", "198.51.100.7").status_code == HTTPStatus.FOUND
