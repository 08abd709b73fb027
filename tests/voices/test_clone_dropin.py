"""POST /v1/voices/clone as the other voice APIs' clients call it: raw PCM in every ingest path, language
tags, vendor field names, refused engines and languages — all answered before anything is stored."""

from __future__ import annotations

import base64
from http import HTTPStatus

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audio.codec import decode
from voices.models import Voice

pytestmark = pytest.mark.django_db


def pcm(wav: bytes, rate: int, byte_order: str = "<i2") -> tuple[bytes, float]:
    decoded = decode(wav, target_rate=rate)
    return (np.clip(decoded.samples, -1, 1) * 32767).astype(byte_order).tobytes(), decoded.duration


def accepted(response) -> Voice:
    assert response.status_code == HTTPStatus.ACCEPTED, response.content
    return Voice.objects.get(pk=response.json()["id"])


def test_a_multipart_part_typed_audio_pcm_with_its_rate_is_read(api, speech_wav):
    data, duration = pcm(speech_wav(), 22050)
    upload = SimpleUploadedFile("take.pcm", data, content_type="audio/pcm;rate=22050")
    sample = accepted(api.post("/v1/voices/clone", {"name": "PCM part", "file": upload})).samples.get()
    assert sample.duration == pytest.approx(duration, abs=0.05)
    # Stored as WAV: the worker and a download read it without the request's content type.
    with sample.file.open("rb") as handle:
        stored = decode(handle.read(), target_rate=None)
    assert stored.format == "wav" and stored.sample_rate == 22050


def test_a_multipart_pcm_part_may_give_its_rate_as_a_field(api, speech_wav):
    data, duration = pcm(speech_wav(), 16000)
    upload = SimpleUploadedFile("take.raw", data, content_type="application/octet-stream")
    response = api.post("/v1/voices/clone", {"name": "PCM", "file": upload, "sampleRate": "16000"})
    assert accepted(response).samples.get().duration == pytest.approx(duration, abs=0.05)


@pytest.mark.parametrize(
    ("content_type", "byte_order"),
    [
        ("audio/pcm;rate=22050", "<i2"),
        ("audio/L16;rate=22050", ">i2"),  # RFC 2586: big-endian
        ("audio/pcm;rate=22050;endianness=big", ">i2"),
    ],
)
def test_a_raw_pcm_body_is_read_in_the_declared_byte_order(api, speech_wav, content_type, byte_order):
    data, duration = pcm(speech_wav(), 22050, byte_order)
    response = api.generic("POST", "/v1/voices/clone?name=Raw", data, content_type=content_type)
    sample = accepted(response).samples.get()
    with sample.file.open("rb") as handle:
        stored = decode(handle.read(), target_rate=16000)
    reference = decode(speech_wav(), target_rate=16000)
    assert stored.duration == pytest.approx(duration, abs=0.05)
    n = min(len(stored.samples), len(reference.samples))
    assert np.corrcoef(stored.samples[:n], reference.samples[:n])[0, 1] > 0.98  # not byte-swapped noise


def test_a_raw_pcm_body_without_a_rate_says_how_to_give_it(api, speech_wav):
    data, _ = pcm(speech_wav(), 22050)
    response = api.generic("POST", "/v1/voices/clone?name=Raw", data, content_type="audio/pcm")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "rate" in response.json()["error"]["message"]
    ok = api.generic("POST", "/v1/voices/clone?name=Raw&sample_rate=22050", data, content_type="audio/pcm")
    assert ok.status_code == HTTPStatus.ACCEPTED


def test_base64_pcm_with_a_rate_field_is_read(api, speech_wav):
    data, duration = pcm(speech_wav(), 24000)
    response = api.post(
        "/v1/voices/clone",
        {
            "name": "B64",
            "samples": [{"audioBase64": base64.b64encode(data).decode(), "sampleRate": 24000, "text": "hi"}],
        },
        format="json",
    )
    sample = accepted(response).samples.get()
    assert sample.duration == pytest.approx(duration, abs=0.05) and sample.transcript == "hi"


@pytest.mark.parametrize(("tag", "code"), [("en-US", "en"), ("EN", "en"), ("en_GB", "en")])
def test_region_and_case_forms_of_a_language_are_normalised(api, speech_wav, tag, code):
    upload = SimpleUploadedFile("a.wav", speech_wav(), content_type="audio/wav")
    voice = accepted(api.post("/v1/voices/clone", {"name": "x", "file": upload, "language": tag}))
    assert voice.language == code


@pytest.mark.parametrize("tag", ["zh-Hant", "zh-Hans", "ar"])
def test_a_language_the_engine_cannot_speak_is_refused_at_once(api, settings, speech_wav, tag):
    upload = SimpleUploadedFile("a.wav", speech_wav(), content_type="audio/wav")
    response = api.post("/v1/voices/clone", {"name": "x", "file": upload, "language": tag})
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    error = response.json()["error"]
    assert (
        error["field"] == "language" and error["code"] == "unsupported_language" and "en" in error["message"]
    )
    assert not Voice.objects.filter(type="cloned").exists()


def test_script_forms_of_chinese_are_chinese_for_an_engine_that_speaks_it(api, settings, speech_wav):
    settings.STUDIO_WORKER_ENGINES = ["xtts"]  # GPU workers elsewhere: trusted, not checked here
    for tag in ("zh-Hant", "zh-Hans"):
        upload = SimpleUploadedFile("a.wav", speech_wav(), content_type="audio/wav")
        voice = accepted(
            api.post("/v1/voices/clone", {"name": tag, "file": upload, "language": tag, "engine": "xtts"})
        )
        assert voice.language == "zh"


def test_an_engine_this_studio_cannot_run_is_refused_at_once(api, settings, speech_wav):
    settings.STUDIO_XTTS_DIR = ""
    upload = SimpleUploadedFile("a.wav", speech_wav(), content_type="audio/wav")
    response = api.post("/v1/voices/clone", {"name": "x", "file": upload, "engine": "xtts"})
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert response.json()["error"]["code"] == "engine_unavailable"
    assert not Voice.objects.filter(type="cloned").exists()


def test_comma_separated_languages_are_split_and_a_whole_code_filter_finds_them(api, settings, speech_wav):
    settings.STUDIO_WORKER_ENGINES = ["xtts"]
    upload = SimpleUploadedFile("a.wav", speech_wav(), content_type="audio/wav")
    voice = accepted(
        api.post(
            "/v1/voices/clone", {"name": "Arabic", "file": upload, "engine": "xtts", "languages": "ar,en-US"}
        )
    )
    assert voice.languages == ["ar", "en"]
    listed = api.get("/v1/voices?language=ar").json()
    assert [v["id"] for v in listed["data"]] == [voice.id], listed
    assert api.get("/v1/voices?language=arb").json()["data"] == []  # a whole code, not a prefix
    assert [v["id"] for v in api.get("/v1/voices?language=AR-eg").json()["data"]] == [voice.id]
    assert api.get("/v1/voices?language=a").json()["error"]["field"] == "language"


def test_vendor_field_names_reach_our_fields(api, speech_wav):
    upload = SimpleUploadedFile("a.wav", speech_wav(), content_type="audio/wav")
    response = api.post(
        "/v1/voices/clone",
        {
            "title": "Vendor", "desc": "Described", "lang": "en-GB", "voice_visibility": "PUBLIC",
            "stability": "0.8", "model": "offline", "removeNoise": "true", "audio_file": upload,
        },
    )  # fmt: skip
    voice = accepted(response)
    assert (voice.name, voice.description, voice.language) == ("Vendor", "Described", "en")
    assert voice.visibility == "PUBLIC" and voice.stability == 0.8 and voice.engine == "offline"
    assert voice.training_options["remove_noise"] is True
    body = response.json()
    assert body["voice_id"] == body["id"] and body["stability"] == 0.8


def test_camel_case_fields_and_a_training_options_object_in_json(api, speech_wav):
    encoded = base64.b64encode(speech_wav()).decode()
    response = api.post(
        "/v1/voices/clone",
        {"voiceName": "Camel", "audioBase64": encoded, "trainingOptions": {"enhanceQuality": True}},
        format="json",
    )
    voice = accepted(response)
    assert voice.name == "Camel" and voice.training_options["enhance_quality"] is True


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"colour": "blue"}, "colour"),
        ({"outputFormat": "mp3"}, "outputFormat"),
        ({"sampleRat": "1"}, "sampleRat"),
    ],
)
def test_an_unknown_field_is_refused_and_named(api, speech_wav, fields, field):
    upload = SimpleUploadedFile("a.wav", speech_wav(), content_type="audio/wav")
    response = api.post("/v1/voices/clone", {"name": "x", "file": upload, **fields})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert (
        response.json()["error"]["field"] == field and "Unknown field" in response.json()["error"]["message"]
    )


def test_a_field_given_under_two_names_is_refused(api, speech_wav):
    upload = SimpleUploadedFile("a.wav", speech_wav(), content_type="audio/wav")
    response = api.post("/v1/voices/clone", {"name": "x", "voiceName": "y", "file": upload})
    assert response.status_code == HTTPStatus.BAD_REQUEST and response.json()["error"]["field"] == "name"


def test_patch_takes_aliases_lists_and_stability(api, user, make_voice):
    voice = make_voice(user, "Old")
    response = api.patch(
        f"/v1/voices/{voice.id}", {"title": "New", "voice_visibility": "public", "stability": 0.3, "dialects": "en-US,en-GB"},
        format="json",
    )  # fmt: skip
    assert response.status_code == HTTPStatus.OK, response.content
    voice.refresh_from_db()
    assert (voice.name, voice.visibility, voice.stability, voice.dialects) == (
        "New",
        "PUBLIC",
        0.3,
        ["en-US", "en-GB"],
    )


def test_urls_in_answers_are_absolute_and_honour_a_trusted_proxy(api, user, make_voice, settings):
    voice = make_voice(user)
    Voice.objects.filter(pk=voice.pk).update(preview="voices/x/preview.mp3")
    direct = api.get(f"/v1/voices/{voice.id}").json()
    assert direct["preview_url"] == f"http://testserver/v1/voices/{voice.id}/preview"
    settings.USE_X_FORWARDED_HOST = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ALLOWED_HOSTS = ["*"]
    proxied = api.get(
        f"/v1/voices/{voice.id}", HTTP_X_FORWARDED_HOST="voices.example.com", HTTP_X_FORWARDED_PROTO="https"
    )
    assert proxied.json()["preview_url"] == f"https://voices.example.com/v1/voices/{voice.id}/preview"


def test_unknown_api_paths_answer_json_404(api, client):
    for path in ("/v1/nothing", "/v1/voices/x/y/z", "/v1/"):
        response = api.get(path)
        assert response.status_code == HTTPStatus.NOT_FOUND and response["Content-Type"] == "application/json"
        assert response.json()["error"]["code"] == "not_found"
    assert client.post("/v1/nope").json()["error"]["code"] == "not_found"  # no key needed to learn that


def test_engines_are_listed_with_their_languages(api, settings):
    settings.STUDIO_XTTS_DIR = ""
    engines = {row["name"]: row for row in api.get("/v1/engines").json()["data"]}
    assert engines["offline"]["available"] is True and engines["offline"]["languages"] == [
        "en",
        "es",
        "it",
        "pt",
    ]
    assert engines["xtts"]["available"] is False and "zh" in engines["xtts"]["languages"]
