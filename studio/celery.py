"""The Celery app. Workers: ``celery -A studio worker -Q cpu,gpu`` (distributed) or the embedded worker
thread of ``manage.py studio``. Configuration comes from Django settings (``CELERY_*``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")

app = Celery("studio")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
