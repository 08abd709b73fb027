from __future__ import annotations

import functools
import os
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

# --- No silent skips in CI -----------------------------------------------------------------------
# scripts/bootstrap installs every tool and package the tests use (espeak-ng, flite, sox, festival,
# chromium, coqui-tts...), so under CI a skip means a broken install: it fails instead.
SKIPS_FAIL = bool(os.environ.get("CI"))


def _fail_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    if SKIPS_FAIL and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"Skipped under CI, where nothing may be missing (scripts/bootstrap test): {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _fail_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _fail_skip(outcome.get_result())


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Every test writes its files to a fresh temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and login lockouts count in the cache: each test starts with none counted."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Users are made in most tests: a cheap hash keeps the quick loop quick (never used outside tests)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def eager_jobs(monkeypatch) -> Iterator[None]:
    """Run enqueued jobs inline, at once: tests run inside a transaction that never commits, so the
    on_commit hook that normally hands a job to the broker fires immediately instead."""
    from jobs import services
    from studio.celery import app

    monkeypatch.setattr(services.transaction, "on_commit", lambda callback, **kwargs: callback())
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
    from voices.services.voice import voice_create

    def make(owner: Any, name: str = "My voice", **fields: Any) -> Any:
        return voice_create(owner=owner, name=name, **fields)

    return make


TALK = (
    "Good morning everyone, and welcome to the studio. Today we are going to record a few sentences "
    "so that the computer can learn how my voice sounds. I will speak clearly and calmly, at my usual "
    "pace, and I will try not to rush through the words."
)
# About 45 s of speech: more than the instant tier learns from (limits.INSTANT_LEARN_SECONDS).
TALK_LONG = (
    "Good morning everyone, and welcome to the studio. Today we are going to record a few sentences so that "
    "the computer can learn how my voice sounds. I will speak clearly and calmly, at my usual pace, and I "
    "will try not to rush through the words. The weather this week has been cold and bright, with frost on "
    "the windows every morning and a low sun that makes long shadows across the fields. My neighbours have "
    "started to decorate their houses, and the children on our street are already counting the days until "
    "the holidays. In the evenings I like to read by the fire, or to cook something slow, like a soup with "
    "beans and onions and a little smoked paprika, while the radio plays old songs in the kitchen."
)


@functools.cache
def _espeak(text: str, voice: str) -> bytes:
    return subprocess.run(
        ["espeak-ng", "-v", voice, "--stdout", text], capture_output=True, check=True
    ).stdout


@pytest.fixture(scope="session")
def speech_wav() -> Callable[..., bytes]:
    """``speech_wav(text=TALK, voice="en-us")``: real speech as WAV bytes (espeak-ng, 22.05 kHz).
    The default text gives about 14 s of speech: enough for the instant tier."""

    def make(text: str = TALK, voice: str = "en-us+m3") -> bytes:
        return _espeak(text, voice)

    return make
