"""The API as the clients people switch from call it, against a live embedded studio: the official
``openai`` package, streaming over HTTP and websocket, the repository's Python client, and each seed
vendor's calls translated only through the alias table (studio/aliases.py)."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile

from audio.codec import decode, sniff_format
from bench import servers

pytestmark = pytest.mark.slow

JOE = "voice_builtin_joe"
SENTENCES = "The first sentence is short. The second one follows it. And here is the third."


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("dropin")
    running = servers.studio_embedded_start(servers.embedded_env(root / "data"), root / "logs")
    yield running
    running.kill()


@pytest.fixture(scope="module")
def key(studio) -> str:
    return servers.api_key_create(studio.env, "switcher")


@pytest.fixture(scope="module")
def http(studio, key):
    with httpx.Client(
        base_url=studio.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=300, trust_env=False
    ) as client:
        yield client


@pytest.fixture(scope="module")
def take(speech_wav) -> bytes:
    return speech_wav()


def consent_recorded(studio, voice_id: str) -> None:
    """Stands in for the speaker's consent recording (proved in tests/voices/test_consent_api.py), so
    the vendor flows below can speak with the voices they clone."""
    with closing(sqlite3.connect(Path(studio.env["STUDIO_DATA_DIR"]) / "studio.sqlite3", timeout=20)) as db:
        db.execute("UPDATE voices_voice SET verification = 'verified' WHERE id = ?", [voice_id])
        db.commit()


# --- The official openai package ------------------------------------------------------------------


@pytest.fixture(scope="module")
def openai_client(studio, key):
    import openai

    return openai.OpenAI(base_url=f"{studio.base_url}/v1", api_key=key, timeout=300, max_retries=0)


@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac", "flac", "wav", "pcm"])
def test_the_openai_package_gets_every_response_format(openai_client, fmt):
    response = openai_client.audio.speech.create(
        model="tts-1", voice=JOE, input="Hello from the OpenAI package.", response_format=fmt
    )
    data = response.content
    if fmt == "pcm":  # raw 16-bit little-endian mono at 24 kHz, as OpenAI documents
        audio = decode(data, content_type="audio/pcm;rate=24000", target_rate=None)
        assert audio.sample_rate == 24000 and 1.0 < audio.duration < 5.0
    elif fmt == "opus":
        info = soundfile.info(io.BytesIO(data))
        assert (info.format, info.subtype) == ("OGG", "OPUS") and 1.0 < info.duration < 5.0
    else:
        assert sniff_format(data) == fmt
        assert 1.0 < decode(data, target_rate=None).duration < 5.2


def test_the_openai_package_streams_the_response(openai_client):
    with openai_client.audio.speech.with_streaming_response.create(
        model="gpt-4o-mini-tts", voice={"id": JOE}, input=SENTENCES, response_format="mp3"
    ) as response:
        chunks = list(response.iter_bytes())
    assert sniff_format(b"".join(chunks)) == "mp3"
    assert decode(b"".join(chunks), target_rate=None).duration > 3


def test_the_openai_package_streams_audio_as_it_is_made(openai_client):
    with openai_client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="alloy", input=SENTENCES, response_format="pcm", stream_format="audio"
    ) as response:
        data = b"".join(response.iter_bytes())
    audio = decode(data, content_type="audio/pcm;rate=24000", target_rate=None)
    assert audio.duration > 3 and np.sqrt(np.mean(audio.samples**2)) > 0.01


def test_the_openai_package_hears_which_formats_there_are(openai_client):
    import openai

    with pytest.raises(openai.BadRequestError) as refused:
        openai_client.audio.speech.create(model="tts-1", voice=JOE, input="x", response_format="aiff")
    assert "mp3, opus, aac, flac, wav, pcm" in str(refused.value)


# --- Streaming ------------------------------------------------------------------------------------


def test_speech_streams_over_http_sentence_by_sentence(http):
    arrivals, chunks = [], []
    started = time.monotonic()
    with http.stream(
        "POST", "/v1/speech/stream", json={"voice_id": JOE, "text": SENTENCES, "output_format": "wav"}
    ) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"] == "audio/wav"
        for chunk in response.iter_raw():
            arrivals.append(time.monotonic() - started)
            chunks.append(chunk)
    audio = decode(b"".join(chunks), target_rate=None)
    assert audio.format == "wav" and audio.duration > 3
    assert len(chunks) >= 3 and arrivals[0] < arrivals[-1]  # audio came before the text was all spoken


def test_a_refused_stream_is_a_json_error(http):
    response = http.post("/v1/speech/stream", json={"voice_id": JOE, "text": "x", "output_format": "flac"})
    assert response.status_code == 400 and response.json()["error"]["field"] == "output_format"


def test_speech_streams_over_a_websocket(studio, key):
    from websockets.asyncio.client import connect
    from websockets.typing import Origin

    async def talk() -> tuple[list[bytes], dict, dict]:
        async with connect(
            f"ws://127.0.0.1:{studio.port}/ws/speech/",
            additional_headers={"Authorization": f"Bearer {key}"},
            origin=Origin(studio.base_url),
            proxy=None,
        ) as websocket:
            await websocket.send(json.dumps({"voiceId": JOE, "text": "x", "outputFormat": "flac"}))
            refused = json.loads(await websocket.recv())
            await websocket.send(json.dumps({"voiceId": JOE, "text": SENTENCES, "outputFormat": "mp3"}))
            audio: list[bytes] = []
            async with asyncio.timeout(300):
                while True:
                    message = await websocket.recv()
                    if isinstance(message, bytes):
                        audio.append(message)
                    else:
                        return audio, json.loads(message), refused

    audio, final, refused = asyncio.run(talk())
    assert refused["event"] == "error" and refused["error"]["field"] == "output_format"
    assert final["event"] == "final" and final["chunks"] == len(audio) >= 3
    assert decode(b"".join(audio), target_rate=None).duration == pytest.approx(final["duration"], abs=0.2)


# --- The repository's Python client ---------------------------------------------------------------


def test_the_python_client_clones_lists_updates_speaks_streams_and_deletes(studio, key, take, tmp_path):
    import voice_studio

    client = voice_studio.Client(studio.base_url, api_key=key)
    heard: list[dict] = []
    sample = tmp_path / "take.wav"
    sample.write_bytes(take)
    voice = client.voices.clone(
        name="Client voice", file=sample, wait=True, on_progress=heard.append, language="en-US"
    )
    assert voice.status == "AVAILABLE" and voice.language == "en" and voice.similarity_score is not None
    assert heard[-1]["status"] == "SUCCEEDED" and len({job["step"] for job in heard}) >= 2
    assert voice.id in [v.id for v in client.voices.list(type="cloned").data]
    assert client.voices.update(voice.id, description="Updated").raw["description"] == "Updated"
    phrase = client.voices.consent(voice.id, speaker_name="Sam").phrase
    assert phrase and "Sam" in phrase

    with pytest.raises(voice_studio.PermissionDeniedError) as refused:  # no consent recorded yet
        client.tts.generate(voice_id=voice.id, text="Not yet.")
    assert refused.value.code == "consent_required" and refused.value.field == "voice_id"
    consent_recorded(studio, voice.id)
    saved = client.tts.generate(
        voice_id=voice.id, text="Hello from the client, in a whole sentence.", output_format="wav"
    ).save(tmp_path / "hello.wav")
    assert decode(saved.read_bytes(), target_rate=None).duration > 1
    streamed = b"".join(client.tts.stream(voice_id=voice.id, text=SENTENCES, output_format="mp3"))
    assert decode(streamed, target_rate=None).duration > 3

    client.voices.delete(voice.id)
    with pytest.raises(voice_studio.NotFoundError) as missing:
        client.voices.get(voice.id)
    assert missing.value.status == 404 and missing.value.code == "not_found"
    with pytest.raises(voice_studio.ValidationError) as invalid:
        client.voices.clone(name="x", file=b"not audio at all" * 100)
    assert invalid.value.code == "invalid_audio" and invalid.value.field == "samples[0]"


def test_the_python_client_previews_then_saves(studio, key, take):
    import voice_studio

    client = voice_studio.Client(studio.base_url, api_key=key)
    preview = client.voices.preview(file=take, text="Would you keep this voice?", stability=0.8)
    assert preview.status == "AVAILABLE" and preview.audio_url.startswith("http://127.0.0.1")
    voice = client.voices.clone(name="Kept", preview_id=preview.id, description="saved from a preview")
    assert voice.status == "AVAILABLE" and voice.stability == 0.8


# --- Each seed vendor's calls, through the alias table --------------------------------------------


def test_tensorone_style_camel_case_calls(http, studio, take):
    """voiceName, qualityTier, trainingOptions, audioBase64; voiceId, outputFormat, sampleRate; batchId."""
    created = http.post(
        "/v1/voices/clone",
        json={
            "voiceName": "Tensor", "qualityTier": "instant", "audioBase64": base64.b64encode(take).decode(),
            "trainingOptions": {"removeNoise": True, "normalizeVolume": True}, "wait": True,
        },
    )  # fmt: skip
    assert created.status_code == 200, created.text
    voice = created.json()
    assert voice["voice_id"] == voice["id"] and voice["status"] == "AVAILABLE"
    consent_recorded(studio, voice["id"])
    speech = http.post(
        "/v1/speech",
        json={
            "voiceId": voice["id"],
            "text": "Camel case speaks.",
            "outputFormat": "flac",
            "sampleRate": 48000,
        },
    )
    assert speech.status_code == 200, speech.text
    assert (speech.json()["format"], speech.json()["sample_rate"]) == ("flac", 48000)
    assert decode(http.get(speech.json()["audio_url"]).content, target_rate=None).sample_rate == 48000
    batch = http.post(
        "/v1/speech/batch",
        json={"voiceId": voice["id"], "items": [{"text": "One."}, {"text": "Two."}], "outputFormat": "mp3"},
    ).json()
    deadline = time.monotonic() + 300
    while http.get(f"/v1/speech/batch/{batch['batch_id']}").json()["job"]["status"] != "SUCCEEDED":
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert http.get("/v1/speech", params={"batchId": batch["batch_id"]}).json()["total"] == 2


def test_visibility_title_desc_lang_style_calls(http, take):
    """voice_visibility, title, desc, lang; comma-separated dialects; DELETE answers JSON."""
    created = http.post(
        "/v1/voices/clone",
        data={"title": "Titled", "desc": "Described", "lang": "en-US", "voice_visibility": "PUBLIC",
              "dialects": "en-US,en-GB"},
        files={"audio_file": ("take.wav", take, "audio/wav")},
    )  # fmt: skip
    assert created.status_code == 202, created.text
    voice = created.json()
    assert (voice["name"], voice["description"], voice["language"]) == ("Titled", "Described", "en")
    assert voice["visibility"] == "PUBLIC" and voice["dialects"] == ["en-US", "en-GB"]
    assert voice["job"]["status"] in ("QUEUED", "RUNNING")
    assert (
        http.get("/v1/voices", params={"language": "en-GB", "voice_visibility": "public"}).json()["total"]
        >= 1
    )
    assert http.delete(f"/v1/voices/{voice['id']}").json() == {
        "id": voice["id"],
        "voice_id": voice["id"],
        "deleted": True,
    }
    assert http.get("/v1/no/such/path").json()["error"]["code"] == "not_found"


def test_raw_pcm_upload_as_voice_ai_documents_it(http, take):
    samples = decode(take, target_rate=22050).samples
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    created = http.post(
        "/v1/voices/clone",
        data={"name": "PCM"},
        files={"file": ("take.pcm", pcm, "audio/pcm;rate=22050")},
    )
    assert created.status_code == 202, created.text
    sample = created.json()["samples"][0]
    assert sample["format"] == "wav" and sample["duration"] == pytest.approx(len(samples) / 22050, abs=0.05)
    assert sample["audio_url"].startswith("http://127.0.0.1")
