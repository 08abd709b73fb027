"""The one voice state (voices/state.py): what every page, the speech picker and the API say a voice can
do, held against the speech gate itself."""

from __future__ import annotations

import itertools
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from errors import StudioError
from voices.models import Voice
from voices.services.voice import voice_assert_usable
from voices.state import STATES, voice_state

pytestmark = pytest.mark.django_db


def gate_allows(voice: Voice, user) -> bool:
    try:
        voice_assert_usable(voice=voice, user=user)
    except StudioError:
        return False
    return True


def test_the_state_says_a_voice_can_speak_exactly_when_the_speech_gate_lets_it(user, make_voice):
    voice = make_voice(user, "Every combination")
    combinations = itertools.product(
        Voice.Status.values, Voice.Moderation.values, Voice.Verification.values, ["offline", "xtts"],
        Voice.License.values,
    )  # fmt: skip
    for status, moderation, verification, engine, license in combinations:
        voice.status, voice.moderation, voice.verification = status, moderation, verification
        voice.engine, voice.license = engine, license
        state = voice.state
        assert state.can_speak == gate_allows(voice, user), (
            status,
            moderation,
            verification,
            engine,
            license,
        )
        assert state.code in STATES


def test_an_available_voice_without_consent_needs_consent_not_ready(user, make_voice):
    voice = make_voice(user, "Fresh clone", status="AVAILABLE")
    state = voice.state
    assert (state.code, state.label, state.can_speak) == ("needs_consent", "Needs consent", False)
    assert "not recorded the consent phrase" in state.detail


def test_a_suspended_voice_says_so_with_the_moderators_reason(user, make_voice):
    voice = make_voice(user, "Radio spot", status="AVAILABLE")
    Voice.objects.filter(pk=voice.pk).update(
        verification="verified", moderation="suspended", moderation_reason="A broadcast of someone else."
    )
    voice.refresh_from_db()
    state = voice.state
    assert (state.code, state.label, state.can_speak) == ("suspended", "Suspended", False)
    assert state.detail == "A moderator suspended this voice: A broadcast of someone else."


def test_a_voice_close_to_deletion_is_expiring_and_still_speaks(user, make_voice):
    voice = make_voice(user, "Old demo", status="AVAILABLE")
    Voice.objects.filter(pk=voice.pk).update(verification="verified")
    voice.refresh_from_db()
    assert voice.state.code == "ready"

    voice.expires_at = timezone.now() + timedelta(days=5)
    state = voice.state
    assert (state.code, state.can_speak) == ("expiring", True)
    assert state.detail.startswith("Deleted on ") and "unless you renew it" in state.detail


def test_cloning_and_failed_voices_speak_in_plain_words(user, make_voice):
    cloning = make_voice(user, "In progress")
    cloning.status, cloning.progress_step, cloning.progress_percent = "PROCESSING", "prepare engine", 42.0
    assert (cloning.state.code, cloning.state.detail) == ("cloning", "Learning the voice · 42% done.")

    failed = make_voice(user, "Crashed")
    failed.status, failed.error = "FAILED", "Internal error while running the clone job (ValueError)."
    assert failed.state.code == "failed"
    assert "ValueError" not in failed.state.detail and "tell the administrator" in failed.state.detail


def test_built_in_voices_are_ready(user):
    assert voice_state(Voice.objects.get(pk="voice_builtin_joe")).code == "ready"


def test_the_api_gives_the_state_next_to_the_status(api, user, make_voice):
    voice = make_voice(user, "Fresh clone", status="AVAILABLE")

    body = api.get(f"/v1/voices/{voice.id}").json()

    assert body["status"] == "AVAILABLE"  # the API keeps its vocabulary
    assert body["state"] == {
        "code": "needs_consent",
        "label": "Needs consent",
        "detail": "Its speaker has not recorded the consent phrase yet.",
        "can_speak": False,
    }
    listed = api.get("/v1/voices?status=AVAILABLE&type=cloned")
    assert listed.status_code == HTTPStatus.OK
    assert [v["state"]["code"] for v in listed.json()["data"]] == ["needs_consent"]
