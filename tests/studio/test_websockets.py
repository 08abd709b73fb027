"""Who may open a websocket: API-key clients without ``Origin``; browsers only from our own hosts."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from jobs.models import Job
from studio.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

HOST = (b"host", b"localhost")


async def open_socket(path: str, *headers: tuple[bytes, bytes]) -> tuple[bool, int | None]:
    communicator = WebsocketCommunicator(application, path, headers=[HOST, *headers])
    connected, code = await communicator.connect()
    if connected:
        await communicator.disconnect()
    return connected, code


@pytest.fixture
async def job_and_key(user, api_key_for):
    key = await database_sync_to_async(api_key_for)(user)
    job = await database_sync_to_async(Job.objects.create)(kind="demo", owner=user)
    return job, key


async def test_a_key_authenticated_client_needs_no_origin(job_and_key):
    job, key = job_and_key

    connected, _ = await open_socket(f"/ws/jobs/{job.id}/", (b"authorization", f"Bearer {key}".encode()))

    assert connected


async def test_a_key_in_the_query_string_works_without_origin_too(job_and_key):
    job, key = job_and_key

    assert (await open_socket(f"/ws/jobs/{job.id}/?api_key={key}"))[0]


async def test_a_browser_from_another_site_is_refused_even_with_a_key(job_and_key):
    job, key = job_and_key

    connected, _ = await open_socket(
        f"/ws/jobs/{job.id}/?api_key={key}", (b"origin", b"https://evil.example")
    )

    assert not connected


async def test_a_client_with_neither_key_nor_origin_is_refused(job_and_key):
    job, _ = job_and_key

    assert not (await open_socket(f"/ws/jobs/{job.id}/"))[0]


async def test_an_invalid_key_without_origin_is_refused(job_and_key):
    job, _ = job_and_key

    assert not (await open_socket(f"/ws/jobs/{job.id}/", (b"authorization", b"Bearer nope")))[0]


@pytest.mark.parametrize("path", ["/ws/nothing/", "/ws/", "/favicon.ico", "/ws/jobs/"])
async def test_an_unknown_path_is_closed_not_crashed(path):
    # Anonymous, with a proper Origin: it used to be a 500 with a traceback (no route matched).
    connected, code = await open_socket(path, (b"origin", b"http://localhost"))

    assert not connected and code == 4404
