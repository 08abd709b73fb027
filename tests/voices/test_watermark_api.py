from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audio.codec import decode, encode

pytestmark = pytest.mark.django_db


def detect(api, data: bytes, name: str = "clip.mp3"):
    return api.post(
        "/v1/watermark/detect", {"file": SimpleUploadedFile(name, data, content_type="audio/mpeg")}
    )


def test_generated_speech_is_detected_even_after_mp3_at_64_kbps(api, eager_jobs):
    response = api.post(
        "/v1/speech",
        {
            "voice_id": "voice_builtin_joe",
            "text": "Every clip the studio makes carries a watermark.",
            "output_format": "wav",
        },
        format="json",
        HTTP_ACCEPT="audio/wav",
    )
    assert response.status_code == HTTPStatus.OK
    result = detect(api, response.content, "speech.wav").json()
    assert result["watermarked"] is True and result["confidence"] >= 0.9
    audio = decode(response.content, target_rate=None)
    mp3 = encode(audio.samples, audio.sample_rate, fmt="mp3", bitrate=64000)
    assert detect(api, mp3).json()["confidence"] >= 0.9


def test_a_human_recording_is_not_detected(api, speech_wav):
    result = detect(api, speech_wav(), "reference.wav").json()
    assert result["watermarked"] is False and result["confidence"] <= 0.1


def test_detect_refuses_garbage_with_a_clear_error(api):
    response = detect(api, b"garbage" * 10)
    assert (
        response.status_code == HTTPStatus.BAD_REQUEST and response.json()["error"]["code"] == "invalid_audio"
    )


def test_detect_refuses_internal_urls(api):
    response = api.post("/v1/watermark/detect", {"audio_url": "http://169.254.169.254/x.wav"}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST and response.json()["error"]["field"] == "audio_url"
