"""Hostile input against a live studio (``manage.py studio``): decode bombs stay within a stated memory
bound, bodies are refused before they are read, waiting clients are answered at shutdown, API-key
websockets need no Origin, and a batch stops at the first clip after its voice may no longer speak."""

from __future__ import annotations

import asyncio
import io
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path

import numpy as np
import pytest
import soundfile
from websockets.asyncio.client import connect

from bench import servers

pytestmark = pytest.mark.slow

# What one upload may add to the server's peak memory, above the studio warmed up (the aim).
REQUEST_MEMORY_BOUND_MB = 300


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Studio]:
    root = tmp_path_factory.mktemp("hostile")
    studio = servers.studio_embedded_start(servers.embedded_env(root / "data"), root / "logs")
    yield studio
    studio.kill()


@pytest.fixture(scope="module")
def key(studio: servers.Studio) -> str:
    return servers.api_key_create(studio.env, "alice")


def silent_flac(rate: int, seconds: int) -> bytes:
    buffer = io.BytesIO()
    with soundfile.SoundFile(
        buffer, "w", samplerate=rate, channels=1, format="FLAC", subtype="PCM_16"
    ) as out:
        block = np.zeros(rate * 10, dtype=np.int16)
        for _ in range(seconds // 10):
            out.write(block)
    return buffer.getvalue()


def post_bytes(
    studio: servers.Studio, key: str, path: str, data: bytes, content_type: str
) -> tuple[int, dict]:
    request = urllib.request.Request(
        studio.base_url + path,
        data=data,
        method="POST",
        headers={"Authorization": f"Bearer {key}", "Content-Type": content_type},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=600) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def memory_mb(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) // 1024
    return fields


def peak_above_now(pid: int, call) -> tuple[int, object]:
    """Run ``call()`` and return how far the process's peak memory rose above its memory before (MB)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets the peak (VmHWM) to the current RSS
    before = memory_mb(pid)["VmRSS"]
    result = call()
    return memory_mb(pid)["VmHWM"] - before, result


BOMBS = {
    # name: (path, bytes, what the answer must say)
    "30 min at 384 kHz to clone": (
        "/v1/voices/clone?name=bomb",
        lambda: silent_flac(384000, 1790),
        "384000 Hz",
    ),
    "30 min at 96 kHz to watermark detection": (
        "/v1/watermark/detect",
        lambda: silent_flac(96000, 1790),
        "too long",
    ),
    "30 min at 192 kHz to clone": (
        "/v1/voices/clone?name=bomb",
        lambda: silent_flac(192000, 1790),
        "No speech",
    ),
    "5 min at 96 kHz to watermark detection": ("/v1/watermark/detect", lambda: silent_flac(96000, 290), None),
}


def test_decode_bombs_stay_within_the_memory_bound(studio, key, record_property) -> None:
    pid = studio.web.popen.pid
    # Warm up what every upload loads once (the VAD and watermark models), so the peaks measure requests.
    for path in ("/v1/voices/clone?name=warm", "/v1/watermark/detect"):
        post_bytes(studio, key, path, silent_flac(16000, 10), "audio/flac")

    for name, (path, make, says) in BOMBS.items():
        data = make()
        peak, (status, body) = peak_above_now(
            pid, lambda path=path, data=data: post_bytes(studio, key, path, data, "audio/flac")
        )
        record_property(name, f"{len(data) / 1e6:.2f} MB upload: {status}, peak +{peak} MB")
        print(f"{name}: {len(data) / 1e6:.2f} MB -> {status}, peak +{peak} MB")
        assert status < 500, body
        if says is not None:
            assert status == HTTPStatus.BAD_REQUEST and says in body["error"]["message"], body
        assert peak < REQUEST_MEMORY_BOUND_MB, name


def raw_request_answer(studio: servers.Studio, head: str, body: str = "") -> tuple[float, str]:
    """Send a request line, headers and ``body`` (none: the declared body is never sent); the answer and
    how long it took."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", studio.port), timeout=30) as sock:
        sock.sendall(f"{head}Connection: close\r\n\r\n{body}".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return time.monotonic() - started, answer.decode()


def test_a_gigabyte_is_refused_from_its_headers_without_being_read(studio, key) -> None:
    pid = studio.web.popen.pid
    rss_before = memory_mb(pid)["VmRSS"]
    gigabyte = 1024**3

    anonymous = raw_request_answer(
        studio,
        f"POST /v1/voices/clone HTTP/1.1\r\nHost: x\r\nContent-Type: audio/wav\r\nContent-Length: {gigabyte}\r\n",
    )
    keyed = raw_request_answer(
        studio,
        f"POST /v1/voices/clone HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: audio/wav\r\nContent-Length: {gigabyte}\r\n",
    )

    assert anonymous[1].startswith("HTTP/1.1 401") and '"not_authenticated"' in anonymous[1]
    assert keyed[1].startswith("HTTP/1.1 413") and '"too_large"' in keyed[1]
    assert anonymous[0] < 5 and keyed[0] < 5
    assert memory_mb(pid)["VmRSS"] - rss_before < 20


def test_a_key_authenticated_websocket_needs_no_origin(studio, key) -> None:
    job = servers.demo_job_create(studio, key, seconds=0.1, chunks=1)

    async def watch() -> list[dict]:
        events = []
        # No origin: what the README's example (and any non-browser client) does.
        async with connect(
            f"ws://127.0.0.1:{studio.port}/ws/jobs/{job['id']}/",
            additional_headers={"Authorization": f"Bearer {key}"},
            proxy=None,
        ) as websocket:
            async for raw in websocket:
                events.append(json.loads(raw))
                if events[-1]["event"] == "final":
                    break
        return events

    events = asyncio.run(asyncio.wait_for(watch(), 120))

    assert events[0]["event"] == "snapshot" and events[-1]["job"]["status"] == "SUCCEEDED"


def test_shutdown_answers_a_client_waiting_for_its_speech(start_embedded_studio, embedded_env) -> None:
    studio = start_embedded_studio(embedded_env)
    key = servers.api_key_create(embedded_env, "alice")
    _, voices = servers.api_call(studio, key, "GET", "/v1/voices?owner=built-in")
    busy = servers.demo_job_create(studio, key, seconds=1, chunks=15, pace=1.0)  # holds the only worker
    answers: list[tuple[int, dict]] = []

    def wait_for_speech() -> None:
        body = {"voice_id": voices["data"][0]["id"], "text": "Are you still there?"}
        answers.append(servers.api_call(studio, key, "POST", "/v1/speech", body, timeout=120))

    client = threading.Thread(target=wait_for_speech)
    client.start()
    servers.wait_for(
        lambda: servers.job_fetch(studio, key, busy["id"])["status"] == "RUNNING", timeout=60, message="busy"
    )
    time.sleep(1.0)  # the speech request is in, waiting behind the busy job

    assert studio.web.stop(timeout=180) == 0
    client.join(30)

    assert answers, "the waiting client got no answer"
    status, body = answers[0]
    assert status == HTTPStatus.ACCEPTED and body["kind"] == "speech" and body["status"] == "QUEUED"


# --- H2: consent revoked (or the voice suspended) while a batch speaks -----------------------------

BATCH = [{"text": f"This is sentence number {n} of a long batch."} for n in range(1, 31)]


def speaking_voice(studio: servers.Studio, name: str) -> str:
    """A cloned voice of alice's that may speak (consent verified; the engine speaks its base voice)."""
    code = (
        "from django.contrib.auth import get_user_model\n"
        "from voices.models import Voice\n"
        "from voices.services.voice import voice_create\n"
        "owner = get_user_model().objects.get(username='alice')\n"
        f"voice = voice_create(owner=owner, name={name!r})\n"
        "Voice.objects.filter(pk=voice.pk).update(status='AVAILABLE', verification='verified')\n"
        "print(voice.id)\n"
    )
    return servers.manage(studio.env, "shell", "-c", code).stdout.strip().splitlines()[-1]


def run_batch_and_interrupt(studio: servers.Studio, key: str, voice_id: str, interrupt) -> tuple[dict, int]:
    status, body = servers.api_call(
        studio, key, "POST", "/v1/speech/batch", {"voice_id": voice_id, "texts": BATCH}
    )
    assert status == HTTPStatus.ACCEPTED, body
    batch = body["batch_id"]

    def clips() -> int:
        return len(servers.api_call(studio, key, "GET", f"/v1/speech/batch/{batch}")[1]["files"])

    servers.wait_for(lambda: clips() >= 1, timeout=180, message="the batch never made its first clip")
    interrupt()
    # Counted once the change is committed (a `manage.py shell` takes seconds to start on a busy
    # machine, and the batch rightly goes on speaking until then).
    made_before = clips()
    final = servers.wait_for(
        lambda: (job := servers.job_fetch(studio, key, batch))["status"] in ("SUCCEEDED", "FAILED") and job,
        timeout=180,
        message="the batch never stopped",
    )
    return final, clips() - made_before


def test_a_batch_stops_at_the_next_clip_once_consent_is_revoked(studio, key) -> None:
    voice_id = speaking_voice(studio, "Narrator")

    def revoke() -> None:
        status, body = servers.api_call(studio, key, "DELETE", f"/v1/voices/{voice_id}/consent")
        assert status == HTTPStatus.OK and body["verification"] == "revoked", body

    final, spoken_after = run_batch_and_interrupt(studio, key, voice_id, revoke)

    assert final["status"] == "FAILED" and "revoked the consent" in final["error"]
    assert spoken_after <= 1  # at most the clip that was being stored while the change was committed


def test_a_batch_stops_at_the_next_clip_once_a_moderator_suspends_the_voice(studio, key) -> None:
    voice_id = speaking_voice(studio, "Announcer")
    code = (
        "from django.contrib.auth import get_user_model\n"
        "from voices.models import Voice\n"
        "from voices.services.moderation import voice_moderate\n"
        "moderator = get_user_model().objects.get(username='admin')\n"
        f"voice_moderate(voice=Voice.objects.get(pk={voice_id!r}), actor=moderator, action='suspend', reason='Reported.')\n"
    )

    final, spoken_after = run_batch_and_interrupt(
        studio, key, voice_id, lambda: servers.manage(studio.env, "shell", "-c", code)
    )

    assert final["status"] == "FAILED" and "suspended by a moderator (Reported.)" in final["error"]
    assert spoken_after <= 1


# --- M3: one user's flood does not starve another --------------------------------------------------


def test_a_flooding_user_delays_another_by_about_one_job(studio) -> None:
    from bench.fairness import fairness_run

    result = fairness_run(
        studio,
        servers.api_key_create(studio.env, "flooder"),
        servers.api_key_create(studio.env, "patient"),
        flood=10,
        other=4,
        job_seconds=1.0,
        every=3.0,
    )
    print(f"fairness: {result}")

    # First come, first served would make the first job wait for the whole flood (~10 jobs).
    assert result["p95"] < 2.5 * result["job_run"] < result["fifo_first_wait"] / 3


def test_a_malformed_multipart_body_gets_the_json_error_shape(studio, key) -> None:
    # Twisted used to parse multipart bodies itself and answer a bare "400 Bad Request" with no body.
    body = "--XX--\r\n"
    _, answer = raw_request_answer(
        studio,
        f"POST /v1/watermark/detect HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: multipart/form-data; boundary=XX\r\nContent-Length: {len(body)}\r\n",
        body,
    )

    assert (
        answer.startswith("HTTP/1.1 400") and "application/json" in answer and '{"error": {"code"' in answer
    )
