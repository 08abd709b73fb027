"""``python manage.py studio``: the whole studio in one process.

Migrates, makes sure an admin exists, re-enqueues work a previous run left behind, then serves HTTP and
websockets with daphne while a Celery worker runs in a thread of the same process (embedded mode:
``memory://`` broker, in-process channel layer). Ctrl-C / SIGTERM: the worker finishes its current
task, then the process exits 0.
"""

from __future__ import annotations

import logging
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

log = logging.getLogger("studio")

WORKER_QUEUES = ["cpu", "gpu"]
# How long shutdown waits for the running task before giving up on it (it is requeued at next start).
WORKER_STOP_TIMEOUT = 600


class EmbeddedWorker:
    """A Celery ``WorkController`` in a daemon thread, consuming the in-process broker."""

    def __init__(self, queues: list[str]) -> None:
        from celery.beat import EmbeddedService

        from studio.celery import app

        self.controller = app.WorkController(
            hostname=f"embedded@{socket.gethostname()}",
            pool_cls="threads",
            concurrency=1,
            queues=queues,
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
            optimization="fair",
            loglevel=logging.WARNING,
        )
        self.thread = threading.Thread(target=self.controller.start, name="celery-embedded", daemon=True)
        # Periodic tasks (the retention purge) run here too. Beat must be a thread of this process, not
        # the worker's beat=True (a forked process): the memory:// broker it publishes to is per process,
        # so a forked beat's tasks never reached this worker, and a killed studio left it orphaned.
        self.beat = EmbeddedService(app, thread=True)

    def start(self) -> None:
        self.thread.start()
        self.beat.start()

    def stop(self) -> None:
        self.beat.service.stop(wait=False)  # beat notices within a second, while the worker stops
        # Warm shutdown: stop consuming, let the thread pool finish the task in hand, then return.
        self.controller.stop(in_sighandler=False, exitcode=0)
        self.thread.join(WORKER_STOP_TIMEOUT)
        self.beat.join(5)


class Command(BaseCommand):
    help = "Run the studio: web server, websockets and a worker, in one process."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--worker",
            action="store_true",
            default=None,
            help="Run a worker in this process (the default unless REDIS_URL points at a shared broker).",
        )
        parser.add_argument("--no-worker", dest="worker", action="store_false")
        parser.add_argument(
            "--skip-migrate",
            action="store_true",
            help="Skip the setup steps (migrations, the admin account): for the web processes of a "
            "deployment that runs `migrate` and `ensure_admin` once.",
        )
        parser.add_argument(
            "--proxy-headers",
            action="store_true",
            help="Behind a proxy: take the client's address and scheme from X-Forwarded-For/-Proto.",
        )

    def handle(
        self,
        *args,
        host: str,
        port: int,
        worker: bool | None,
        skip_migrate: bool,
        proxy_headers: bool,
        **options,
    ) -> None:
        from channels.layers import get_channel_layer

        from jobs.services import jobs_requeue_stale
        from studio.services import admin_ensure

        if worker is None:
            worker = settings.CELERY_BROKER_URL == "memory://"
        if not worker and settings.CELERY_BROKER_URL == "memory://":
            raise CommandError("--no-worker needs a shared broker (REDIS_URL); nothing would run the jobs.")
        if not skip_migrate:
            call_command("migrate", interactive=False, verbosity=0)
            self._ensure_admin(admin_ensure)

        # Build the channel layer now, in this thread: channels creates it lazily and not thread-safely,
        # so the worker thread's first event and the first websocket could each make one, and that
        # socket then never heard the worker (seen on a busy machine: the first job's events lost).
        get_channel_layer()
        embedded = None
        if worker:
            # One process: anything RUNNING now was left by a process that died.
            requeued = jobs_requeue_stale(running_stale_after=timedelta(0))
            if requeued:
                self.stdout.write(f"Re-enqueued {len(requeued)} unfinished job(s).")
            embedded = EmbeddedWorker(WORKER_QUEUES)
            embedded.start()
        self.stdout.write(f"Voice Studio on http://{host}:{port}/  (Ctrl-C to stop)", self.style.SUCCESS)
        try:
            self._serve(host, port, proxy_headers=proxy_headers)
        finally:
            if embedded is not None:
                self.stdout.write("Stopping: finishing the running task…")
                embedded.stop()
        self.stdout.write("Stopped.")

    def _ensure_admin(self, admin_ensure) -> None:
        import os

        password = admin_ensure(username="admin", password=os.environ.get("STUDIO_ADMIN_PASSWORD") or None)
        if password:
            self.stdout.write(
                self.style.WARNING(f"Created the admin account: username admin, password {password}")
                + "\n(shown once; change it in the admin, or set STUDIO_ADMIN_PASSWORD before the first run)"
            )

    def _serve(self, host: str, port: int, *, proxy_headers: bool = False) -> None:
        from daphne.endpoints import build_endpoint_description_strings

        from jobs.waiting import waiting_answer_all
        from studio.asgi import application
        from studio.server import StudioServer

        StudioServer(
            application=application,
            endpoints=build_endpoint_description_strings(host=host, port=port),
            signal_handlers=True,  # Twisted stops the reactor on SIGINT/SIGTERM; we clean up after.
            verbosity=0,
            websocket_timeout=86400,
            # daphne's default of 5 s dropped handshakes when 500 browsers connected at once to one
            # busy process (bench/scale_out.py); 30 s let every one through.
            websocket_connect_timeout=30,
            proxy_forwarded_address_header="X-Forwarded-For" if proxy_headers else None,
            proxy_forwarded_port_header="X-Forwarded-Port" if proxy_headers else None,
            proxy_forwarded_proto_header="X-Forwarded-Proto" if proxy_headers else None,
            application_close_timeout=10,
            drain=waiting_answer_all,  # clients waiting for a job get an answer before the server stops
        ).run()
