"""The client: ``Client(base_url, api_key)`` with ``voices`` and ``tts``."""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import httpx

from .errors import JobFailedError, TimeoutError, error_for
from .models import Audio, Consent, Page, Preview, Voice

AudioInput = str | Path | bytes | IO[bytes]
ProgressCallback = Callable[[dict[str, Any]], None]
FINAL = ("SUCCEEDED", "FAILED")


class Client:
    """``Client("http://127.0.0.1:8000", api_key="vs_...")``. ``timeout`` is per HTTP request;
    waiting for a job (``wait=True``) polls every ``poll_interval`` seconds up to ``wait_timeout``."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 120.0,
        poll_interval: float = 0.5,
        wait_timeout: float = 900.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": "voice-studio-client/0.1"},
            timeout=timeout,
            transport=transport,
            trust_env=False,
        )
        self.poll_interval, self.wait_timeout = poll_interval, wait_timeout
        self.voices = Voices(self)
        self.tts = TTS(self)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing -----------------------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise error_for(response.status_code, _json_or_text(response))
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.request(method, path, **kwargs).json()

    def job_wait(self, job: dict[str, Any], on_progress: ProgressCallback | None = None) -> dict[str, Any]:
        """Poll ``GET /v1/jobs/{id}`` until the job is final; ``on_progress(job)`` hears every change."""
        deadline = time.monotonic() + self.wait_timeout
        seen: tuple[Any, ...] | None = None
        while True:
            state = (job.get("status"), job.get("step"), job.get("percent"))
            if on_progress is not None and state != seen:
                on_progress(job)
            seen = state
            if job.get("status") in FINAL:
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(0, "timeout", f"Job {job['id']} is still {job.get('status')}.", None, job)
            time.sleep(self.poll_interval)
            job = self.json("GET", f"/v1/jobs/{job['id']}")


class Voices:
    def __init__(self, client: Client) -> None:
        self._client = client

    def list(self, **filters: Any) -> Page[Voice]:
        """``language``, ``type``, ``owner``, ``visibility``, ``status``, ``search``, ``limit``, ``offset``."""
        body = self._client.json(
            "GET", "/v1/voices", params={k: v for k, v in filters.items() if v is not None}
        )
        return Page([Voice.from_api(v) for v in body["data"]], body["total"], body["limit"], body["offset"],
                    body["next_offset"])  # fmt: skip

    def get(self, voice_id: str) -> Voice:
        return Voice.from_api(self._client.json("GET", f"/v1/voices/{voice_id}"))

    def update(self, voice_id: str, **fields: Any) -> Voice:
        """name, description, visibility, metadata, language(s), dialects, gender, age, stability..."""
        return Voice.from_api(self._client.json("PATCH", f"/v1/voices/{voice_id}", json=fields))

    def delete(self, voice_id: str) -> None:
        self._client.json("DELETE", f"/v1/voices/{voice_id}")

    def clone(
        self,
        *,
        name: str,
        file: AudioInput | None = None,
        files: list[AudioInput] | None = None,
        audio_url: str | None = None,
        preview_id: str | None = None,
        wait: bool = True,
        on_progress: ProgressCallback | None = None,
        **fields: Any,
    ) -> Voice:
        """Clone from files (paths, bytes or open files), an ``audio_url``, or save a preview
        (``preview_id``). With ``wait`` the call returns once the clone job has ended, the voice
        AVAILABLE with its preview and similarity score (or raises ``JobFailedError``), reporting each
        progress change to ``on_progress(job)``. A voice that became AVAILABLE before its job failed
        (making the preview, say) is returned: it can speak, without a preview or score."""
        uploads = ([file] if file is not None else []) + list(files or [])
        if uploads:
            form = {key: _form_value(value) for key, value in {"name": name, **fields}.items()}
            body = self._client.json(
                "POST", "/v1/voices/clone", data=form, files=[("files", _upload(item)) for item in uploads]
            )
        else:
            payload = {"name": name, **fields}
            if audio_url is not None:
                payload["audio_url"] = audio_url
            if preview_id is not None:
                payload["preview_id"] = preview_id
            body = self._client.json("POST", "/v1/voices/clone", json=payload)
        job = body.get("job")
        if not wait or job is None:
            return Voice.from_api(body)
        job = self._client.job_wait(job, on_progress)
        voice = self.get(body["id"])
        if job["status"] == "FAILED" and voice.status != "AVAILABLE":
            raise JobFailedError(200, "clone_failed", job.get("error") or voice.error, None, voice.raw)
        return voice

    def preview(self, *, text: str, file: AudioInput | None = None, audio_url: str | None = None,
                stability: float = 0.5, **fields: Any) -> Preview:  # fmt: skip
        """Hear a voice before keeping it: ``clone(name=..., preview_id=preview.id)`` saves it."""
        if file is not None:
            form = {
                key: _form_value(v) for key, v in {"text": text, "stability": stability, **fields}.items()
            }
            body = self._client.json("POST", "/v1/voices/preview", data=form, files=[("file", _upload(file))])
        else:
            payload = {"text": text, "stability": stability, "audio_url": audio_url, **fields}
            body = self._client.json("POST", "/v1/voices/preview", json=payload)
        if body.get("job") and body["job"]["status"] not in FINAL:
            self._client.job_wait(body["job"])
            body = self._client.json("GET", f"/v1/voices/previews/{body['id']}")
        preview = Preview.from_api(body)
        if preview.status == "FAILED":
            raise JobFailedError(200, "preview_failed", preview.error, None, body)
        return preview

    def consent(
        self,
        voice_id: str,
        *,
        file: AudioInput | None = None,
        speaker_name: str | None = None,
        license: str | None = None,  # noqa: A002 - the API's name
        wait: bool = True,
    ) -> Consent:
        """Without ``file``: the phrase the speaker must record (a fresh one-time code). With ``file``:
        upload that recording; with ``wait``, return once it is checked (``verification`` says how)."""
        if file is None:
            params = {k: v for k, v in {"speaker_name": speaker_name, "license": license}.items() if v}
            return Consent.from_api(self._client.json("GET", f"/v1/voices/{voice_id}/consent", params=params))
        body = self._client.json("POST", f"/v1/voices/{voice_id}/consent", files=[("file", _upload(file))])
        if wait:
            job = self._client.job_wait(body["job"])
            voice = self.get(voice_id)
            body = {
                **body,
                "verification": voice.verification,
                "last_check": job.get("result") or job.get("error"),
            }
        return Consent.from_api(body)

    def revoke_consent(self, voice_id: str) -> Voice:
        return Voice.from_api(self._client.json("DELETE", f"/v1/voices/{voice_id}/consent"))


class TTS:
    def __init__(self, client: Client) -> None:
        self._client = client

    def generate(self, *, voice_id: str, text: str, **options: Any) -> Audio:
        """Speech as audio bytes (``output_format`` mp3, wav, flac, ogg, opus, aac or pcm; ``sample_rate``,
        ``emotion``, ``speed``, ``pitch``, ``stability``, ``similarity_boost``, ``language``)."""
        payload = {"voice_id": voice_id, "text": text, **options}
        response = self._client.request("POST", "/v1/speech", json=payload, headers={"Accept": "audio/*"})
        if response.status_code == 202:  # still rendering after the server's wait: poll, then download
            job = self._client.job_wait(response.json())
            if job["status"] == "FAILED":
                raise JobFailedError(200, "generation_failed", job.get("error") or "", None, job)
            speech_id = job["result"]["speech_id"]
            response = self._client.request("GET", f"/v1/speech/{speech_id}/audio")
        else:
            speech_id = response.headers.get("X-Speech-Id")
        content_type = response.headers.get("Content-Type", "")
        return Audio(response.content, options.get("output_format", "mp3"), content_type, speech_id)

    def stream(
        self, *, voice_id: str, text: str, chunk_size: int | None = None, **options: Any
    ) -> Iterator[bytes]:
        """Audio bytes as the server makes them, sentence by sentence (``output_format`` mp3, wav, pcm)."""
        payload = {"voice_id": voice_id, "text": text, **options}
        with self._client._http.stream("POST", "/v1/speech/stream", json=payload, timeout=None) as response:
            if response.status_code >= 400 or response.status_code == 202:
                response.read()
                if response.status_code == 202:
                    raise TimeoutError(
                        202, "not_started", "No worker started the stream in time.", None, response.json()
                    )
                raise error_for(response.status_code, _json_or_text(response))
            yield from response.iter_bytes(chunk_size)


def _json_or_text(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def _form_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    if isinstance(value, dict):
        import json

        return json.dumps(value)
    return str(value)


def _upload(item: AudioInput) -> tuple[str, Any, str]:
    if isinstance(item, str | Path):
        path = Path(item)
        return path.name, path.read_bytes(), mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if isinstance(item, bytes | bytearray):
        return "audio", bytes(item), "application/octet-stream"
    name = Path(getattr(item, "name", "audio")).name
    return name, item.read(), mimetypes.guess_type(name)[0] or "application/octet-stream"
