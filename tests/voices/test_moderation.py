from __future__ import annotations

from http import HTTPStatus

import pytest

from errors import Conflict, Forbidden, InvalidInput
from voices.models import Voice, VoiceEvent
from voices.services.moderation import voice_moderate

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(make_user):
    return make_user("mod", is_staff=True)


def test_new_private_voices_are_approved_and_public_ones_wait_for_review(user, make_voice):
    assert make_voice(user, "Private").moderation == Voice.Moderation.APPROVED
    assert make_voice(user, "Public", visibility="PUBLIC").moderation == Voice.Moderation.PENDING_REVIEW


def test_private_voices_wait_too_when_auto_approval_is_off(user, make_voice, settings):
    settings.STUDIO_AUTO_APPROVE_PRIVATE = False
    assert make_voice(user, "Private").moderation == Voice.Moderation.PENDING_REVIEW


def test_a_public_voice_is_hidden_from_others_until_approved(api, other_user, make_voice, moderator):
    voice = make_voice(other_user, "Theirs", visibility="PUBLIC", status="AVAILABLE")
    assert api.get(f"/v1/voices/{voice.id}").status_code == HTTPStatus.NOT_FOUND
    voice_moderate(voice=voice, actor=moderator, action="approve")
    assert api.get(f"/v1/voices/{voice.id}").status_code == HTTPStatus.OK


def test_making_a_voice_public_sends_it_back_to_review(api, user, make_voice):
    voice = make_voice(user, "Mine")
    api.patch(f"/v1/voices/{voice.id}", {"visibility": "PUBLIC"}, format="json")
    voice.refresh_from_db()
    assert voice.moderation == Voice.Moderation.PENDING_REVIEW


def test_only_staff_can_moderate(user, make_voice):
    voice = make_voice(user, "Mine")
    with pytest.raises(Forbidden):
        voice_moderate(voice=voice, actor=user, action="suspend", reason="no")


def test_suspending_needs_a_reason_and_is_logged(user, make_voice, moderator):
    voice = make_voice(user, "Mine")
    with pytest.raises(InvalidInput):
        voice_moderate(voice=voice, actor=moderator, action="suspend")
    voice_moderate(voice=voice, actor=moderator, action="suspend", reason="impersonates a public figure")
    voice.refresh_from_db()
    assert voice.moderation == "suspended" and voice.moderation_reason == "impersonates a public figure"
    event = VoiceEvent.objects.filter(voice_ref=voice.id, action="moderation").first()
    assert (event.actor, event.from_state, event.to_state) == (moderator, "approved", "suspended")


def test_impossible_transitions_are_refused(user, make_voice, moderator):
    voice = make_voice(user, "Mine")
    with pytest.raises(Conflict):
        voice_moderate(voice=voice, actor=moderator, action="reinstate")


def test_a_suspended_voice_cannot_speak(api, user, make_voice, moderator):
    voice = make_voice(user, "Mine", status="AVAILABLE")
    Voice.objects.filter(pk=voice.pk).update(verification="verified")
    voice.refresh_from_db()
    voice_moderate(voice=voice, actor=moderator, action="suspend", reason="reported")
    response = api.post("/v1/speech", {"voice_id": voice.id, "text": "Hello."}, format="json")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert (
        response.json()["error"]["code"] == "voice_blocked"
        and "reported" in response.json()["error"]["message"]
    )


def test_admin_actions_ask_why_then_moderate_through_the_service(admin_client, user, make_voice):
    voice = make_voice(user, "Public", visibility="PUBLIC")
    chosen = {"action": "moderate_approve", "_selected_action": [voice.pk]}

    question = admin_client.post("/admin/voices/voice/", chosen)
    voice.refresh_from_db()
    assert question.status_code == HTTPStatus.OK and voice.moderation == "pending_review"
    assert 'name="reason"' in question.content.decode()

    response = admin_client.post(
        "/admin/voices/voice/",
        {**chosen, "apply": "yes", "reason": "Clear samples, consent verified."},
        follow=True,
    )
    assert response.status_code == HTTPStatus.OK
    voice.refresh_from_db()
    assert voice.moderation == "approved"
    event = VoiceEvent.objects.get(voice_ref=voice.id, action="moderation", to_state="approved")
    assert event.reason == "Clear samples, consent verified."


def test_suspending_in_the_admin_needs_the_reason_the_owner_reads(admin_client, user, make_voice):
    voice = make_voice(user, "Radio spot")
    chosen = {"action": "moderate_suspend", "_selected_action": [voice.pk], "apply": "yes"}

    refused = admin_client.post("/admin/voices/voice/", {**chosen, "reason": "  "})
    voice.refresh_from_db()
    assert voice.moderation == "approved"
    assert "the owner will read it" in refused.content.decode()

    admin_client.post("/admin/voices/voice/", {**chosen, "reason": "A broadcast recording of someone else."})
    voice.refresh_from_db()
    assert voice.moderation == "suspended"
    assert voice.moderation_reason == "A broadcast recording of someone else."
    assert "admin moderation queue" not in voice.moderation_reason


def test_admin_moderation_queue_lists_waiting_voices(admin_client, user, make_voice):
    waiting = make_voice(user, "Waiting voice", visibility="PUBLIC")
    make_voice(user, "Approved voice")
    page = admin_client.get("/admin/voices/voice/?queue=waiting").content.decode()
    assert waiting.name in page and "Approved voice" not in page


def test_the_audit_log_records_every_change(api, user, make_voice):
    voice = make_voice(user, "Mine")
    api.patch(f"/v1/voices/{voice.id}", {"visibility": "PUBLIC"}, format="json")
    events = api.get(f"/v1/voices/{voice.id}/events").json()["data"]
    assert [e["action"] for e in events] == ["moderation", "visibility", "created"]
    assert events[1]["from"] == "PRIVATE" and events[1]["to"] == "PUBLIC" and events[1]["actor"] == "alice"
