"""Django settings, read from the environment (django-environ; optional ``.env`` file).

Every variable is listed in the README. Unset ``DATABASE_URL`` selects the embedded default
(SQLite under ``var/``); unset ``CELERY_BROKER_URL`` runs tasks eagerly in-process.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
_env_file = BASE_DIR / ".env"
if _env_file.exists():
    environ.Env.read_env(str(_env_file))

DEBUG = env.bool("DEBUG", default=False)

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (or DEBUG=true for local development)."
        )
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "edi_platform.core",
    "edi_platform.ops",
    "edi_platform.partners",
    "controlnumbers",
    "eventstore",
    "outbound",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "api.middleware.ApiBodyLimitMiddleware",
    "edi_platform.core.middleware.RefuseNulMiddleware",
    "edi_platform.core.middleware.RequestIdMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "edi_platform.urls"
WSGI_APPLICATION = "edi_platform.wsgi.application"

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
                "edi_platform.core.context_processors.scheduler_status",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
_db = DATABASES["default"]
if "DATABASE_URL" not in env:
    VAR_DIR.mkdir(exist_ok=True)  # the embedded default keeps its SQLite file under var/
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of failing
    # with "database is locked" half-way through a transaction (select_for_update is a no-op).
    _db.setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
elif _db["ENGINE"] in ("django.db.backends.postgresql", "django.db.backends.postgresql_psycopg2"):
    _db["ENGINE"] = "django.db.backends.postgresql"
    if env.bool("DATABASE_POOL", default=True):
        _db["CONN_MAX_AGE"] = 0  # required by the pool
        _db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=1),
            "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
            "timeout": 30,
        }
    else:
        _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)

# Prepare the statements of the hot paths (see edi_platform/core/db.py); off behind a pooler
# that cannot keep prepared statements.
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# ISO dates and 24-hour times on every page (edi_platform/formats/en/formats.py)
FORMAT_MODULE_PATH = ["edi_platform.formats"]

# --- Files ------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
INBOUND_STORAGE_ROOT = Path(env.str("INBOUND_STORAGE_ROOT", default=str(VAR_DIR / "inbound")))
OUTBOUND_STORAGE_ROOT = Path(env.str("OUTBOUND_STORAGE_ROOT", default=str(VAR_DIR / "outbound")))
INBOUND_INBOX_DIR = Path(env.str("INBOUND_INBOX_DIR", default=str(VAR_DIR / "inbox")))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATICFILES_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
    "inbound": {
        "BACKEND": "edi_platform.core.storage.DurableFileSystemStorage",
        "OPTIONS": {"location": str(INBOUND_STORAGE_ROOT)},
    },
    "outbound": {
        "BACKEND": "edi_platform.core.storage.DurableFileSystemStorage",
        "OPTIONS": {"location": str(OUTBOUND_STORAGE_ROOT)},
    },
}

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_EAGER = not CELERY_BROKER_URL
if CELERY_EAGER:
    # Embedded default: no broker; tasks run in-process and their exceptions propagate.
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# A heartbeat older than this means beat (or the workers) are not running.
SCHEDULER_HEARTBEAT_STALE_SECONDS = env.int("SCHEDULER_HEARTBEAT_STALE_SECONDS", default=600)

# --- Feature settings (each is an environment variable; see the README tables) -----------------
INBOUND_DUPLICATE_WINDOW_DAYS = env.int("INBOUND_DUPLICATE_WINDOW_DAYS", default=365)
# Files up to this size are registered, processed and routed in one transaction (0 = off).
INBOUND_SINGLE_TRANSACTION_MAX_BYTES = env.int(
    "INBOUND_SINGLE_TRANSACTION_MAX_BYTES", default=1024 * 1024
)
# Worker processes the inbox poller uses for a burst of files (1 = in the poller itself).
INBOUND_INBOX_WORKERS = env.int("INBOUND_INBOX_WORKERS", default=1)
# With a Celery broker: a poll fans out into this many shard polls run by the worker pool.
INBOUND_INBOX_SHARDS = env.int("INBOUND_INBOX_SHARDS", default=1)
INBOUND_INBOX_MIN_AGE_SECONDS = env.int("INBOUND_INBOX_MIN_AGE_SECONDS", default=5)
# Limits on one received file (a partner may set its own): past them it is rejected with the
# reason instead of exhausting the machine.
INBOUND_MAX_FILE_MB = env.int("INBOUND_MAX_FILE_MB", default=2048)
INBOUND_MAX_INTERCHANGES = env.int("INBOUND_MAX_INTERCHANGES", default=100_000)
INBOUND_MAX_SETS = env.int("INBOUND_MAX_SETS", default=2_000_000)
# A worker processing a batch renews its lease every third of this; a batch whose lease ran
# out unfinished is taken over by the recovery schedule.
INBOUND_LEASE_SECONDS = env.int("INBOUND_LEASE_SECONDS", default=60)
# Failed processing attempts (first try, recoveries, reprocesses) before a batch is FAILED.
INBOUND_MAX_PROCESSING_ATTEMPTS = env.int("INBOUND_MAX_PROCESSING_ATTEMPTS", default=3)
CONTROL_NUMBER_WARNING_PERCENT = env.float("CONTROL_NUMBER_WARNING_PERCENT", default=90.0)
CONTROL_NUMBER_CRITICAL_PERCENT = env.float("CONTROL_NUMBER_CRITICAL_PERCENT", default=95.0)
CONTROL_NUMBER_SCOPE_CACHE_SECONDS = env.float("CONTROL_NUMBER_SCOPE_CACHE_SECONDS", default=5.0)
EVENTSTORE_SNAPSHOT_EVERY = env.int("EVENTSTORE_SNAPSHOT_EVERY", default=50)
EVENTSTORE_LAG_ALERT_EVENTS = env.int("EVENTSTORE_LAG_ALERT_EVENTS", default=10_000)
EVENTSTORE_STUCK_LAG_MINUTES = env.int("EVENTSTORE_STUCK_LAG_MINUTES", default=10)
EVENTSTORE_MEMBER_ID_KEY = env.str("EVENTSTORE_MEMBER_ID_KEY", default="")
OUTBOUND_REDIS_URL = env.str("OUTBOUND_REDIS_URL", default="") or None
# The first admin user (`ensure_admin`, run by `make run`); no password: one is generated.
ADMIN_USERNAME = env.str("ADMIN_USERNAME", default="admin")
ADMIN_PASSWORD = env.str("ADMIN_PASSWORD", default="")
OUTBOUND_OUTBOX_MAX_ATTEMPTS = env.int("OUTBOUND_OUTBOX_MAX_ATTEMPTS", default=10)
OUTBOUND_CLAIM_LIMIT = env.int("OUTBOUND_CLAIM_LIMIT", default=5000)
OUTBOUND_ASSEMBLY_THREADS = env.int("OUTBOUND_ASSEMBLY_THREADS", default=2)
# Eligibility (270 -> 271): partner policies in the admin override these defaults.
ELIGIBILITY_PAYER_IDS = env.str("ELIGIBILITY_PAYER_IDS", default="")
ELIGIBILITY_PAST_DAYS = env.int("ELIGIBILITY_PAST_DAYS", default=365)
ELIGIBILITY_MAX_LAG_EVENTS = env.int("ELIGIBILITY_MAX_LAG_EVENTS", default=1000)
ELIGIBILITY_TRACE_ID = env.str("ELIGIBILITY_TRACE_ID", default="")
# Claims (837 -> 277CA): how our 277CAs name us (2100A); blank = as the 837 named us (1000B).
CLAIMS_PAYER_NAME = env.str("CLAIMS_PAYER_NAME", default="")
CLAIMS_PAYER_ID = env.str("CLAIMS_PAYER_ID", default="")
# Remittance (835): the payer block (1000A, TRN03) when an import file names none (the CSV
# pair never does): "name|tin|address|city|state|zip|contact|phone".
REMITTANCE_PAYER = env.str("REMITTANCE_PAYER", default="")
# Test-only: kill the assembling / ingesting process at this named step (crash-safety tests).
OUTBOUND_CRASH_AT = env.str("OUTBOUND_CRASH_AT", default="")
INBOUND_CRASH_AT = env.str("INBOUND_CRASH_AT", default="")
# Backups (`manage.py backup`, `list_backups`, `restore NAME`) live here by default.
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(VAR_DIR / "backups")))
# PostgreSQL client programs (pg_dump, pg_restore): this directory first, then PATH, then
# /usr/lib/postgresql/*/bin (newest first).
PG_BINDIR = env.str("PG_BINDIR", default="")
# Test-only: kill migrate_database / an ingestion run at this named point (crash tests).
OPS_CRASH_AT = env.str("OPS_CRASH_AT", default="")
INBOUND_RUN_CRASH_AT = env.str("INBOUND_RUN_CRASH_AT", default="")

# --- Security (production) -------------------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Logging: ids and paths only, never PHI ---------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# "json": one JSON object per line with correlation ids (batch, file, outcome, task,
# request); "text": plain lines for development (what `make run` uses).
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("LOG_FORMAT must be json or text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "edi_platform.core.logs.JsonFormatter"},
        "text": {"()": "edi_platform.core.logs.TextFormatter"},
    },
    "filters": {"redact_query": {"()": "edi_platform.core.logs.RedactQueryFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact_query"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # SQL statements with their parameters (DEBUG) may carry PHI: never written.
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Operations endpoints (/healthz is open; /metrics is not) --------------------------------
# A bearer token that opens /metrics from anywhere (Prometheus: authorization credentials).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Client addresses (CIDR) that may read /metrics without the token; empty: the token only.
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])

# --- HTTP API (/api/v1/, README "HTTP API") -----------------------------------------------------
# Requests per key (partner key or staff token) per period: "120/min", "10/s", "5000/hour".
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="600/min")
# Largest request body the API reads (submissions, real-time inquiries): past it, 413 (before
# authentication). Large bodies are streamed to a temporary file, never held in memory.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=100 * 1024 * 1024)
# A submission up to this size is processed before the answer (201 with the verdict); a
# larger one is stored and answered 202 with the batch to poll (processed by a Celery task).
# Real-time inquiries are refused (413) past it: they are answered in the same response.
API_SYNC_MAX_BYTES = env.int("API_SYNC_MAX_BYTES", default=1024 * 1024)
# How long a real-time inquiry waits for its answer file (CORE allows 20 s in all).
API_REALTIME_WAIT_SECONDS = env.float("API_REALTIME_WAIT_SECONDS", default=15.0)
# Seconds a checked key stays in the shared cache (Redis only): revocation and expiry take
# effect at once; a partner or user made inactive is refused after at most this long.
API_KEY_CACHE_SECONDS = env.int("API_KEY_CACHE_SECONDS", default=30)
# Days a new key or token is valid unless its creator sets another expiry.
API_KEY_DEFAULT_DAYS = env.int("API_KEY_DEFAULT_DAYS", default=365)
# Where the throttle counts live: shared by every process (Redis when given, else a table).
API_CACHE_URL = (
    env.str("API_CACHE_URL", default="")
    or OUTBOUND_REDIS_URL
    or (CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "")
)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "api": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": API_CACHE_URL}
        if API_CACHE_URL
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "api_throttle_cache",
        }
    ),
}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ApiAccess"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.KeyRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_VERSIONING_CLASS": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "EDI platform API",
    "DESCRIPTION": (
        "Partner submissions and downloads, CAQH CORE real-time 270/276, and the read side "
        "(members, enrollments, claims). Authenticate with `Authorization: Api-Key <key>` "
        "(a partner key or a staff token)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
}
