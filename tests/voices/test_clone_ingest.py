"""POST /v1/voices/clone: every way audio comes in, and every way it is refused (nothing stored)."""

from __future__ import annotations

import base64
import io
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audio.codec import decode, encode
from jobs.models import Job
from voices.models import Voice, VoiceSample

pytestmark = pytest.mark.django_db


def upload(data: bytes, name: str = "sample.wav", content_type: str = "audio/wav") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def reencode(wav: bytes, fmt: str) -> bytes:
    decoded = decode(wav, target_rate=None)
    return encode(decoded.samples, decoded.sample_rate, fmt=fmt)


def webm_opus(wav: bytes) -> bytes:
    """What Chrome's MediaRecorder sends: Opus in WebM, 48 kHz."""
    import av

    decoded = decode(wav, target_rate=48000)
    out = io.BytesIO()
    with av.open(out, "w", format="webm") as container:
        stream = container.add_stream("libopus", rate=48000, layout="mono")
        frame = av.AudioFrame.from_ndarray(decoded.samples[None, :], format="flt", layout="mono")
        frame.sample_rate = 48000
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def assert_nothing_stored(settings) -> None:
    assert not Voice.objects.filter(type="cloned").exists()
    assert not VoiceSample.objects.exists() and not Job.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def assert_accepted(response, *, samples: int = 1) -> Voice:
    assert response.status_code == HTTPStatus.ACCEPTED, response.content
    body = response.json()
    assert body["status"] == "PENDING" and body["job"]["status"] == "QUEUED"
    assert response["Location"] == f"http://testserver/v1/voices/{body['id']}"
    voice = Voice.objects.get(pk=body["id"])
    assert voice.samples.count() == samples
    assert Job.objects.get(voice_id=voice.id).kind == "clone"
    return voice


@pytest.mark.parametrize("fmt", ["wav", "mp3", "flac", "ogg", "webm"])
def test_multipart_accepts_each_format_detected_from_the_bytes(api, speech_wav, fmt):
    data = webm_opus(speech_wav()) if fmt == "webm" else reencode(speech_wav(), fmt)
    # The name and the declared type lie; the bytes decide.
    response = api.post(
        "/v1/voices/clone",
        {"name": "Narrator", "file": upload(data, "recording.bin", "application/octet-stream")},
    )
    voice = assert_accepted(response)
    sample = voice.samples.get()
    assert sample.format == fmt and 12 < sample.duration < 15 and sample.speech_duration > 10


def test_multipart_takes_several_files_with_transcripts_emotions_and_metadata(api, speech_wav):
    response = api.post(
        "/v1/voices/clone",
        {
            "name": "Two takes",
            "files": [upload(speech_wav(), "a.wav"), upload(speech_wav(voice="en-us+m3"), "b.wav")],
            "transcripts": ["first take", "second take"],
            "emotions": ["happy", "calm"],
            "language": "en",
            "visibility": "PUBLIC",
            "tier": "instant",
            "gender": "male",
            "remove_noise": "true",
            "description": "Two takes of the same text",
        },
    )
    voice = assert_accepted(response, samples=2)
    assert [(s.transcript, s.emotion) for s in voice.samples.all()] == [
        ("first take", "happy"),
        ("second take", "calm"),
    ]
    assert voice.visibility == "PUBLIC" and voice.gender == "male"
    assert voice.training_options["remove_noise"] is True


def test_json_accepts_base64_samples(api, speech_wav):
    encoded = base64.b64encode(reencode(speech_wav(), "flac")).decode()
    response = api.post(
        "/v1/voices/clone",
        {
            "name": "From JSON",
            "samples": [{"audio_base64": encoded, "transcript": "hello", "emotion": "sad"}],
        },
        format="json",
    )
    sample = assert_accepted(response).samples.get()
    assert (sample.format, sample.transcript, sample.emotion) == ("flac", "hello", "sad")


def test_raw_body_with_metadata_in_the_query(api, speech_wav):
    response = api.generic(
        "POST",
        "/v1/voices/clone?name=Raw%20voice&language=en",
        reencode(speech_wav(), "mp3"),
        content_type="audio/mpeg",
    )
    assert assert_accepted(response).name == "Raw voice"


def test_raw_pcm_l16_body(api, speech_wav):
    decoded = decode(speech_wav(), target_rate=16000)
    pcm = (np.clip(decoded.samples, -1, 1) * 32767).astype(">i2").tobytes()
    response = api.generic("POST", "/v1/voices/clone?name=PCM", pcm, content_type="audio/L16;rate=16000")
    assert assert_accepted(response).samples.get().duration == pytest.approx(decoded.duration, abs=0.05)


@pytest.fixture
def audio_server(speech_wav):
    """A local HTTP server: /speech.wav, /redirect-to-loopback (to 127.0.0.1), /missing."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/speech.wav":
                body = speech_wav()
                self.send_response(200)
                self.send_header("Content-Type", "audio/wav")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif self.path == "/redirect-to-loopback":
                self.send_response(302)
                self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/speech.wav")
                self.end_headers()
            else:
                self.send_response(404)
                self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{server.server_port}"
    server.shutdown()


def test_json_audio_url_is_fetched_from_an_allowed_host(api, settings, audio_server):
    settings.STUDIO_FETCH_ALLOWED_HOSTS = ["localhost"]
    response = api.post(
        "/v1/voices/clone", {"name": "From URL", "audio_url": f"{audio_server}/speech.wav"}, format="json"
    )
    assert assert_accepted(response).samples.get().format == "wav"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/speech.wav",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/speech.wav",
        "http://10.0.0.1/speech.wav",
        "file:///etc/passwd",
        "ftp://example.com/a.wav",
    ],
)
def test_audio_url_refuses_internal_addresses_and_other_schemes(api, settings, url):
    response = api.post("/v1/voices/clone", {"name": "SSRF", "audio_url": url}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert response.json()["error"]["field"] == "audio_url"
    assert_nothing_stored(settings)


def test_audio_url_refuses_a_redirect_to_loopback(api, settings, audio_server):
    settings.STUDIO_FETCH_ALLOWED_HOSTS = ["localhost"]
    response = api.post(
        "/v1/voices/clone",
        {"name": "SSRF", "audio_url": f"{audio_server}/redirect-to-loopback"},
        format="json",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert (
        "127.0.0.1" in response.json()["error"]["message"] or "address" in response.json()["error"]["message"]
    )
    assert_nothing_stored(settings)


def test_audio_url_reports_a_missing_file(api, settings, audio_server):
    settings.STUDIO_FETCH_ALLOWED_HOSTS = ["localhost"]
    response = api.post(
        "/v1/voices/clone", {"name": "404", "audio_url": f"{audio_server}/missing"}, format="json"
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST and "404" in response.json()["error"]["message"]


def silence_wav(seconds: float) -> bytes:
    return encode(np.zeros(int(16000 * seconds), dtype=np.float32), 16000, fmt="wav")


@pytest.mark.parametrize(
    ("make", "status", "code", "words"),
    [
        (lambda wav: b"", HTTPStatus.BAD_REQUEST, "invalid_audio", "empty"),
        (lambda wav: b"this is not audio at all" * 50, HTTPStatus.BAD_REQUEST, "invalid_audio", "not audio"),
        (lambda wav: wav[: len(wav) // 40], HTTPStatus.BAD_REQUEST, "too_short", "speech"),
        (lambda wav: silence_wav(20), HTTPStatus.BAD_REQUEST, "invalid_audio", "No speech"),
        (lambda wav: wav[:44] + bytes(range(256)) * 100, HTTPStatus.BAD_REQUEST, None, ""),
    ],
    ids=["empty", "not-audio", "too-short", "silence", "corrupt-wav"],
)
def test_bad_audio_is_refused_with_a_clear_error_and_nothing_stored(
    api, settings, speech_wav, make, status, code, words
):
    response = api.post("/v1/voices/clone", {"name": "Bad", "file": upload(make(speech_wav()))})
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["message"] and (code is None or error["code"] == code)
    assert words.lower() in error["message"].lower()
    assert_nothing_stored(settings)


def test_a_too_short_recording_says_how_much_speech_is_needed(api, settings, speech_wav):
    short = speech_wav("Hello there, this is short.")
    response = api.post("/v1/voices/clone", {"name": "Short", "file": upload(short)})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    message = response.json()["error"]["message"]
    assert "s of speech found" in message and "at least 10 s" in message
    assert_nothing_stored(settings)


def test_an_oversized_file_is_refused_with_413(api, settings, speech_wav):
    settings.STUDIO_MAX_UPLOAD_BYTES = 100_000
    response = api.post("/v1/voices/clone", {"name": "Big", "file": upload(speech_wav())})
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert "limit" in response.json()["error"]["message"]
    assert_nothing_stored(settings)


def test_too_many_files_are_refused(api, settings, speech_wav):
    settings.STUDIO_MAX_SAMPLES = 2
    files = [upload(speech_wav(), f"{i}.wav") for i in range(3)]
    response = api.post("/v1/voices/clone", {"name": "Many", "files": files})
    assert (
        response.status_code == HTTPStatus.BAD_REQUEST and "at most 2" in response.json()["error"]["message"]
    )
    assert_nothing_stored(settings)


def test_a_file_and_a_url_together_are_refused(api, settings, speech_wav):
    response = api.post(
        "/v1/voices/clone",
        {"name": "Both", "file": upload(speech_wav()), "audio_url": "https://example.com/a.wav"},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST and response.json()["error"]["field"] == "audio_url"
    assert_nothing_stored(settings)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x", "tier": "gold"}, "tier"),
        ({"name": "x", "emotions": ["furious"]}, "emotions"),
    ],
)
def test_bad_fields_are_refused_with_the_field_named(api, settings, speech_wav, fields, field):
    response = api.post("/v1/voices/clone", {**fields, "file": upload(speech_wav())})
    assert response.status_code == HTTPStatus.BAD_REQUEST and response.json()["error"]["field"] == field
    assert_nothing_stored(settings)


def test_an_unsupported_content_type_is_refused(api):
    response = api.generic("POST", "/v1/voices/clone?name=x", b"hello", content_type="text/plain")
    assert response.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_bad_base64_is_refused(api, settings):
    response = api.post(
        "/v1/voices/clone", {"name": "x", "samples": [{"audio_base64": "@@@"}]}, format="json"
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["field"] == "samples[0].audio_base64"
    assert_nothing_stored(settings)
