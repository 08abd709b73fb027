"""The Celery app. Workers: ``celery -A studio worker -Q cpu,gpu`` (distributed) or the embedded worker
thread of ``manage.py studio``. Configuration comes from Django settings (``CELERY_*``)."""

import os
import socket
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")

app = Celery("studio")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.celeryd_init.connect
def name_worker_uniquely(sender: str, instance: Any, **kwargs: Any) -> None:
    """Without ``-n``, every worker on a machine is ``celery@<host>``, and two of them collide (Celery
    warns, remote control and ``inspect`` mix them up). Add the process id unless ``-n`` chose a name."""
    if sender == f"celery@{socket.gethostname()}":
        instance.hostname = f"worker{os.getpid()}@{socket.gethostname()}"


@signals.worker_init.connect
@signals.beat_init.connect
def check_storage_at_start(**kwargs: Any) -> None:
    """Fail at start, with a message saying what to fix, when the S3 bucket is missing or refuses us."""
    from django.core.exceptions import ImproperlyConfigured

    from studio.storage import storage_ensure_at_start

    try:
        storage_ensure_at_start()
    except ImproperlyConfigured as error:
        # Celery logs and ignores exceptions raised by signal handlers; SystemExit stops the process.
        raise SystemExit(f"Voice Studio cannot start: {error}") from None
