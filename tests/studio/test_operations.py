"""What operators use: /healthz, /readyz, /metrics, and ``manage.py ensure_admin``."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_authentication(client):
    response = client.get("/healthz")
    assert response.status_code == HTTPStatus.OK and response.json() == {"status": "ok"}


def test_readyz_checks_the_database_the_broker_and_the_storage(client):
    body = client.get("/readyz").json()
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "broker": True,
        "storage": True,
    }
    assert body["checks"]["storage"]["detail"].startswith("local folder")


def test_readyz_is_unavailable_when_the_storage_is_and_keeps_the_details_in_the_log(
    client, monkeypatch, caplog
):
    from studio import storage

    def refused(*args, **kwargs):
        raise ImproperlyConfigured(
            "S3 refused the credentials for the bucket 'media' at http://10.0.0.5:9000"
        )

    monkeypatch.setattr(storage, "storage_check", refused)
    response = client.get("/readyz")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["checks"]["storage"] == {
        "ok": False,
        "error": "ImproperlyConfigured",
        "ms": pytest.approx(0, abs=1000),
    }
    assert "10.0.0.5" not in response.content.decode()
    assert "S3 refused the credentials" in caplog.text


def test_metrics_count_finished_jobs_and_show_the_queue(client, api, eager_jobs):
    assert (
        api.post("/v1/jobs/demo", {"seconds": 0.2, "chunks": 1}, format="json").status_code
        == HTTPStatus.ACCEPTED
    )

    text = client.get("/metrics").content.decode()

    assert re.search(r'^studio_jobs_finished_total\{kind="demo",outcome="succeeded"\} [1-9]', text, re.M)
    assert re.search(
        r'^studio_job_duration_seconds_bucket\{kind="demo",le="\+Inf",outcome="succeeded"\} [1-9]', text, re.M
    )
    assert re.search(r'^studio_jobs\{queue="cpu",status="QUEUED"\} 0\.0$', text, re.M)
    assert re.search(r"^studio_websockets_open \d", text, re.M)


def test_metrics_need_the_token_when_one_is_set(client, settings):
    settings.STUDIO_METRICS_TOKEN = "scrape-me"
    assert client.get("/metrics").status_code == HTTPStatus.UNAUTHORIZED
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == HTTPStatus.UNAUTHORIZED
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me").status_code == HTTPStatus.OK


def test_ensure_admin_creates_the_admin_with_the_given_password_once(monkeypatch, capsys):
    monkeypatch.setenv("STUDIO_ADMIN_PASSWORD", "a-long-admin-password")
    call_command("ensure_admin")
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("a-long-admin-password")

    call_command("ensure_admin", "--username", "root")
    assert "exists already" in capsys.readouterr().out
    assert not get_user_model().objects.filter(username="root").exists()


def test_ensure_admin_prints_a_generated_password_when_none_is_given(monkeypatch, capsys):
    monkeypatch.delenv("STUDIO_ADMIN_PASSWORD", raising=False)
    call_command("ensure_admin")
    password = re.search(r"username admin, password (\S+)", capsys.readouterr().out).group(1)
    assert get_user_model().objects.get(username="admin").check_password(password)
