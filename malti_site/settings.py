"""Malti settings. The environment is read here and nowhere else.

Every variable is documented in the README's configuration table and in
docker/.env.example.
"""

import logging
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from malti_site.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("MALTI_DEBUG", False)

_PLACEHOLDER_KEYS = {"", "change-me", "changeme", "secret"}
SECRET_KEY = env_secret("MALTI_SECRET_KEY") or ""
if SECRET_KEY.lower() in _PLACEHOLDER_KEYS or len(SECRET_KEY) < 32:
    if not DEBUG:
        raise ImproperlyConfigured(
            "MALTI_SECRET_KEY (or MALTI_SECRET_KEY_FILE) must be set to a random string of at least "
            "32 characters; generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = "insecure-development-key-only-for-MALTI_DEBUG-runs-0123456789"

ALLOWED_HOSTS = env_list("MALTI_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "MALTI_ALLOWED_HOSTS must list the host names Malti is served under, e.g. malti.example.com"
    )
CSRF_TRUSTED_ORIGINS = env_list("MALTI_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "accounts.admin_site.MaltiAdminConfig",  # django.contrib.admin, closed to key-started sessions
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Redoc served from our own static files, no CDN
    "django_ratelimit",
    "accounts",
    "telemetry",
    "explorer",
    "objectives",
    "alerts",
    "dashboard_ui",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "malti_site.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.ApiKeySessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
]

# Malti reports its own API traffic to a Malti (itself by default) through malti-client's Django
# middleware (clients/python), when MALTI_SELF_SERVICE names a service and MALTI_SELF_API_KEY is its key.
# After WhiteNoise: static files are not API traffic. Ingest calls are left out, so that sending a
# report is never itself reported (one record per batch, for ever).
MALTI_SELF_SERVICE = env_str("MALTI_SELF_SERVICE", "")
if MALTI_SELF_SERVICE:
    if not env_secret("MALTI_SELF_API_KEY"):
        raise ImproperlyConfigured("MALTI_SELF_SERVICE is set: MALTI_SELF_API_KEY must be that service's key")
    MALTI_CLIENT = {
        "service_name": MALTI_SELF_SERVICE,
        "api_key": env_secret("MALTI_SELF_API_KEY"),
        "url": env_str("MALTI_SELF_URL", "http://127.0.0.1:8000"),
        "node": env_str("MALTI_SELF_NODE", "") or None,
        "skip_endpoints": ("/api/v1/ingest",),
    }
    MIDDLEWARE.insert(
        MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1, "malti_client.django.MaltiMiddleware"
    )

ROOT_URLCONF = "malti_site.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
WSGI_APPLICATION = "malti_site.wsgi.application"
ASGI_APPLICATION = "malti_site.asgi.application"

# Database: PostgreSQL with TimescaleDB. The default is the private cluster
# that scripts/provision-db.sh runs.
DATABASE_URL = env_str("DATABASE_URL", "postgres://malti:malti@127.0.0.1:5433/malti")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
if env_bool("MALTI_DB_POOL", True):
    # Under ASGI, CONN_MAX_AGE does not reuse connections; the pool does.
    DATABASES["default"]["OPTIONS"] = {
        "pool": {
            "min_size": env_int("MALTI_DB_POOL_MIN", 2, minimum=0),
            "max_size": env_int("MALTI_DB_POOL_MAX", 10, minimum=1),
            "timeout": env_int("MALTI_DB_POOL_TIMEOUT", 5, minimum=1),
        }
    }
DATABASES["default"]["CONN_MAX_AGE"] = 0
# JIT compilation costs over a second on large rollup scans and saves less
# than that on queries that must answer in milliseconds. Parallel workers: a
# metrics response already runs its statements side by side
# (MALTI_QUERY_CONCURRENCY); workers on top of that compete for the same cores.
MALTI_DB_PARALLEL_WORKERS = env_int("MALTI_DB_PARALLEL_WORKERS", 0, minimum=0)
DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
    f"-c jit=off -c max_parallel_workers_per_gather={MALTI_DB_PARALLEL_WORKERS}"
)
# After a database restart, test a reused connection before a request fails on it.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A test database per test run, so concurrent runs on one cluster don't collide.
DATABASES["default"]["TEST"] = {"NAME": env_str("MALTI_TEST_DATABASE") or f"test_malti_{os.getpid()}"}
# Metrics read through connections of their own, the same database with a
# pool of its own: a burst of long-range queries then waits for reads
# connections, never for the ones ingest and logins use. A statement that runs
# longer than MALTI_METRICS_STATEMENT_TIMEOUT is canceled (a 503 that says so).
MALTI_METRICS_STATEMENT_TIMEOUT = env_int("MALTI_METRICS_STATEMENT_TIMEOUT", 30, minimum=1)
# Apdex target T (ms) of a service that has not set its own (objectives.ServiceObjectives).
MALTI_APDEX_DEFAULT_T_MS = env_int("MALTI_APDEX_DEFAULT_T_MS", 500, minimum=1)
MALTI_DB_READS_POOL_MAX = env_int("MALTI_DB_READS_POOL_MAX", 4, minimum=1)
DATABASES["reads"] = {
    **DATABASES["default"],
    "OPTIONS": {
        **DATABASES["default"]["OPTIONS"],
        "options": DATABASES["default"]["OPTIONS"]["options"]
        + f" -c statement_timeout={MALTI_METRICS_STATEMENT_TIMEOUT * 1000}",
    },
    "TEST": {"MIRROR": "default"},
}
if "pool" in DATABASES["default"]["OPTIONS"]:
    pool = DATABASES["default"]["OPTIONS"]["pool"]
    DATABASES["reads"]["OPTIONS"]["pool"] = {
        **pool,
        "min_size": min(pool["min_size"], MALTI_DB_READS_POOL_MAX),
        "max_size": MALTI_DB_READS_POOL_MAX,
    }
# Streaming replicas of DATABASE_URL (comma-separated URLs), each an alias
# replica_<n> with the reads pool's options: metrics, filters and explorer
# reads go to one that answers and replays within MALTI_REPLICA_MAX_LAG
# seconds, else to the primary (malti_site/replicas.py); writes, admin and
# logins always use the primary.
DATABASE_REPLICA_URLS = env_list("DATABASE_REPLICA_URL", [])
MALTI_REPLICA_MAX_LAG = env_int("MALTI_REPLICA_MAX_LAG", 30, minimum=0)
for number, replica_url in enumerate(DATABASE_REPLICA_URLS):
    replica = dj_database_url.parse(replica_url)
    DATABASES[f"replica_{number}"] = {
        **DATABASES["reads"],
        **{key: replica[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")},
        "OPTIONS": {**DATABASES["reads"]["OPTIONS"]},
    }
DATABASE_ROUTERS = ["malti_site.replicas.TelemetryReadsRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when MALTI_REDIS_URL is set (needed whenever more than one
# process serves, so rate limits are shared); otherwise a per-process cache.
REDIS_URL = env_str("MALTI_REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    # Django's built-in RedisCache is atomic (INCR), which is all django-ratelimit needs.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # django-ratelimit refuses non-shared caches (E003); a single process may
    # still use one, and malti.W001 says so at start-up.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

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

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("MALTI_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Vite already hashes the dashboard bundle's file names.
WHITENOISE_IMMUTABLE_FILE_TEST = r"^.+[.-][0-9a-zA-Z_-]{8,12}\..+$"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyAuthentication",
        "accounts.authentication.CsrfSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "malti_site.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Malti API",
    "DESCRIPTION": "Ingest API request telemetry and query rolled-up metrics.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # One name for the alert states wherever a field takes all of them (from_state, to_state).
    "ENUM_NAME_OVERRIDES": {"AlertStateEnum": ["ok", "pending", "firing", "resolved"]},
}

# Security: secure cookies and HSTS unless MALTI_SECURE_COOKIES=0 (plain-HTTP
# local runs). Behind a TLS-terminating proxy, set MALTI_TRUSTED_PROXIES.
SECURE_COOKIES = env_bool("MALTI_SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("MALTI_SESSION_AGE", 60 * 60 * 12, minimum=60)
SECURE_HSTS_SECONDS = env_int("MALTI_HSTS_SECONDS", 31536000 if SECURE_COOKIES else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("MALTI_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)
SECURE_SSL_REDIRECT = env_bool("MALTI_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^health"]  # container health checks speak plain HTTP
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
TRUSTED_PROXIES = env_list("MALTI_TRUSTED_PROXIES")
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
# The API docs page (Redoc) starts a web worker from a blob: URL.
API_DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "script-src 'self'", "script-src 'self'; worker-src 'self' blob:"
)

# Ingest limits.
MALTI_INGEST_MAX_RECORDS = env_int("MALTI_INGEST_MAX_RECORDS", 10_000, minimum=1)
MALTI_INGEST_MAX_BYTES = env_int("MALTI_INGEST_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
MALTI_INGEST_MAX_FUTURE_SECONDS = env_int("MALTI_INGEST_MAX_FUTURE_SECONDS", 300, minimum=0)
MALTI_RAW_CHUNK_INTERVAL = env_str("MALTI_RAW_CHUNK_INTERVAL", "1 hour")
# OTLP traces (POST /v1/traces): the span attribute that names a request's consumer (then enduser.id).
MALTI_OTLP_CONSUMER_ATTRIBUTE = env_str("MALTI_OTLP_CONSUMER_ATTRIBUTE", "malti.consumer")

# Rate limits (django-ratelimit syntax, e.g. "600/m"); empty turns one off.
MALTI_RATELIMIT_INGEST = env_str("MALTI_RATELIMIT_INGEST", "1200/m")
MALTI_RATELIMIT_METRICS = env_str("MALTI_RATELIMIT_METRICS", "300/m")
MALTI_RATELIMIT_AUTH_TEST = env_str("MALTI_RATELIMIT_AUTH_TEST", "10/m")
MALTI_RATELIMIT_LOGIN = env_str("MALTI_RATELIMIT_LOGIN", "10/m")
MALTI_RATELIMIT_AUTH_FAILURES = env_str("MALTI_RATELIMIT_AUTH_FAILURES", "30/m")
RATELIMIT_ENABLE = env_bool("MALTI_RATELIMIT_ENABLE", True)
RATELIMIT_VIEW = "malti_site.api_errors.ratelimited_view"

# Retention defaults per level (PostgreSQL interval syntax); `manage.py
# retention set` stores overrides in the database.
MALTI_RETENTION_DEFAULTS = {
    "raw": env_str("MALTI_RETENTION_RAW", "6 hours"),
    "1min": env_str("MALTI_RETENTION_1MIN", "7 days"),
    "5min": env_str("MALTI_RETENTION_5MIN", "90 days"),
    "1hour": env_str("MALTI_RETENTION_1HOUR", "720 days"),
    "6hour": env_str("MALTI_RETENTION_6HOUR", "1825 days"),
    "1day": env_str("MALTI_RETENTION_1DAY", "1825 days"),
    "1week": env_str("MALTI_RETENTION_1WEEK", "1825 days"),
}
# Memory one statement of a range rebuild (refresh_rollups --start, import_malti_data)
# may aggregate in before it spills to disk (PostgreSQL's work_mem, set for that transaction).
MALTI_REBUILD_WORK_MEM = env_str("MALTI_REBUILD_WORK_MEM", "256MB")
# The request explorer's sample (explorer/sampling.py): kept this long, apart
# from the levels above (it is not rolled up from anything).
MALTI_RETENTION_SAMPLE = env_str("MALTI_RETENTION_SAMPLE", "14 days")
# Cardinality guard (telemetry/cardinality.py): values of a service's endpoints,
# consumers, nodes and contexts past its limits are rolled up as "(other)".
# Limits are per service in admin; 0 turns the guard off for every service.
MALTI_CARDINALITY_GUARD = env_bool("MALTI_CARDINALITY_GUARD", True)
# Ingest keeps every 5xx, every slow request and this share (0..1) of the rest.
MALTI_SAMPLE_ENABLED = env_bool("MALTI_SAMPLE_ENABLED", True)
try:
    MALTI_SAMPLE_RATE = float(env_str("MALTI_SAMPLE_RATE", "0.01"))
except ValueError:
    raise ImproperlyConfigured("MALTI_SAMPLE_RATE must be a share between 0 and 1, e.g. 0.01") from None
if not 0 <= MALTI_SAMPLE_RATE <= 1:
    raise ImproperlyConfigured("MALTI_SAMPLE_RATE must be a share between 0 and 1, e.g. 0.01")
# The worker (manage.py malti_worker) refresh and retention periods, seconds.
# Statements one metrics response runs side by side, each on its own pooled
# connection (1: one after another).
MALTI_QUERY_CONCURRENCY = env_int("MALTI_QUERY_CONCURRENCY", 2, minimum=1)
MALTI_REFRESH_EVERY = env_int("MALTI_REFRESH_EVERY", 15, minimum=1)
MALTI_RETENTION_EVERY = env_int("MALTI_RETENTION_EVERY", 600, minimum=10)
# Alerts (alerts/): the worker evaluates every rule and sends due notifications, seconds.
MALTI_ALERTS_EVALUATE_EVERY = env_int("MALTI_ALERTS_EVALUATE_EVERY", 60, minimum=5)
MALTI_ALERTS_DELIVER_EVERY = env_int("MALTI_ALERTS_DELIVER_EVERY", 5, minimum=1)
MALTI_ALERTS_WEBHOOK_TIMEOUT = env_int("MALTI_ALERTS_WEBHOOK_TIMEOUT", 10, minimum=1)
# Days of alert history (transitions and their deliveries) kept: the dashboard's longest range, with room.
MALTI_ALERTS_HISTORY_DAYS = env_int("MALTI_ALERTS_HISTORY_DAYS", 400, minimum=1)
# Email notifications through Django's SMTP backend.
EMAIL_HOST = env_str("MALTI_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("MALTI_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("MALTI_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_secret("MALTI_EMAIL_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("MALTI_EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("MALTI_EMAIL_DEFAULT_FROM", "malti@localhost")

LOG_LEVEL = (env_str("LOG_LEVEL", "INFO") or "INFO").upper()
if LOG_LEVEL not in logging.getLevelNamesMapping():
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r} is not a logging level (DEBUG, INFO, WARNING, ERROR)")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

LOGIN_URL = "/admin/login/"
