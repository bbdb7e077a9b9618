"""OpenEvent settings, read from the environment with working defaults for a laptop.

Production sets at least DEBUG=false, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def installation_secret_key(path: Path) -> str:
    """This installation's own random key, made once into `path` (git-ignored) and read after.

    The key is written aside and linked into place, so processes starting at once agree on one."""
    if not path.exists():
        aside = path.with_name(f"{path.name}.{os.getpid()}")
        with os.fdopen(os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
            file.write(secrets.token_urlsafe(50) + "\n")
        try:
            os.link(aside, path)
        except FileExistsError:  # another process was first: its key is the one
            pass
        finally:
            aside.unlink()
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", True)
# Never a constant: anyone could forge signed tokens (email confirmations, JWTs) with it.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = installation_secret_key(Path(os.environ.get("SECRET_KEY_FILE", BASE_DIR / ".secret-key")))
# Behind HTTPS in production: cookies only over HTTPS, and trust the proxy's scheme header.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
if env_bool("BEHIND_HTTPS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",  # first, so that `runserver` serves ASGI (websockets) too
    "openevent.apps.OpenEventAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_json_api",
    "guardian",
    "anymail",
    "channels",
    "openevent",
    "accounts",
    "events",
    "speakers",
    "orders",
    "forms_builder",
    "remotelab",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc as static files: the docs need no CDN
]

MIDDLEWARE = [
    "openevent.api.ApiErrorMiddleware",  # outermost: sees every answer Django makes
    "openevent.clashes.ClashMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "openevent.urls"
WSGI_APPLICATION = "openevent.wsgi.application"
ASGI_APPLICATION = "openevent.asgi.application"

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
            ],
        },
    },
]

# SQLite by default (or by a sqlite:// DATABASE_URL). IMMEDIATE transactions take the write lock
# up front and the timeout lets concurrent writers queue for it instead of failing with
# "database is locked".
SQLITE_OPTIONS = {"transaction_mode": "IMMEDIATE", "timeout": 20}
DATABASE_URL = os.environ.get("DATABASE_URL", "")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL)
    if DATABASE_URL
    else {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
# Requests run on a pool of long-lived threads (openevent.handler), so each keeps its connection.
DATABASES["default"].update(CONN_MAX_AGE=600, CONN_HEALTH_CHECKS=True)
HTTP_THREADS = int(os.environ.get("HTTP_THREADS", 16))  # per server process
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")


def redis_channel_layers(url: str) -> dict:
    """The channel layers over Redis at `url`. channels_redis waits on Redis 5 s at a time, so
    its client's read timeout must be longer (redis-py's 5 s default closed idle websockets
    and stopped an idle instrument worker)."""
    host = {"address": url, "socket_timeout": 30}
    return {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [host]}}}


if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CHANNEL_LAYERS = redis_channel_layers(REDIS_URL)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
CSRF_FAILURE_VIEW = "openevent.views.csrf_failure"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "events:mine"
LOGOUT_REDIRECT_URL = "home"
ANONYMOUS_USER_NAME = None  # django-guardian: anonymous users get no object permissions

# Password reset: how long a reset link works, and how many may be asked for per hour.
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", 60 * 60))
PASSWORD_RESET_LIMIT_PER_EMAIL = int(os.environ.get("PASSWORD_RESET_LIMIT_PER_EMAIL", 5))
PASSWORD_RESET_LIMIT_PER_IP = int(os.environ.get("PASSWORD_RESET_LIMIT_PER_IP", 20))
PASSWORD_RESET_LIMIT_WINDOW = int(os.environ.get("PASSWORD_RESET_LIMIT_WINDOW", 60 * 60))
# Registrations (each mails a confirmation link) tried per address and per IP in each window.
REGISTRATION_LIMIT_PER_EMAIL = int(os.environ.get("REGISTRATION_LIMIT_PER_EMAIL", 5))
REGISTRATION_LIMIT_PER_IP = int(os.environ.get("REGISTRATION_LIMIT_PER_IP", 20))
REGISTRATION_LIMIT_WINDOW = int(os.environ.get("REGISTRATION_LIMIT_WINDOW", 60 * 60))

# How long an email confirmation link works, and how many may be sent per account per hour.
EMAIL_VERIFICATION_TIMEOUT = int(os.environ.get("EMAIL_VERIFICATION_TIMEOUT", 7 * 24 * 60 * 60))
EMAIL_VERIFICATION_LIMIT = int(os.environ.get("EMAIL_VERIFICATION_LIMIT", 5))
# Role invites (emails to addresses an organizer chooses) one user may send per hour.
INVITE_LIMIT_PER_HOUR = int(os.environ.get("INVITE_LIMIT_PER_HOUR", 50))
# Orders: unpaid ones awaiting an online payment stop holding their tickets after
# ORDER_EXPIRY_MINUTES; a buyer holds at most ORDER_PENDING_LIMIT pending orders per event; a
# POST /v1/orders answer is kept for retries under its Idempotency-Key ORDER_IDEMPOTENCY_HOURS.
ORDER_EXPIRY_MINUTES = int(os.environ.get("ORDER_EXPIRY_MINUTES", 15))
ORDER_PENDING_LIMIT = int(os.environ.get("ORDER_PENDING_LIMIT", 3))
ORDER_IDEMPOTENCY_HOURS = int(os.environ.get("ORDER_IDEMPOTENCY_HOURS", 24))
DISCOUNT_LOOKUP_LIMIT_PER_HOUR = int(os.environ.get("DISCOUNT_LOOKUP_LIMIT_PER_HOUR", 60))
ATTENDEE_UNORDERED_LIMIT = int(os.environ.get("ATTENDEE_UNORDERED_LIMIT", 100))

# Payment providers (orders/payments/): each is offered once its keys are set. The API bases point
# the SDKs at a vendor mock (staging, the tests); PAYMENT_TIMEOUT bounds every call to a provider
# in seconds (to connect, to read the answer).
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "https://api.stripe.com").rstrip("/")
PAYPAL_MODE = os.environ.get("PAYPAL_MODE", "sandbox")  # or "live"
PAYPAL_CLIENT_ID = os.environ.get("PAYPAL_CLIENT_ID", "")
PAYPAL_CLIENT_SECRET = os.environ.get("PAYPAL_CLIENT_SECRET", "")
PAYPAL_API_BASE = os.environ.get(
    "PAYPAL_API_BASE", "https://api.paypal.com" if PAYPAL_MODE == "live" else "https://api.sandbox.paypal.com"
).rstrip("/")
PAYMENT_START_LIMIT_PER_HOUR = int(os.environ.get("PAYMENT_START_LIMIT_PER_HOUR", 30))  # checkouts per buyer
PAYMENT_TIMEOUT = (
    float(os.environ.get("PAYMENT_CONNECT_TIMEOUT", 5)),
    float(os.environ.get("PAYMENT_READ_TIMEOUT", 20)),
)
# Failed logins allowed per address and per IP in each window (seconds).
LOGIN_LIMIT_PER_EMAIL = int(os.environ.get("LOGIN_LIMIT_PER_EMAIL", 10))
LOGIN_LIMIT_PER_IP = int(os.environ.get("LOGIN_LIMIT_PER_IP", 50))
LOGIN_LIMIT_WINDOW = int(os.environ.get("LOGIN_LIMIT_WINDOW", 15 * 60))
# How many reverse proxies in front of the app append to X-Forwarded-For (0: none).
TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", 0))

# Where links in emails point: this site unless a separate frontend serves the pages.
FRONTEND_URL = os.environ.get("FRONTEND_URL", "http://127.0.0.1:8000").rstrip("/")

DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "OpenEvent <noreply@openevent.local>")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Send mail from a background thread, so no answer waits for (or reveals) a mail being sent.
EMAIL_SEND_IN_BACKGROUND = env_bool("EMAIL_SEND_IN_BACKGROUND", True)
# With EMAIL_BACKEND=anymail.backends.<esp>.EmailBackend, ANYMAIL_* variables configure the ESP.
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value for key, value in os.environ.items() if key.startswith("ANYMAIL_")
}

# The remote lab: which PSLab (`sim`, or `serial:/dev/ttyACM0`), and the limits of a script run.
REMOTELAB_INSTRUMENT = os.environ.get("REMOTELAB_INSTRUMENT", "sim")
# `local`: each process drives the PSLab itself (one process, as `make run`). `worker`: only
# `manage.py runworker remotelab-instrument` does; web processes ask it over the channel layer.
REMOTELAB_INSTRUMENT_PROCESS = os.environ.get("REMOTELAB_INSTRUMENT_PROCESS", "local")
REMOTELAB_INSTRUMENT_TIMEOUT = int(os.environ.get("REMOTELAB_INSTRUMENT_TIMEOUT", 10))
# Each user may have REMOTELAB_INSTRUMENT_BUDGET seconds of the PSLab's time (function strings
# and scripts' calls alike) in any REMOTELAB_INSTRUMENT_BUDGET_WINDOW seconds; past it, 429.
REMOTELAB_INSTRUMENT_BUDGET = float(os.environ.get("REMOTELAB_INSTRUMENT_BUDGET", 20))
REMOTELAB_INSTRUMENT_BUDGET_WINDOW = int(os.environ.get("REMOTELAB_INSTRUMENT_BUDGET_WINDOW", 60))
# A call whose turn at the PSLab has not come in this many seconds is refused (503); keep it
# below REMOTELAB_INSTRUMENT_TIMEOUT, a web process's wait for the instrument worker's answer.
REMOTELAB_INSTRUMENT_WAIT = float(os.environ.get("REMOTELAB_INSTRUMENT_WAIT", 5))
# A function string (POST /v1/remotelab/eval, the websocket's eval) holds its thread while it waits
# for the PSLab: a web process lets this many wait (or run) at once, each user one; past it, 503.
REMOTELAB_INSTRUMENT_MAX_WAITING = int(os.environ.get("REMOTELAB_INSTRUMENT_MAX_WAITING", 4))
REMOTELAB_SCRIPT_TIMEOUT = int(os.environ.get("REMOTELAB_SCRIPT_TIMEOUT", 20))  # wall-clock seconds
REMOTELAB_SCRIPT_CPU_SECONDS = int(os.environ.get("REMOTELAB_SCRIPT_CPU_SECONDS", 5))
REMOTELAB_SCRIPT_MEMORY_BYTES = int(os.environ.get("REMOTELAB_SCRIPT_MEMORY_MB", 256)) * 1024 * 1024
REMOTELAB_SCRIPT_TMP_BYTES = int(os.environ.get("REMOTELAB_SCRIPT_TMP_MB", 8)) * 1024 * 1024
REMOTELAB_SCRIPT_MAX_OUTPUT_BYTES = int(os.environ.get("REMOTELAB_SCRIPT_MAX_OUTPUT_KB", 1024)) * 1024
REMOTELAB_SCRIPT_MAX_WIDGETS = int(os.environ.get("REMOTELAB_SCRIPT_MAX_WIDGETS", 500))
REMOTELAB_SCRIPT_MAX_CALLS = int(
    os.environ.get("REMOTELAB_SCRIPT_MAX_CALLS", 2000)
)  # instrument calls per run
REMOTELAB_SCRIPT_MAX_FILES = int(os.environ.get("REMOTELAB_SCRIPT_MAX_FILES", 32))  # open at once
# Processes and threads a run may have (the first is its Python). Where only rlimits bound a run, the
# memory budget is shared among them: 4 leaves each about 60 MB of the default 256 MB.
REMOTELAB_SCRIPT_MAX_PROCESSES = int(os.environ.get("REMOTELAB_SCRIPT_MAX_PROCESSES", 4))
REMOTELAB_MAX_RUNS = int(os.environ.get("REMOTELAB_MAX_RUNS", 2))  # scripts running at once, per process
# The interpreter inside the sandbox (standard library only): the system's, under /usr.
REMOTELAB_SANDBOX_PYTHON = os.environ.get("REMOTELAB_SANDBOX_PYTHON", "/usr/bin/python3")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "EXCEPTION_HANDLER": "openevent.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "openevent.api.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_PARSER_CLASSES": [
        "openevent.parsers.JSONAPIParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["openevent.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "openevent.negotiation.ContentNegotiation",
    "DEFAULT_METADATA_CLASS": "rest_framework_json_api.metadata.JSONAPIMetadata",
    "DEFAULT_FILTER_BACKENDS": [
        "openevent.api.QueryParameterValidationFilter",
        "openevent.api.OrderingFilter",
        "openevent.api.FieldFilter",
        "openevent.filtering.OpenEventFilter",
        "openevent.api.SearchFilter",
    ],
    "SEARCH_PARAM": "filter[search]",
    "DEFAULT_SCHEMA_CLASS": "openevent.schema.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OpenEvent API",
    "DESCRIPTION": "JSON:API 1.0 with dasherized names; the wire contract is shared/docs/API.md. Each "
    "operation's summary says, in brackets, who may call it. *Event admins* are an event's owner, "
    "organizers and coorganizers, and site admins.",
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["openevent.schema.without_aliases"],
}
JSON_API_FORMAT_FIELD_NAMES = "dasherize"
JSON_API_FORMAT_TYPES = "dasherize"
JSON_API_PLURALIZE_TYPES = False

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=int(os.environ.get("JWT_ACCESS_MINUTES", 15))),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=int(os.environ.get("JWT_REFRESH_DAYS", 7))),
    "AUTH_HEADER_TYPES": ("JWT", "Bearer"),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub_tokens": {"()": "openevent.logfilters.ScrubTokens"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["scrub_tokens"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django": {"handlers": [], "propagate": True}},  # to the root handler, once
}
