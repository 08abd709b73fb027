"""The ASGI gate answers oversized and unauthenticated bodies from the headers, before reading them."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from asgiref.testing import ApplicationCommunicator
from channels.db import database_sync_to_async

import limits
from studio.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

GIGABYTE = 1024**3


def http_scope(method: str, path: str, headers: dict[str, str]) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost"), *((k.encode(), v.encode()) for k, v in headers.items())],
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 80),
    }


async def response_of(communicator: ApplicationCommunicator) -> tuple[int, dict, dict]:
    start = await communicator.receive_output(timeout=10)
    assert start["type"] == "http.response.start", start
    body = b""
    while True:
        message = await communicator.receive_output(timeout=10)
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = {name.decode(): value.decode() for name, value in start["headers"]}
    return start["status"], headers, json.loads(body) if body else {}


async def answer_before_any_body(method: str, path: str, headers: dict[str, str]) -> tuple[int, dict, dict]:
    """Send only the request line and headers: an answer proves the body was never read."""
    communicator = ApplicationCommunicator(application, http_scope(method, path, headers))
    try:
        return await response_of(communicator)
    finally:
        await communicator.wait(timeout=5)


@pytest.fixture
async def key(user, api_key_for) -> str:
    return await database_sync_to_async(api_key_for)(user)


async def test_an_anonymous_gigabyte_is_refused_from_its_headers():
    status, headers, body = await answer_before_any_body(
        "POST", "/v1/voices/clone", {"content-length": str(GIGABYTE), "content-type": "audio/wav"}
    )

    assert status == HTTPStatus.UNAUTHORIZED and body["error"]["code"] == "not_authenticated"
    assert headers["www-authenticate"].startswith("Bearer")


async def test_an_invalid_key_is_refused_before_a_small_body_is_read():
    status, _, body = await answer_before_any_body(
        "POST", "/v1/speech", {"content-length": "100", "authorization": "Bearer not-a-key"}
    )

    assert status == HTTPStatus.UNAUTHORIZED and body["error"]["code"] == "not_authenticated"


async def test_a_json_body_over_the_route_limit_is_a_413_from_its_headers(key):
    declared = limits.JSON_BODY_MAX_BYTES + 1

    status, _, body = await answer_before_any_body(
        "POST", "/v1/speech", {"content-length": str(declared), "authorization": f"Bearer {key}"}
    )

    assert status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE and body["error"]["code"] == "too_large"


async def test_an_upload_route_takes_more_than_json_routes_but_not_a_gigabyte(key, settings):
    upload = {"authorization": f"Bearer {key}", "content-type": "audio/wav"}

    status, _, _ = await answer_before_any_body(
        "POST",
        "/v1/voices/clone",
        {**upload, "content-length": str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)},
    )

    assert status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE


async def test_an_anonymous_page_form_over_64_kb_is_refused():
    status, _, _ = await answer_before_any_body(
        "POST", "/login", {"content-length": str(limits.ANONYMOUS_BODY_MAX_BYTES + 1)}
    )

    assert status == HTTPStatus.UNAUTHORIZED


async def test_a_streamed_body_is_cut_off_at_the_limit(key):
    scope = http_scope(
        "POST", "/v1/speech", {"transfer-encoding": "chunked", "authorization": f"Bearer {key}"}
    )
    communicator = ApplicationCommunicator(application, scope)
    chunk = b" " * (1024 * 1024)
    for _ in range(limits.JSON_BODY_MAX_BYTES // len(chunk) + 1):
        await communicator.send_input({"type": "http.request", "body": chunk, "more_body": True})

    status, _, body = await response_of(communicator)

    assert status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE and body["error"]["code"] == "too_large"
    await communicator.wait(timeout=5)


async def test_a_valid_key_with_a_small_body_reaches_the_view(key):
    payload = json.dumps({"voice_id": "voice_missing", "text": "Hello"}).encode()
    scope = http_scope(
        "POST",
        "/v1/speech",
        {
            "content-length": str(len(payload)),
            "content-type": "application/json",
            "authorization": f"Bearer {key}",
        },
    )
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": payload, "more_body": False})

    status, _, body = await response_of(communicator)

    assert status == HTTPStatus.NOT_FOUND and body["error"]["field"] == "voice_id"
    await communicator.wait(timeout=5)


async def test_a_signed_in_browser_session_passes_the_gate(user):
    from django.test import Client

    client = Client()
    await database_sync_to_async(client.force_login)(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"

    scope = http_scope(
        "POST", "/v1/speech", {"content-length": "2", "content-type": "application/json", "cookie": cookie}
    )
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b"{}", "more_body": False})

    status, _, body = await response_of(communicator)

    # DRF's own checks answer (a session needs its CSRF token): the gate let the signed-in user through.
    assert status == HTTPStatus.FORBIDDEN and "CSRF" in body["error"]["message"]
    await communicator.wait(timeout=5)


async def test_a_forged_session_cookie_is_refused():
    status, _, _ = await answer_before_any_body(
        "POST", "/v1/speech", {"content-length": "10", "cookie": "sessionid=forged"}
    )

    assert status == HTTPStatus.UNAUTHORIZED
