"""Voice Studio settings: one module, read from the environment.

With no environment at all the studio runs embedded: SQLite and media under ``STUDIO_DATA_DIR``
(default ``./data``), a Celery worker inside the web process on the ``memory://`` broker and an
in-process channel layer. ``DATABASE_URL``, ``REDIS_URL`` and ``STUDIO_STORAGE=s3`` switch the parts
to the distributed mode one by one.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
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

DATABASE_URL = env_str("DATABASE_URL")
REDIS_URL = env_str("REDIS_URL")
STUDIO_DISTRIBUTED = bool(DATABASE_URL or REDIS_URL)
STUDIO_STORAGE = env_str("STUDIO_STORAGE", "local")
# The data folder holds what only one machine keeps: the SQLite database, local media, the generated
# secret key. A distributed deployment on PostgreSQL and S3 needs none of it, so nothing is created in
# the code folder then (the folder appears when something is actually written there).
if not DATABASE_URL or STUDIO_STORAGE != "s3" or not SECRET_KEY:
    STUDIO_DATA_DIR.mkdir(parents=True, exist_ok=True)

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
    "axes",
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
    # Last, as its documentation asks: it answers locked-out logins (django-axes, below).
    "axes.middleware.AxesMiddleware",
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

    # Under daphne every request runs in a thread of its own; persistent connections (conn_max_age > 0)
    # then mean one PostgreSQL connection per thread, and ~100 concurrent requests exhausted the server's
    # max_connections=100. A pool per process bounds them instead: a request borrows a connection for its
    # duration and waits (up to STUDIO_DB_POOL_TIMEOUT seconds) when all are busy. Each process opens at
    # most STUDIO_DB_POOL_MAX_SIZE; README ("Database connections") adds them up. STUDIO_DB_POOL=off leaves pooling
    # to a pgbouncer in transaction mode in front of the database (one short connection per request).
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=True)}
    if not env_bool("STUDIO_DB_POOL", True):
        # Behind pgbouncer in transaction mode a cursor cannot outlive its transaction.
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    else:
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("STUDIO_DB_POOL_MIN_SIZE", 1),
            "max_size": env_int("STUDIO_DB_POOL_MAX_SIZE", 10),
            "timeout": env_float("STUDIO_DB_POOL_TIMEOUT", 30.0),
            # Idle connections above min_size go after this long, so a burst does not pin them.
            "max_idle": env_float("STUDIO_DB_POOL_MAX_IDLE", 60.0),
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": STUDIO_DATA_DIR / "studio.sqlite3",
            # WAL + IMMEDIATE transactions give no "database is locked" with the web server and the
            # worker thread writing at once; the defaults fail (docs/decisions.md, "SQLite in WAL mode").
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username/address before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling for the studio's sign-in page and the admin's (django-axes): after
# STUDIO_LOGIN_FAILURE_LIMIT wrong passwords for one username from one address, that pair is locked out
# for STUDIO_LOGIN_COOLOFF_MINUTES, the right password included; a success resets the count.
AXES_FAILURE_LIMIT = env_int("STUDIO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("STUDIO_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_TEMPLATE = "studio/locked_out.html"
AXES_VERBOSE = False

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

if STUDIO_STORAGE == "s3":
    # Every stored file (samples, engine artefacts, previews, consent clips, generated speech) goes to one
    # bucket through django-storages. Browsers get short-lived signed URLs (STUDIO_S3_URL_EXPIRY seconds);
    # STUDIO_S3_PUBLIC_ENDPOINT_URL signs them for the address browsers use when the servers reach S3 by
    # another one (http://s3:8333 inside compose, https://media.example.com outside).
    STORAGES = {
        "default": {
            "BACKEND": "studio.storage.StudioS3Storage",
            "OPTIONS": {
                "bucket_name": env_str("STUDIO_S3_BUCKET", "voice-studio"),
                "endpoint_url": env_str("STUDIO_S3_ENDPOINT_URL") or None,
                "access_key": env_str("STUDIO_S3_ACCESS_KEY") or None,
                "secret_key": env_str("STUDIO_S3_SECRET_KEY") or None,
                "region_name": env_str("STUDIO_S3_REGION", "us-east-1"),
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": env_int("STUDIO_S3_URL_EXPIRY", 600),
                "file_overwrite": False,
                "public_endpoint_url": env_str("STUDIO_S3_PUBLIC_ENDPOINT_URL") or None,
                "addressing_style": env_str("STUDIO_S3_ADDRESSING_STYLE", "path") or None,
                # Signature v4 (botocore signs URLs with the deprecated v2 for custom endpoints otherwise).
                "signature_version": "s3v4",
            },
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Create the bucket when it is missing (STUDIO_S3_CREATE_BUCKET=off: only check that it exists).
    STUDIO_S3_CREATE_BUCKET = env_bool("STUDIO_S3_CREATE_BUCKET", True)
else:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    STUDIO_S3_CREATE_BUCKET = False

DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("STUDIO_MAX_REQUEST_BYTES", 210 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Cache ----------------------------------------------------------------------------------------
# Rate limits count requests here: one process needs only its memory; several share Redis.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Channels -------------------------------------------------------------------------------------
if REDIS_URL:
    # The channel layer has its own connection settings, passed as keywords rather than inside REDIS_URL
    # (Celery rejects a URL carrying redis-py options). studio/channel_layer.py says why each is needed:
    # a read timeout longer than channels_redis's 5 s blocking read (redis-py 8 defaults to 5 s, so idle
    # websockets closed with 1011), and a pool that waits for a free connection instead of failing.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "studio.channel_layer.StudioRedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": env_str("STUDIO_CHANNELS_REDIS_URL", REDIS_URL),
                        "socket_timeout": env_float("STUDIO_CHANNELS_SOCKET_TIMEOUT", 30.0),
                        "socket_connect_timeout": 5.0,
                        "max_connections": env_int("STUDIO_CHANNELS_MAX_CONNECTIONS", 100),
                        "timeout": env_float("STUDIO_CHANNELS_POOL_TIMEOUT", 20.0),
                    }
                ],
                # A member left behind by a web process that died is dropped after this long; sockets
                # are closed before (daphne --websocket_timeout, README) and clients reconnect.
                "group_expiry": env_int("STUDIO_CHANNELS_GROUP_EXPIRY", 86400),
            },
        }
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
# A worker killed outright (kill -9, OOM, a lost machine) leaves its message "unacked" in Redis; Redis
# hands it out again once it is older than the visibility timeout, looked for every
# unacked_restore_interval seconds (kombu's default is 1 h and ~100 s). Redelivery is safe: a worker
# claims the job row only when its heartbeat is stale (jobs/services.py), so a long job still running
# elsewhere is not run twice. The timeout must exceed STUDIO_JOB_STALE_SECONDS for that claim to succeed.
if CELERY_BROKER_URL == "memory://":
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"polling_interval": 0.05}
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("STUDIO_BROKER_VISIBILITY_TIMEOUT", 90),
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker child that dies mid-task: its parent acks the message and tells jobs/tasks.py
# (task_failure), which requeues the job at once; rejecting it back to the queue would only reach a
# worker that finds the heartbeat fresh and drops it.
CELERY_TASK_REJECT_ON_WORKER_LOST = False
# Periodic work: `celery -A studio beat` in the distributed mode; the embedded worker runs beat itself.
CELERY_BEAT_SCHEDULE = {
    "purge-expired-voices": {
        "task": "voices.purge_expired",
        "schedule": env_int("STUDIO_PURGE_INTERVAL", 3600),
    },
    "requeue-stale-jobs": {
        "task": "jobs.requeue_stale",
        "schedule": env_int("STUDIO_JOB_SWEEP_SECONDS", 15),
        # A sweep that waited in a busy queue longer than its interval is superseded by the next one.
        "options": {"expires": env_int("STUDIO_JOB_SWEEP_SECONDS", 15)},
    },
    "purge-expired-previews": {
        "task": "voices.purge_expired_previews",
        "schedule": env_int("STUDIO_PURGE_INTERVAL", 3600),
    },
}
# Beat keeps when each task last ran in this file. Embedded: the data folder. Distributed: wherever
# STUDIO_BEAT_SCHEDULE_FILE says, else the temp folder (never the code folder; losing it only means the
# periodic tasks run once at start).
CELERY_BEAT_SCHEDULE_FILENAME = env_str("STUDIO_BEAT_SCHEDULE_FILE") or str(
    STUDIO_DATA_DIR / "celerybeat-schedule"
    if not STUDIO_DISTRIBUTED
    else Path(tempfile.gettempdir()) / f"voice-studio-celerybeat-{os.getuid()}"
)
# Run tasks inline in the request (debugging only; the tests' eager_jobs fixture sets Celery's own flag).
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
    # Per-user request rates (429 with Retry-After): every API call, and tighter for the calls that
    # start work (speech) or send audio (clone, consent, watermark detection). Queued work is capped
    # per user in worker seconds as well (jobs/fairness.py).
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "studio.throttling.WorkThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env_str("STUDIO_RATE_API", "600/min"),
        "speech": env_str("STUDIO_RATE_SPEECH", "60/min"),
        "upload": env_str("STUDIO_RATE_UPLOAD", "30/min"),
    },
    "DEFAULT_PARSER_CLASSES": [
        "studio.parsers.JsonObjectParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
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
    # Every operation also documents the error answers (studio/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "studio.schema.errors_everywhere",
    ],
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
# A running job's worker writes its heartbeat every STUDIO_JOB_HEARTBEAT_SECONDS (a thread, whatever the
# job is doing); a RUNNING job whose heartbeat is older than STUDIO_JOB_STALE_SECONDS was abandoned
# (its worker died) and is re-enqueued, at most STUDIO_JOB_MAX_ATTEMPTS runs in all: a job that keeps
# killing its worker then fails with a message instead of looping.
STUDIO_JOB_HEARTBEAT_SECONDS = env_float("STUDIO_JOB_HEARTBEAT_SECONDS", 5.0)
STUDIO_JOB_STALE_SECONDS = env_int("STUDIO_JOB_STALE_SECONDS", 30)
STUDIO_JOB_MAX_ATTEMPTS = env_int("STUDIO_JOB_MAX_ATTEMPTS", 3)
STUDIO_RETENTION_DAYS = env_int("STUDIO_RETENTION_DAYS", 90)
# New private voices need no moderator (public ones always wait for one).
STUDIO_AUTO_APPROVE_PRIVATE = env_bool("STUDIO_AUTO_APPROVE_PRIVATE", True)
# Every generated clip carries an inaudible watermark; "off" only for development (outputs unmarked).
STUDIO_WATERMARK = env_str("STUDIO_WATERMARK", "on")
# Consent verification thresholds (audio/consent.py documents how they were calibrated).
STUDIO_CONSENT_MAX_WER = env_float("STUDIO_CONSENT_MAX_WER", 0.50)
STUDIO_CONSENT_MIN_SIMILARITY = env_float("STUDIO_CONSENT_MIN_SIMILARITY", 0.85)
# /metrics needs "Authorization: Bearer <token>" when set (else restrict it at the proxy).
STUDIO_METRICS_TOKEN = env_str("STUDIO_METRICS_TOKEN")
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
