"""The cloning job end to end on the real offline engine: steps, analysis, preview, similarity."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audio.codec import decode
from jobs.models import Job
from tests.conftest import TALK_LONG
from voices.models import Voice, VoiceEvent

pytestmark = pytest.mark.django_db


def clone(api, wav: bytes, **fields):
    return api.post(
        "/v1/voices/clone",
        {"name": "Narrator", "file": SimpleUploadedFile("take.wav", wav, "audio/wav"), **fields},
    )


def test_a_clone_runs_every_step_and_makes_an_available_voice(api, speech_wav, eager_jobs, monkeypatch):
    from jobs import runner

    steps = []
    original = runner.JobProgress._report

    def spy(self, name, fraction, *, force):
        steps.append(name)
        return original(self, name, fraction, force=force)

    monkeypatch.setattr(runner.JobProgress, "_report", spy)
    response = clone(api, speech_wav(), normalize_volume="true")
    assert response.status_code == HTTPStatus.ACCEPTED
    voice = Voice.objects.get(pk=response.json()["id"])
    assert voice.status == "AVAILABLE", voice.error
    assert list(dict.fromkeys(steps)) == [
        "decode", "detect speech", "clean up", "analyse", "prepare engine", "preview", "similarity",
        "language", "transcripts",
    ]  # fmt: skip

    body = api.get(f"/v1/voices/{voice.id}").json()
    analysis = body["analysis"]
    assert (
        12 < analysis["total_duration"] < 15 and 8 < analysis["speech_duration"] <= analysis["total_duration"]
    )
    assert analysis["quality"] in ("excellent", "good", "fair", "poor")
    assert analysis["language_detected"] == "en" and analysis["speaker_consistency"] == 1.0
    assert 0 <= body["similarity_score"] <= 1 and body["progress"]["percent"] == 100.0
    sample = body["samples"][0]
    assert sample["transcript"]  # Whisper filled it in

    preview = api.get(body["preview_url"])
    assert preview.status_code == HTTPStatus.OK
    audio = decode(b"".join(preview.streaming_content), target_rate=None)
    assert audio.sample_rate == 44100 and audio.duration > 2
    assert Job.objects.get(voice_id=voice.id).status == Job.Status.SUCCEEDED


def test_an_instant_clone_learns_from_30_s_of_a_long_sample_and_still_transcribes_all_of_it(
    api, speech_wav, eager_jobs, monkeypatch
):
    import limits
    from engines.offline import OfflineEngine
    from voices import cloning

    learned = []
    original = OfflineEngine.prepare

    def spy(self, references, **kwargs):
        learned.append(sum(len(r.samples) / r.sample_rate for r in references))
        return original(self, references, **kwargs)

    monkeypatch.setattr(OfflineEngine, "prepare", spy)
    ending = "At the very end, the purple giraffe counted seven lanterns by the harbour."
    text = " ".join([TALK_LONG, ending])
    voice_id = clone(api, speech_wav(text)).json()["id"]
    body = api.get(f"/v1/voices/{voice_id}").json()
    assert body["status"] == "AVAILABLE", body["error"]
    assert body["analysis"]["speech_duration"] > 40
    assert learned and learned[0] <= limits.INSTANT_LEARN_SECONDS + 0.1
    transcript = body["samples"][0]["transcript"].lower()
    assert "good morning" in transcript and "giraffe" in transcript  # the learned part and the rest
    assert cloning.CLONE_STEPS[-1][0] == "transcripts"


def test_a_failing_step_fails_the_voice_with_a_message_to_act_on(api, speech_wav, eager_jobs, monkeypatch):
    from engines import get_engine
    from errors import InvalidAudio

    def broken(*args, **kwargs):
        raise InvalidAudio("The recordings are too noisy to learn a voice from; record in a quieter room.")

    monkeypatch.setattr(get_engine("offline"), "prepare", broken)
    voice_id = clone(api, speech_wav()).json()["id"]
    body = api.get(f"/v1/voices/{voice_id}").json()
    assert body["status"] == "FAILED" and "quieter room" in body["error"]
    job = Job.objects.get(voice_id=voice_id)
    assert job.status == "FAILED" and job.error == body["error"]


def test_the_voice_is_available_before_its_preview_and_score_are_made(
    api, speech_wav, eager_jobs, monkeypatch
):
    from voices import cloning

    seen = {}
    original = cloning.voice_speak_preview

    def preview_step(prepared, *args, **kwargs):
        voice_id = Job.objects.get(kind="clone", status="RUNNING").voice_id
        seen.update(api.get(f"/v1/voices/{voice_id}").json())
        return original(prepared, *args, **kwargs)

    monkeypatch.setattr(cloning, "voice_speak_preview", preview_step)
    voice_id = clone(api, speech_wav()).json()["id"]

    # While the preview was being made, the voice was already usable, with its analysis...
    assert seen["status"] == "AVAILABLE" and seen["analysis"]["speech_duration"] > 8
    assert seen["similarity_score"] is None and seen["preview_url"] is None
    assert "language_detected" not in seen["analysis"]  # the language ID comes after, too
    # ... and the finished job added what describes it.
    body = api.get(f"/v1/voices/{voice_id}").json()
    assert body["status"] == "AVAILABLE" and 0 <= body["similarity_score"] <= 1 and body["preview_url"]
    assert body["analysis"]["language_detected"] == "en"
    statuses = [
        e.to_state for e in VoiceEvent.objects.filter(voice_ref=voice_id, action="status").order_by("id")
    ]
    assert statuses == ["PROCESSING", "AVAILABLE"]  # one AVAILABLE, when it became usable


def test_a_failing_preview_leaves_the_voice_usable_and_the_job_says_why(
    api, speech_wav, eager_jobs, monkeypatch
):
    from errors import InvalidInput
    from voices import cloning

    def broken(*args, **kwargs):
        raise InvalidInput("The preview text could not be said.")

    monkeypatch.setattr(cloning, "voice_speak_preview", broken)
    voice_id = clone(api, speech_wav()).json()["id"]

    body = api.get(f"/v1/voices/{voice_id}").json()
    assert body["status"] == "AVAILABLE" and body["error"] == ""
    assert body["similarity_score"] is None and body["preview_url"] is None
    job = Job.objects.get(voice_id=voice_id)
    assert job.status == "FAILED" and "preview text" in job.error


def test_wait_true_answers_when_the_voice_is_ready(api, speech_wav, eager_jobs):
    response = clone(api, speech_wav(), wait="true")
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["status"] == "AVAILABLE" and body["job"]["status"] == "SUCCEEDED"


def recorded(wav: bytes, noise: float = 0.0) -> bytes:
    """``wav`` as a microphone records it: a second of room before and after, and ``noise`` (RMS) over
    everything."""
    import numpy as np

    from audio.codec import encode

    speech = decode(wav, target_rate=None)
    room = np.zeros(speech.sample_rate, dtype=np.float32)
    audio = np.concatenate([room, speech.samples, room])
    audio += noise * np.random.default_rng(7).standard_normal(audio.size).astype(np.float32)
    return encode(audio, speech.sample_rate, fmt="wav")


@pytest.mark.slow  # two whole clones each (~10 s); tests/audio/test_processing.py covers the quick loop
def test_noise_removal_leaves_a_clean_recording_and_its_quality_as_they_were(api, speech_wav, eager_jobs):
    wav = recorded(speech_wav())

    plain = Voice.objects.get(pk=clone(api, wav).json()["id"])
    treated = Voice.objects.get(pk=clone(api, wav, remove_noise="true").json()["id"])

    assert "noise_removal" not in plain.analysis
    assert treated.analysis["noise_removal"] == "skipped: already clean"
    assert treated.analysis["snr_db"] == plain.analysis["snr_db"]
    assert treated.analysis["quality"] == plain.analysis["quality"]


@pytest.mark.slow  # two whole clones each (~10 s); tests/audio/test_processing.py covers the quick loop
def test_enhancing_a_noisy_recording_raises_its_snr(api, speech_wav, eager_jobs):
    wav = recorded(speech_wav(), noise=0.02)

    plain = Voice.objects.get(pk=clone(api, wav).json()["id"])
    treated = Voice.objects.get(pk=clone(api, wav, enhance_quality="true").json()["id"])

    assert treated.analysis["noise_removal"] == "applied"
    assert treated.analysis["snr_db"] > plain.analysis["snr_db"] + 5
