"""``python manage.py studio`` end to end: one process serving HTTP and websockets with a worker thread,
driven over real sockets the way a user's scripts and browser drive it."""

from __future__ import annotations

import asyncio
import http.cookiejar
import re
import signal
import sqlite3
import urllib.parse
import urllib.request
from collections.abc import Callable
from contextlib import closing
from http import HTTPStatus
from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus

from bench import servers

pytestmark = pytest.mark.slow


def job_wait(studio: servers.Studio, key: str, job_id: str, condition: Callable[[dict], bool]) -> dict:
    """Poll the API until the job satisfies ``condition``; return it."""

    def check() -> dict | None:
        job = servers.job_fetch(studio, key, job_id)
        return job if condition(job) else None

    return servers.wait_for(check, timeout=180, interval=0.1, message=f"job {job_id} never got there")


def job_row(env: dict[str, str], job_id: str) -> sqlite3.Row:
    with closing(sqlite3.connect(Path(env["STUDIO_DATA_DIR"]) / "studio.sqlite3")) as db:
        db.row_factory = sqlite3.Row
        return db.execute("SELECT * FROM synthesis_job WHERE id = ?", [job_id]).fetchone()


def child_processes(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if parent == pid:
            children.append(int(stat.parent.name))
    return children


def admin_login(studio: servers.Studio, username: str, password: str) -> str:
    """Log in to the admin as a browser does; the HTML of the page it lands on."""
    cookies = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(cookies)
    )
    login_url = f"{studio.base_url}/admin/login/?next=/admin/"
    form = browser.open(login_url, timeout=60).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token is not None
    body = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token[1], "next": "/admin/"}
    )
    return browser.open(login_url, data=body.encode(), timeout=60).read().decode()


def test_embedded_studio_streams_progress_and_finishes_the_running_job_on_sigterm(
    start_embedded_studio, embedded_env
) -> None:
    studio = start_embedded_studio(embedded_env)
    key = servers.api_key_create(embedded_env, "alice")
    job = servers.demo_job_create(studio, key, seconds=1, chunks=5, pace=0.2)

    events = asyncio.run(servers.job_watch(studio, key, job["id"]))

    assert events[0].event == "snapshot" and events[0].job["id"] == job["id"]
    progress = [event.job["percent"] for event in events if event.event == "progress"]
    assert len(progress) >= 2 and progress == sorted(progress) and progress[-1] > progress[0]
    final = events[-1]
    assert final.event == "final" and final.job["status"] == "SUCCEEDED"
    assert final.job["result"]["duration"] == pytest.approx(1.0)
    assert final.job["result"]["peak_hz"] == pytest.approx(220, abs=2)

    # Long enough (10 chunks of 1 s) to be still running when the signal lands, however busy the machine.
    running = servers.demo_job_create(studio, key, seconds=1, chunks=10, pace=1.0)
    job_wait(studio, key, running["id"], lambda now: now["status"] == "RUNNING" and now["percent"] > 0)
    assert studio.web.stop(timeout=180) == 0
    row = job_row(embedded_env, running["id"])
    assert row["status"] == "SUCCEEDED" and row["percent"] == 100
    assert "finishing the running task" in studio.web.output()


def test_first_start_prints_the_generated_admin_password(first_run_studio) -> None:
    printed = re.search(
        r"Created the admin account: username admin, password (\S+)", first_run_studio.web.output()
    )

    assert printed is not None
    assert "Site administration" in admin_login(first_run_studio, "admin", printed[1])
    assert "Site administration" not in admin_login(first_run_studio, "admin", printed[1] + "x")


def test_the_embedded_studio_is_one_process(first_run_studio) -> None:
    # Worker and beat are threads: a crash or a kill leaves nothing running behind it (a forked beat did,
    # and published its tasks to a memory:// broker no worker read).
    assert child_processes(first_run_studio.web.popen.pid) == []


def test_another_users_key_is_refused_on_the_job_websocket(first_run_studio) -> None:
    owner_key = servers.api_key_create(first_run_studio.env, "owner")
    other_key = servers.api_key_create(first_run_studio.env, "mallory")
    job = servers.demo_job_create(first_run_studio, owner_key, seconds=0.1, chunks=1)

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(servers.job_watch(first_run_studio, other_key, job["id"], timeout=60))

    assert refused.value.response.status_code == HTTPStatus.FORBIDDEN
    events = asyncio.run(servers.job_watch(first_run_studio, owner_key, job["id"], timeout=180))
    assert events[-1].event == "final" and events[-1].job["status"] == "SUCCEEDED"


def test_a_job_left_running_by_a_killed_studio_completes_on_the_next_start(
    start_embedded_studio, embedded_env
) -> None:
    studio = start_embedded_studio(embedded_env)
    key = servers.api_key_create(embedded_env, "alice")
    job = servers.demo_job_create(studio, key, seconds=1, chunks=5, pace=0.3)
    job_wait(studio, key, job["id"], lambda now: now["status"] == "RUNNING" and now["percent"] > 0)

    studio.web.stop(signal.SIGKILL)
    assert job_row(embedded_env, job["id"])["status"] == "RUNNING"
    restarted = start_embedded_studio(embedded_env)

    assert "Re-enqueued 1 unfinished job(s)." in restarted.web.output()
    events = asyncio.run(servers.job_watch(restarted, key, job["id"]))
    assert events[-1].event == "final" and events[-1].job["status"] == "SUCCEEDED"
    assert job_row(embedded_env, job["id"])["attempts"] == 2
