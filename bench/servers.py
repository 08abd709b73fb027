"""Run the studio as an operator does, and talk to it as a client does.

Embedded: ``python manage.py studio``. Distributed: ``manage.py migrate``, a Celery worker and daphne,
on PostgreSQL and Redis. Every server is a subprocess on a free port of 127.0.0.1 with its output in a
log file; clients use the HTTP API and a real websocket. Shared by the end-to-end tests (tests/e2e)
and ``bench/progress_latency.py``.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from websockets.asyncio.client import connect
from websockets.typing import Origin

REPO_ROOT = Path(__file__).resolve().parent.parent
# Variables that pick the mode or configure the distributed one: a fresh environment starts without them.
MODE_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "SECRET_KEY",
    "DEBUG",
    "STUDIO_STORAGE",
    "STUDIO_TASKS_EAGER",
    "STUDIO_ADMIN_PASSWORD",
)
START_TIMEOUT = 90.0
T = TypeVar("T")

# Loopback only: never route through a proxy the environment may name.
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], T], *, timeout: float, message: str, interval: float = 0.05) -> T:
    """Return the first truthy value of ``condition()``; raise TimeoutError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{message} (waited {timeout:.0f} s)")
        time.sleep(interval)


# --- Environments ---------------------------------------------------------------------------------


def embedded_env(data_dir: Path, *, admin_password: str | None = "e2e-admin-password") -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in MODE_VARIABLES}
    env.update(STUDIO_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", DJANGO_SETTINGS_MODULE="studio.settings")
    if admin_password is not None:
        env["STUDIO_ADMIN_PASSWORD"] = admin_password
    return env


def distributed_env(data_dir: Path, *, database_url: str, redis_url: str) -> dict[str, str]:
    env = embedded_env(data_dir, admin_password=None)
    env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, SECRET_KEY=secrets.token_urlsafe(40))
    return env


def postgres_database_create(server_url: str, prefix: str) -> str:
    """Create an empty database ``<prefix>_<random>`` on the server and return its URL."""
    import psycopg

    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


def postgres_database_drop(database_url: str) -> None:
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        # FORCE: a server killed in a test may leave its connections behind for a moment.
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redis_database_flush(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.flushdb()
    finally:
        client.close()


# --- Processes ------------------------------------------------------------------------------------


@dataclass
class Process:
    """A server subprocess whose stdout and stderr go to ``log_path``."""

    name: str
    popen: subprocess.Popen
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: signal.Signals = signal.SIGTERM, *, timeout: float = 30.0) -> int:
        """Send ``sig`` and return the exit code; SIGKILL and raise if it outlives ``timeout``."""
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise TimeoutError(
                f"{self.name} did not exit {timeout:.0f} s after {sig.name}:\n{self.output()}"
            ) from None

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait()


def process_start(name: str, args: list[str], env: dict[str, str], log_dir: Path) -> Process:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with log_path.open("ab") as log:
        popen = subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return Process(name, popen, log_path)


def manage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    if check and done.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}"
        )
    return done


def api_key_create(env: dict[str, str], username: str) -> str:
    """A new API key for ``username`` (created if needed): the last line ``create_api_key`` prints."""
    return manage(env, "create_api_key", username).stdout.strip().splitlines()[-1]


# --- The studio -----------------------------------------------------------------------------------


@dataclass
class Studio:
    """A running studio: ``web`` serves HTTP and websockets; ``worker`` is separate in distributed mode."""

    port: int
    env: dict[str, str]
    web: Process
    worker: Process | None = None

    @property
    def processes(self) -> list[Process]:
        return [self.web] if self.worker is None else [self.web, self.worker]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        for process in self.processes:
            process.kill()

    def stop(self, *, timeout: float = 30.0) -> dict[str, int]:
        """SIGTERM every process (web first); their exit codes by name."""
        return {process.name: process.stop(timeout=timeout) for process in self.processes}


def _answers_http(port: int) -> bool:
    try:
        _http.open(f"http://127.0.0.1:{port}/", timeout=2).close()
    except urllib.error.HTTPError:
        return True  # Any HTTP answer (a 404 here) means it serves.
    except OSError:
        return False
    return True


def wait_until_serving(process: Process, port: int, *, timeout: float = START_TIMEOUT) -> None:
    def serving() -> bool:
        if process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited {process.popen.returncode}:\n{process.output()}")
        return _answers_http(port)

    wait_for(serving, timeout=timeout, message=f"{process.name} did not answer HTTP on port {port}")


def studio_embedded_start(env: dict[str, str], log_dir: Path, *, port: int | None = None) -> Studio:
    port = port or free_port()
    web = process_start(
        f"studio-{port}", [sys.executable, "manage.py", "studio", "--port", str(port)], env, log_dir
    )
    studio = Studio(port, env, web)
    try:
        wait_until_serving(web, port)
    except BaseException:
        studio.kill()
        raise
    return studio


def studio_distributed_start(env: dict[str, str], log_dir: Path, *, port: int | None = None) -> Studio:
    """Migrate, then start a Celery worker (queues cpu and gpu) and daphne."""
    port = port or free_port()
    manage(env, "migrate", "--no-input", "-v", "0")
    worker = process_start(
        f"worker-{port}",
        [
            *(sys.executable, "-m", "celery", "-A", "studio", "worker"),
            *("-Q", "cpu,gpu", "-c", "1", "--pool", "solo", "-n", f"bench-{port}@%h"),
            *("--without-mingle", "--without-gossip", "--loglevel", "WARNING"),
        ],
        env,
        log_dir,
    )
    web = process_start(
        f"daphne-{port}",
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "studio.asgi:application"],
        env,
        log_dir,
    )
    studio = Studio(port, env, web, worker)
    try:
        wait_until_serving(web, port)
    except BaseException:
        studio.kill()
        raise
    return studio


# --- Clients --------------------------------------------------------------------------------------


def api_call(
    studio: Studio, key: str, method: str, path: str, body: dict | None = None, *, timeout: float = 30
) -> tuple[int, Any]:
    request = urllib.request.Request(
        studio.base_url + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    try:
        with _http.open(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def demo_job_create(studio: Studio, key: str, **params: float) -> dict:
    status, body = api_call(studio, key, "POST", "/v1/jobs/demo", params)
    if status != 202:
        raise RuntimeError(f"POST /v1/jobs/demo answered {status}: {body}")
    return body


def job_fetch(studio: Studio, key: str, job_id: str) -> dict:
    status, body = api_call(studio, key, "GET", f"/v1/jobs/{job_id}")
    if status != 200:
        raise RuntimeError(f"GET /v1/jobs/{job_id} answered {status}: {body}")
    return body


@dataclass
class JobEvent:
    event: str
    job: dict
    sent_at: float | None  # when the worker published it (time.time()); snapshots have none
    received_at: float


async def job_watch(studio: Studio, key: str, job_id: str, *, timeout: float = 180.0) -> list[JobEvent]:
    """Every message of ``/ws/jobs/<id>/`` until the final event (or until the server closes)."""
    events: list[JobEvent] = []
    async with asyncio.timeout(timeout):
        async with connect(
            f"ws://127.0.0.1:{studio.port}/ws/jobs/{job_id}/",
            additional_headers={"Authorization": f"Bearer {key}"},
            origin=Origin(studio.base_url),  # AllowedHostsOriginValidator refuses sockets without one
            proxy=None,
        ) as websocket:
            async for raw in websocket:
                received_at = time.time()
                message = json.loads(raw)
                events.append(JobEvent(message["event"], message["job"], message.get("sent_at"), received_at))
                if message["event"] == "final":
                    break
    return events
