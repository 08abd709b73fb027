from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from jobs import runner
from jobs.models import Job
from studio.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ORIGIN = (b"origin", b"http://localhost")


def connect(path: str, key: str | None) -> WebsocketCommunicator:
    headers = [ORIGIN, (b"host", b"localhost")]
    if key:
        headers.append((b"authorization", f"Bearer {key}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def test_owner_receives_snapshot_progress_and_final_event(user, api_key_for):
    key = await database_sync_to_async(api_key_for)(user)
    job = await database_sync_to_async(Job.objects.create)(
        kind="demo", owner=user, params={"seconds": 0.4, "chunks": 4}
    )
    communicator = connect(f"/ws/jobs/{job.id}/", key)
    connected, _ = await communicator.connect()
    assert connected
    snapshot = await communicator.receive_json_from()
    assert snapshot["event"] == "snapshot" and snapshot["job"]["status"] == "QUEUED"

    await database_sync_to_async(runner.job_run)(job.id)
    events = []
    while not events or events[-1]["event"] != "final":
        events.append(await communicator.receive_json_from(timeout=60))
    progress = [e["job"]["percent"] for e in events if e["event"] == "progress"]
    assert len(progress) >= 2 and progress == sorted(progress)
    assert {e["job"]["step"] for e in events} >= {"render", "measure"}
    assert events[-1]["job"]["status"] == "SUCCEEDED"
    await communicator.disconnect()


async def test_a_late_subscriber_gets_the_final_state_at_once(user, api_key_for):
    key = await database_sync_to_async(api_key_for)(user)
    job = await database_sync_to_async(Job.objects.create)(kind="demo", owner=user)
    await database_sync_to_async(runner.job_run)(job.id)
    communicator = connect(f"/ws/jobs/{job.id}/", key)
    assert (await communicator.connect())[0]
    assert (await communicator.receive_json_from())["event"] == "snapshot"
    final = await communicator.receive_json_from()
    assert final["event"] == "final" and final["job"]["status"] == "SUCCEEDED"
    await communicator.disconnect()


async def test_another_user_is_refused(user, other_user, api_key_for):
    key = await database_sync_to_async(api_key_for)(other_user)
    job = await database_sync_to_async(Job.objects.create)(kind="demo", owner=user)
    communicator = connect(f"/ws/jobs/{job.id}/", key)
    connected, code = await communicator.connect()
    assert not connected and code == 4404


async def test_an_anonymous_connection_is_refused(user):
    job = await database_sync_to_async(Job.objects.create)(kind="demo", owner=user)
    connected, code = await connect(f"/ws/jobs/{job.id}/", None).connect()
    assert not connected and code == 4401


async def test_voice_socket_sends_the_voice_snapshot_to_its_owner(user, api_key_for, make_voice):
    key = await database_sync_to_async(api_key_for)(user)
    voice = await database_sync_to_async(make_voice)(user, "Narrator")
    communicator = connect(f"/ws/voices/{voice.id}/", key)
    assert (await communicator.connect())[0]
    snapshot = await communicator.receive_json_from()
    assert (
        snapshot["event"] == "snapshot"
        and snapshot["voice"]["name"] == "Narrator"
        and snapshot["job"] is None
    )
    await communicator.disconnect()


async def test_a_signed_in_browser_connects_with_its_session_cookie(user):
    from django.test import Client

    client = Client()
    await database_sync_to_async(client.force_login)(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    job = await database_sync_to_async(Job.objects.create)(kind="demo", owner=user)
    communicator = WebsocketCommunicator(
        application, f"/ws/jobs/{job.id}/", headers=[ORIGIN, (b"host", b"localhost"), (b"cookie", cookie)]
    )
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from())["job"]["id"] == job.id
    await communicator.disconnect()


async def test_a_wrong_api_key_is_refused_as_unauthenticated(user):
    job = await database_sync_to_async(Job.objects.create)(kind="demo", owner=user)
    connected, code = await connect(f"/ws/jobs/{job.id}/", "vs_not-a-key").connect()
    assert not connected and code == 4401
