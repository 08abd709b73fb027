from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Every test writes its files to a fresh temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def eager_jobs(monkeypatch) -> Iterator[None]:
    """Run enqueued jobs inline, at once: tests run inside a transaction that never commits, so the
    on_commit hook that normally hands a job to the broker fires immediately instead."""
    from studio.celery import app
    from synthesis import jobs

    monkeypatch.setattr(jobs.transaction, "on_commit", lambda callback, **kwargs: callback())
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def make_user(django_user_model) -> Callable[..., Any]:
    def make(username: str = "alice", **fields: Any) -> Any:
        return django_user_model.objects.create_user(username=username, password="pw-" + username, **fields)

    return make


@pytest.fixture
def user(make_user) -> Any:
    return make_user("alice")


@pytest.fixture
def other_user(make_user) -> Any:
    return make_user("bob")


@pytest.fixture
def api_key_for() -> Callable[[Any], str]:
    from studio.services import api_key_create

    def make(user: Any) -> str:
        return api_key_create(user=user, name="test")[1]

    return make


@pytest.fixture
def api(user, api_key_for) -> APIClient:
    """An API client authenticated as ``user`` with a real API key."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(user)}")
    return client


@pytest.fixture
def other_api(other_user, api_key_for) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(other_user)}")
    return client


@pytest.fixture
def make_voice() -> Callable[..., Any]:
    from voices.services import voice_create

    def make(owner: Any, name: str = "My voice", **fields: Any) -> Any:
        return voice_create(owner=owner, name=name, **fields)

    return make
