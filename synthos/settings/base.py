"""Synthos settings, read from the environment (django-environ).

Every variable is listed in `.env.example`. The embedded defaults run on a laptop with nothing
installed: SQLite, local-memory cache, the ORM task broker, local disk storage, console email.
Production secrets have no default: with DEBUG off, a missing SECRET_KEY stops the boot.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-dev-key-only-for-DEBUG-do-not-deploy")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be set (50+ random characters) when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "synthos",
    "accounts",
    "billing",
    "datasets",
    "validations",
    "warranties",
    "support",
    "synthos.webhooks",
]

MIDDLEWARE = [
    "synthos.api.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "synthos.api.throttles.RateLimitHeadersMiddleware",
]

ROOT_URLCONF = "synthos.urls"
WSGI_APPLICATION = "synthos.wsgi.application"

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
                "billing.context_processors.nav_account",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A web process and a worker share the file: WAL lets readers run beside one writer, the
    # busy timeout waits instead of failing, IMMEDIATE takes the write lock when a transaction
    # starts so two writers never deadlock upgrading a read lock.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, login throttles) ---------------------------------------------------
CACHE_URL = env.str("CACHE_URL", default="locmemcache://")
if CACHE_URL.startswith(("redis://", "rediss://")):
    # Django's own Redis backend: incr() is Redis INCRBY, atomic across processes.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="synthos"),
        }
    }
else:
    CACHES = {"default": env.cache_url_config(CACHE_URL)}

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:overview"
LOGOUT_REDIRECT_URL = "accounts:login"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve static files from the app itself when DEBUG is off and collectstatic has not run.
WHITENOISE_USE_FINDERS = True

# --- Email ----------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Synthos <no-reply@synthos.dev>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Production safety (each one its own switch, default off; see ARCHITECTURE.md) ----------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # JWT first: DRF takes the 401 challenge (WWW-Authenticate) from the first class.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "synthos.api.authentication.BearerJWTAuthentication",
        "synthos.api.authentication.ApiKeyAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["synthos.api.throttles.TierRateThrottle"],
    "DEFAULT_PARSER_CLASSES": ["synthos.api.parsers.JSONObjectParser"],
    # DRF's JSON, written by orjson (synthos/api/renderers.py).
    "DEFAULT_RENDERER_CLASSES": ["synthos.api.renderers.FastJSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "synthos.api.pagination.CursorPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "synthos.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%S.%fZ",  # synthos.timestamps.API_DATETIME_FORMAT
}

ACCESS_TOKEN_LIFETIME = timedelta(hours=24)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": ACCESS_TOKEN_LIFETIME,
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("REFRESH_TOKEN_DAYS", default=30)),
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    # Tokens carry a digest of the password hash: a password change revokes them all.
    "CHECK_REVOKE_TOKEN": True,
    "UPDATE_LAST_LOGIN": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Synthos API",
    "DESCRIPTION": "Validate AI training data before you pay to train on it.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["synthos.api.schema.strip_optional_trailing_slash"],
    # Several resources have a `status`: name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "DatasetStatusEnum": "datasets.models.Dataset.Status",
        "ValidationStatusEnum": "validations.models.Validation.Status",
        "WarrantyStatusEnum": "warranties.models.WarrantyStatus",
        "ClaimStatusEnum": "warranties.models.ClaimStatus",
    },
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        }
    },
}

# Per-minute and per-second (burst) request limits by tier: "per_minute/per_second".
# Raise them with RATE_LIMIT_<TIER> (benchmarks do; the throttle still runs).
RATE_LIMITS = {
    tier: tuple(int(part) for part in env.str(f"RATE_LIMIT_{tier.upper()}", default=default).split("/"))
    for tier, default in {"free": "60/10", "pro": "300/30", "enterprise": "1000/100"}.items()
}
# How long a web process remembers who a JWT's user or an API key is (and the tier) before it
# asks the database again: the most a revoked key, a closed account or a password change (every
# token revoked) can still be honoured by another process. 0 asks on every request.
API_AUTH_CACHE_SECONDS = env.float("API_AUTH_CACHE_SECONDS", default=3.0)
if not 0 <= API_AUTH_CACHE_SECONDS <= 10:
    raise ImproperlyConfigured("API_AUTH_CACHE_SECONDS must be between 0 and 10 (seconds a revoked key may live on).")
# Unauthenticated auth endpoints, per client IP (a team behind one NAT must fit).
AUTH_RATE_LIMIT_PER_IP_PER_MINUTE = env.int("AUTH_RATE_LIMIT_PER_IP_PER_MINUTE", default=60)
LOGIN_FAILURES_BEFORE_LOCK = env.int("LOGIN_FAILURES_BEFORE_LOCK", default=10)
LOGIN_LOCK_SECONDS = env.int("LOGIN_LOCK_SECONDS", default=900)

# --- Accounts and credits --------------------------------------------------------------------
OTP_TTL_MINUTES = 10
OTP_MAX_ATTEMPTS = 5
OTP_RESENDS_PER_HOUR = 5
WELCOME_CREDITS = env.int("WELCOME_CREDITS", default=100)
WARRANTY_VALIDITY_DAYS = env.int("WARRANTY_VALIDITY_DAYS", default=90)

# --- Datasets and storage ---------------------------------------------------------------------
# local: files under MEDIA_ROOT, uploaded through signed URLs served by Synthos. s3: any
# S3-compatible store, uploaded and downloaded through presigned URLs.
DATASET_STORAGE = env.str("DATASET_STORAGE", default="local")
if DATASET_STORAGE not in ("local", "s3"):
    raise ImproperlyConfigured(f"DATASET_STORAGE must be local or s3, not {DATASET_STORAGE!r}.")
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="")  # empty: AWS itself
AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default="")  # empty: boto3's own credential chain
AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default="")
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="us-east-1")
if DATASET_STORAGE == "s3" and not AWS_STORAGE_BUCKET_NAME:
    raise ImproperlyConfigured("DATASET_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
# One upload is one PUT, and S3 takes at most 5 GB in one PUT (multipart comes later).
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=5 * 1024**3)
UPLOAD_URL_TTL_SECONDS = env.int("UPLOAD_URL_TTL_SECONDS", default=3600)
DATASET_RETENTION_DAYS = env.int("DATASET_RETENTION_DAYS", default=0)  # 0: keep datasets forever
# Inspection stops a compressed file that decompresses past this (a decompression bomb).
DATASET_MAX_DECOMPRESSED_BYTES = env.int("DATASET_MAX_DECOMPRESSED_BYTES", default=50 * 1024**3)

# --- Payments (Stripe). Without a secret key, buying credits answers 503. ----------------------
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# Only for a local Stripe stand-in (localstripe / stripe-mock); empty means api.stripe.com.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=10.0)
STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300

# --- Task queue (django-q2 reads this once at import) -----------------------------------------
Q_CLUSTER = {
    "name": "synthos",
    "orm": "default",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=3600),
    # retry must exceed timeout, or a slow task is handed out twice while still running.
    "retry": env.int("Q_TIMEOUT", default=3600) + 300,
    "max_attempts": 3,
    "catch_up": False,
    "save_limit": 500,
    "poll": 0.5,
}

# --- Validation jobs -------------------------------------------------------------------------
# A validation job that runs longer than this is stopped and settled: failed, credits refunded.
# It must stay below Q_TIMEOUT (django-q2 kills the task there) and so below Q_CLUSTER["retry"].
VALIDATION_JOB_TIMEOUT_SECONDS = env.int("VALIDATION_JOB_TIMEOUT_SECONDS", default=1800)
# django-q2 re-runs a task whose worker was killed without counting it; we count runs ourselves.
VALIDATION_MAX_ATTEMPTS = env.int("VALIDATION_MAX_ATTEMPTS", default=3)
# A running job writes its heartbeat every VALIDATION_HEARTBEAT_SECONDS; one silent for
# VALIDATION_HEARTBEAT_STALE_SECONDS belongs to a dead worker (the sweeper settles it).
VALIDATION_HEARTBEAT_SECONDS = env.int("VALIDATION_HEARTBEAT_SECONDS", default=15)
VALIDATION_HEARTBEAT_STALE_SECONDS = env.int("VALIDATION_HEARTBEAT_STALE_SECONDS", default=120)
# Progress writes are throttled to about one a second (SQLite holds a web process and a worker).
VALIDATION_PROGRESS_WRITE_SECONDS = env.float("VALIDATION_PROGRESS_WRITE_SECONDS", default=1.0)
VALIDATION_IDEMPOTENCY_TTL_HOURS = env.int("VALIDATION_IDEMPOTENCY_TTL_HOURS", default=24)
if VALIDATION_JOB_TIMEOUT_SECONDS >= Q_CLUSTER["timeout"]:
    raise ImproperlyConfigured("VALIDATION_JOB_TIMEOUT_SECONDS must be below Q_TIMEOUT.")
if VALIDATION_HEARTBEAT_STALE_SECONDS <= 2 * VALIDATION_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured("VALIDATION_HEARTBEAT_STALE_SECONDS must exceed twice VALIDATION_HEARTBEAT_SECONDS.")
if VALIDATION_MAX_ATTEMPTS < 1:
    raise ImproperlyConfigured("VALIDATION_MAX_ATTEMPTS must be at least 1.")

# --- Outbound webhooks -------------------------------------------------------------------------
# One attempt waits this long for the receiver's answer; slower counts as a failed attempt.
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=10.0)
# Seconds after each failed attempt before the next (1 min, 5 min, 30 min, 2 h, 6 h, 12 h:
# seven attempts over about a day); a sweeper running every minute queues the due ones.
WEBHOOKS_RETRY_SCHEDULE_SECONDS = [
    int(part)
    for part in env.list("WEBHOOKS_RETRY_SCHEDULE_SECONDS", default=["60", "300", "1800", "7200", "21600", "43200"])
]
# An endpoint whose deliveries have all failed for this many days is disabled and its owner emailed.
WEBHOOKS_DISABLE_AFTER_DAYS = env.int("WEBHOOKS_DISABLE_AFTER_DAYS", default=3)
# SSRF guard: off (production) refuses receivers that resolve to private, loopback, link-local or
# reserved addresses, at registration and again at every delivery. On by default only with DEBUG.
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", default=DEBUG)
if WEBHOOKS_TIMEOUT_SECONDS <= 0 or WEBHOOKS_TIMEOUT_SECONDS >= Q_CLUSTER["timeout"]:
    raise ImproperlyConfigured("WEBHOOKS_TIMEOUT_SECONDS must be positive and below Q_TIMEOUT.")
if not WEBHOOKS_RETRY_SCHEDULE_SECONDS or min(WEBHOOKS_RETRY_SCHEDULE_SECONDS) <= 0:
    raise ImproperlyConfigured("WEBHOOKS_RETRY_SCHEDULE_SECONDS must list positive numbers of seconds.")
if WEBHOOKS_DISABLE_AFTER_DAYS < 1:
    raise ImproperlyConfigured("WEBHOOKS_DISABLE_AFTER_DAYS must be at least 1.")

# --- Logging: one JSON object a line, carrying the request id ---------------------------------
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "synthos.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "synthos.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
