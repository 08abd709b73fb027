"""Voice Studio settings: one module, read from the environment.

With no environment at all the studio runs embedded: SQLite and media under ``STUDIO_DATA_DIR``
(default ``./data``), a Celery worker inside the web process on the ``memory://`` broker and an
in-process channel layer. ``DATABASE_URL``, ``REDIS_URL`` and ``STUDIO_STORAGE=s3`` switch the parts
to the distributed mode one by one.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")

STUDIO_DATA_DIR = Path(env_str("STUDIO_DATA_DIR", str(BASE_DIR / "data"))).resolve()
STUDIO_DATA_DIR.mkdir(parents=True, exist_ok=True)

DATABASE_URL = env_str("DATABASE_URL")
REDIS_URL = env_str("REDIS_URL")
STUDIO_DISTRIBUTED = bool(DATABASE_URL or REDIS_URL)

if not SECRET_KEY:
    if STUDIO_DISTRIBUTED and not DEBUG:
        raise ImproperlyConfigured(
            "Set SECRET_KEY: the distributed mode (DATABASE_URL / REDIS_URL) refuses to start with "
            "DEBUG off and no SECRET_KEY, since every process must share it."
        )
    # Embedded mode (one process, one machine): generate a key once and keep it in the data dir.
    key_file = STUDIO_DATA_DIR / "secret_key"
    if not key_file.exists():
        from django.core.management.utils import get_random_secret_key

        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Behind a reverse proxy: trust its X-Forwarded-Host and X-Forwarded-Proto, so the absolute URLs the
# API answers with (audio_url, preview_url, Location) name the public host and scheme.
STUDIO_BEHIND_PROXY = env_bool("STUDIO_BEHIND_PROXY", False)
USE_X_FORWARDED_HOST = STUDIO_BEHIND_PROXY
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if STUDIO_BEHIND_PROXY else None
SITE_NAME = env_str("STUDIO_SITE_NAME", "Voice Studio")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "channels",
    "studio",
    "jobs",
    "voices",
    "synthesis",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "studio.urls"
ASGI_APPLICATION = "studio.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "studio.context.studio_limits",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
if DATABASE_URL:
    import dj_database_url

    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": STUDIO_DATA_DIR / "studio.sqlite3",
            # Measured (DESIGN.md): WAL + IMMEDIATE transactions give no "database is locked" with the
            # web server and the worker thread writing at once; the defaults failed half the time.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = STUDIO_DATA_DIR / "staticfiles"
STUDIO_SERVE_STATIC = env_bool("STUDIO_SERVE_STATIC", True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("STUDIO_MEDIA_ROOT", str(STUDIO_DATA_DIR / "media")))

STUDIO_STORAGE = env_str("STUDIO_STORAGE", "local")
if STUDIO_STORAGE == "s3":
    STORAGES = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": env_str("STUDIO_S3_BUCKET", "voice-studio"),
                "endpoint_url": env_str("STUDIO_S3_ENDPOINT_URL") or None,
                "access_key": env_str("STUDIO_S3_ACCESS_KEY") or None,
                "secret_key": env_str("STUDIO_S3_SECRET_KEY") or None,
                "region_name": env_str("STUDIO_S3_REGION", "us-east-1"),
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": False,
            },
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
else:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("STUDIO_MAX_REQUEST_BYTES", 210 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Channels -------------------------------------------------------------------------------------
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "studio.channel_layer.ThreadSafeInMemoryChannelLayer"}}

# --- Celery ---------------------------------------------------------------------------------------
# Embedded mode: the worker runs inside `manage.py studio` on the in-memory broker. The database row
# is the source of truth for every job, so the broker only carries "go" and needs no persistence.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "cpu"
CELERY_TASK_SOFT_TIME_LIMIT = env_int("STUDIO_TASK_SOFT_TIME_LIMIT", 1800)
CELERY_TASK_TIME_LIMIT = env_int("STUDIO_TASK_TIME_LIMIT", 1900)
CELERY_BROKER_TRANSPORT_OPTIONS = {"polling_interval": 0.05} if CELERY_BROKER_URL == "memory://" else {}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Periodic work: `celery -A studio beat` in the distributed mode; the embedded worker runs beat itself.
CELERY_BEAT_SCHEDULE = {
    "purge-expired-voices": {
        "task": "voices.purge_expired",
        "schedule": env_int("STUDIO_PURGE_INTERVAL", 3600),
    },
    "purge-expired-previews": {
        "task": "voices.purge_expired_previews",
        "schedule": env_int("STUDIO_PURGE_INTERVAL", 3600),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(STUDIO_DATA_DIR / "celerybeat-schedule")
# Run tasks inline (tests only): set by the test settings fixture, never in production.
CELERY_TASK_ALWAYS_EAGER = env_bool("STUDIO_TASKS_EAGER", False)

# --- REST API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "studio.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "studio.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Voice Studio API",
    "DESCRIPTION": "Clone voices from short recordings and generate speech with them.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Studio ---------------------------------------------------------------------------------------
STUDIO_DEFAULT_ENGINE = env_str("STUDIO_DEFAULT_ENGINE", "offline")
# Engines that run on separate workers (GPU machines): requests for them are not checked against what
# this web process has installed (studio/engines.py).
STUDIO_WORKER_ENGINES = env_list("STUDIO_WORKER_ENGINES")
# Unsaved voice previews (POST /v1/voices/preview) are deleted after this many hours.
STUDIO_PREVIEW_HOURS = env_int("STUDIO_PREVIEW_HOURS", 24)
STUDIO_MAX_UPLOAD_BYTES = env_int("STUDIO_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)
STUDIO_MAX_SAMPLES = env_int("STUDIO_MAX_SAMPLES", 10)
# Hosts that URL ingest may fetch even though they resolve to loopback/private addresses (tests).
STUDIO_FETCH_ALLOWED_HOSTS = env_list("STUDIO_FETCH_ALLOWED_HOSTS")
STUDIO_FETCH_TIMEOUT = env_int("STUDIO_FETCH_TIMEOUT", 20)
# How long `?wait=true` requests and POST /v1/speech wait for their job before answering 202.
STUDIO_WAIT_TIMEOUT = env_int("STUDIO_WAIT_TIMEOUT", 300)
# A RUNNING job whose heartbeat is older than this is considered abandoned and is re-enqueued.
STUDIO_JOB_STALE_SECONDS = env_int("STUDIO_JOB_STALE_SECONDS", 300)
STUDIO_RETENTION_DAYS = env_int("STUDIO_RETENTION_DAYS", 90)
# New private voices need no moderator (public ones always wait for one).
STUDIO_AUTO_APPROVE_PRIVATE = env_bool("STUDIO_AUTO_APPROVE_PRIVATE", True)
# Every generated clip carries an inaudible watermark; "off" only for development (outputs unmarked).
STUDIO_WATERMARK = env_str("STUDIO_WATERMARK", "on")
# Consent verification thresholds (audio/consent.py documents how they were calibrated).
STUDIO_CONSENT_MAX_WER = env_float("STUDIO_CONSENT_MAX_WER", 0.50)
STUDIO_CONSENT_MIN_SIMILARITY = env_float("STUDIO_CONSENT_MIN_SIMILARITY", 0.75)
STUDIO_XTTS_DIR = env_str("STUDIO_XTTS_DIR")
STUDIO_OPENVOICE_DIR = env_str("STUDIO_OPENVOICE_DIR")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("STUDIO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        "celery": {"level": "WARNING"},
        # "No hostname was supplied" for memory:// on every publish is noise.
        "kombu.connection": {"level": "ERROR"},
    },
}
