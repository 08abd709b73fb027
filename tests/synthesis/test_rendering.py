"""The speech worker re-checks the voice before every clip: a batch stops as soon as its voice may no
longer speak (consent revoked, voice suspended), keeping what it made before."""

from __future__ import annotations

import pytest

from jobs.models import Job
from synthesis.models import Speech
from voices.models import Voice
from voices.services.consent import consent_revoke
from voices.services.moderation import voice_moderate

pytestmark = pytest.mark.django_db

TEXTS = [{"text": f"This is line number {n} of the batch."} for n in range(1, 6)]


@pytest.fixture
def speaking_voice(make_voice, user) -> Voice:
    """A cloned voice that may speak (consent verified); with no profile stored, the offline engine
    speaks it with its base voice, which is all these tests need."""
    voice = make_voice(user, "Narrator")
    Voice.objects.filter(pk=voice.pk).update(
        status=Voice.Status.AVAILABLE, verification=Voice.Verification.VERIFIED
    )
    voice.refresh_from_db()
    return voice


@pytest.fixture
def on_second_clip(monkeypatch):
    """``on_second_clip(change)``: run ``change()`` while the engine renders the batch's second clip."""
    from engines import get_engine

    engine = get_engine("offline")
    original = engine.synthesize
    calls = []

    def install(change):
        def synthesize(*args, **kwargs):
            calls.append(1)
            if len(calls) == 2:
                change()
            return original(*args, **kwargs)

        monkeypatch.setattr(engine, "synthesize", synthesize)

    return install


def run_batch(api, voice: Voice) -> Job:
    response = api.post("/v1/speech/batch", {"voice_id": voice.id, "texts": TEXTS}, format="json")
    assert response.status_code == 202, response.content
    return Job.objects.get(pk=response.json()["batch_id"])


def test_revoking_consent_stops_a_running_batch(api, user, speaking_voice, eager_jobs, on_second_clip):
    on_second_clip(lambda: consent_revoke(voice=speaking_voice, actor=user))

    job = run_batch(api, speaking_voice)

    assert job.status == Job.Status.FAILED and "revoked the consent" in job.error
    assert Speech.objects.filter(job=job).count() == 1  # the first clip; none after the revocation


def test_suspending_a_voice_stops_a_running_batch(api, speaking_voice, eager_jobs, on_second_clip, make_user):
    moderator = make_user("mod", is_staff=True)
    on_second_clip(
        lambda: voice_moderate(voice=speaking_voice, actor=moderator, action="suspend", reason="Reported.")
    )

    job = run_batch(api, speaking_voice)

    assert job.status == Job.Status.FAILED and "suspended by a moderator (Reported.)" in job.error
    assert Speech.objects.filter(job=job).count() == 1
