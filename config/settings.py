"""Harvest Desk settings: one module, configured from the environment.

With no environment at all the site runs embedded: SQLite under ./data, Celery tasks run
in-process, DEBUG on. DATABASE_URL and REDIS_URL switch to the real servers.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import dj_database_url
import pghistory.config as pghistory_config
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(os.environ.get(name, default))


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", "true")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS")
if not DEBUG:
    # Fail at start-up, not on the first request, and say what is missing.
    missing = [
        n for n, v in (("SECRET_KEY", SECRET_KEY), ("ALLOWED_HOSTS", ALLOWED_HOSTS)) if not v
    ]
    if missing:
        raise ImproperlyConfigured(
            f"DEBUG is off, so {' and '.join(missing)} must be set in the environment "
            "(SECRET_KEY: a long random string; ALLOWED_HOSTS: comma-separated host names)."
        )
else:
    SECRET_KEY = SECRET_KEY or "insecure-embedded-development-key-never-use-in-production"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]", "testserver"]

CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
# The site's public address, for links that leave it (the API's CRM task payloads).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "pgtrigger",  # the audit trail's triggers (PostgreSQL only; none on SQLite)
    "pghistory",
    "advisors",
    "clients",
    "taxlogic",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "advisors.audit.AuditMiddleware",  # who changed what: the audit trail's context
    "clients.access.AccessLogMiddleware",  # who saw which household (pages)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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

# --- Database -------------------------------------------------------------------------------
DATA_DIR = Path(os.environ.get("DATA_DIR", BASE_DIR / "data"))
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("CONN_MAX_AGE", "60"))
    }
    # The web server's guards (config/gunicorn.py sets them for its processes only): a query
    # that runs away is cancelled instead of holding a thread, and DB_POOL shares connections.
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    # PostgreSQL's JIT off (DB_JIT=on keeps it): our queries are short, and a page's aggregate
    # whose estimated cost passes jit_above_cost spent ~200 ms compiling to run in 40 ms
    # (README.md, "Under load").
    _pg_settings = [] if envbool("DB_JIT", "false") else ["-c jit=off"]
    if os.environ.get("DB_STATEMENT_TIMEOUT_MS"):
        _pg_settings.append(f"-c statement_timeout={envint('DB_STATEMENT_TIMEOUT_MS', '0')}")
    if _pg_settings:
        _db_options["options"] = " ".join(_pg_settings)
    if envbool("DB_POOL", "false"):
        _db_options["pool"] = {"min_size": 1, "max_size": envint("DB_POOL_MAX_SIZE", "4")}
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "harvest-desk.sqlite3",
            "OPTIONS": {"timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, broker --------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The page cache (clients/page_cache.py): on with REDIS_URL unless PAGE_CACHE=off.
PAGE_CACHE = envbool("PAGE_CACHE", "true" if REDIS_URL else "false")

# Celery: with REDIS_URL a real broker; without, every task runs in-process (embedded mode).
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True  # progress and results live in our own models
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", "240")
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", "300")
# A crashed worker's unacknowledged tasks come back after this long (the 1-hour default is
# far too slow); it must stay above the hard time limit so no running task is redelivered.
# kombu looks for such messages every unacked_restore_interval × unacked_restore_throttle seconds
# (10 × 10 by default): a throttle of 1 looks every 10 s, so they come back within ~10 minutes.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", "600"),
    "unacked_restore_interval": envint("CELERY_UNACKED_RESTORE_INTERVAL", "10"),
    "unacked_restore_throttle": 1,
}
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True  # a worker started before Redis waits for it

# --- Auth and sessions ----------------------------------------------------------------------
AUTH_USER_MODEL = "advisors.Advisor"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "clients:household_list"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Client financial data: sessions end after 30 idle minutes and with the browser (and after
# SESSION_ABSOLUTE_AGE however active: the security block below).
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", str(30 * 60))
# The idle clock is restarted by saving the session: not on every request (a write and a commit
# for each page) but at most every SESSION_REFRESH_EVERY seconds (advisors/sessions.py), so a
# session ends between 29 and 30 idle minutes after its last request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_EVERY = envint("SESSION_REFRESH_EVERY", "60")
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads no cookie; the token travels in hx-headers on <body>
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "true")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "31536000")

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "static"))
with contextlib.suppress(OSError):  # WhiteNoise warns on every request while it is missing
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- REST API -------------------------------------------------------------------------------
# Integrations authenticate with OAuth2 client credentials (advisors.ApiClient); the site's
# session also works, for the browsable API. Throttle counters live in the default cache,
# which is Redis when REDIS_URL is set.
# The audit trail (advisors/audit.py): event tables are append-only, and each event carries
# its context (who, URL, method) in its own row, so the site's role needs only INSERT there.
PGHISTORY_APPEND_ONLY = True
PGHISTORY_CONTEXT_FIELD = pghistory_config.ContextJSONField()

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "advisors.authentication.ApiClientAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["advisors.permissions.HasApiScope"],
    "DEFAULT_SCHEMA_CLASS": "advisors.api.ApiAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "advisors.pagination.ApiCursorPagination",
    # JSON with a body limit (413) and a nesting limit (400): advisors/parsers.py.
    "DEFAULT_PARSER_CLASSES": ["advisors.parsers.BoundedJSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["advisors.throttling.ApiRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api": os.environ.get("API_RATE_LIMIT", "1200/minute"),
        "anon": os.environ.get("API_ANON_RATE_LIMIT", "60/minute"),
    },
    "EXCEPTION_HANDLER": "advisors.api.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Harvest Desk API",
    "DESCRIPTION": (
        "Households, accounts, tax lots and explained tax-loss-harvesting plans. "
        "Authenticate with OAuth2 client credentials at /o/token/; see docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PersonRoleEnum": "clients.models.PersonRole",
        "AccountTypeEnum": "clients.models.ACCOUNT_TYPE_CHOICES",
        "KindEnum": "clients.models.SecurityKind",  # its name before recommendations had a kind
        "ReviewStatusEnum": "taxlogic.models.ReviewStatus",
        "PlanStatusEnum": "taxlogic.models.PlanStatus",
        "RecommendationStatusEnum": "taxlogic.models.RecommendationStatus",
        "RecommendationKindEnum": "taxlogic.api.KINDS",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "advisors.api.postprocess_error_responses",
    ],
    "OAUTH2_FLOWS": ["clientCredentials"],
    "OAUTH2_TOKEN_URL": "/o/token/",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
OAUTH2_PROVIDER = {
    "SCOPES": {
        "read": "Read households, accounts, lots and plans",
        "write": "Create and change households, people, accounts, lots and transactions",
        "reviews": "Start reviews and decide recommendations",
    },
    "SCOPES_BACKEND_CLASS": "advisors.authentication.ApiClientScopes",
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    # Only the SHA-256 of an access token is stored (RFC 9700 §4.14); secrets are hashed too.
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
}
# advisors.ApiClient links to the application model, which django-oauth-toolkit makes swappable.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"

# --- Security (secauth): second factor, brute force, sessions, headers, email ---------------
# See README.md, Security. Kept in one block; it adjusts the lists defined above.
import datetime as _dt  # noqa: E402

import dj_email_url  # noqa: E402
from csp.constants import NONCE, NONE, SELF  # noqa: E402

INSTALLED_APPS += [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
]
_auth = MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware")
MIDDLEWARE[_auth + 1 : _auth + 1] = [
    "advisors.security_middleware.SessionLimitsMiddleware",
    "advisors.security_middleware.SecondFactorMiddleware",
    "advisors.security_middleware.NoStoreMiddleware",
]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "csp.middleware.CSPMiddleware",
)
MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # answers a locked-out sign-in with 429
AUTHENTICATION_BACKENDS = [
    "advisors.lockout.LockoutBackend",  # django-axes' check, for sign-ins with a request
    "django.contrib.auth.backends.ModelBackend",
]
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    "advisors.authentication.ApiClientAuthentication",
    "advisors.authentication.VerifiedSessionAuthentication",  # a session counts once verified
]

# Second factor (django-otp): TOTP apps and recovery codes; every session passes it.
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Harvest Desk")

# Brute force (django-axes plus advisors/lockout.py).
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", "5")  # per username + address
AXES_COOLOFF_TIME = _dt.timedelta(minutes=envint("AXES_COOLOFF_MINUTES", "15"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # every failure: username, address, UTC time
AXES_CLIENT_IP_CALLABLE = "advisors.lockout.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_SENSITIVE_PARAMETERS = ["password", "code"]
AXES_VERBOSE = False  # no usernames in the server log: they are in axes' tables
LOGIN_IP_FAILURE_LIMIT = envint("LOGIN_IP_FAILURE_LIMIT", "30")  # an address, any usernames
LOGIN_ACCOUNT_DELAY_AFTER = envint("LOGIN_ACCOUNT_DELAY_AFTER", "3")  # then 1 s, 2 s, 4 s …
LOGIN_ACCOUNT_DELAY_MAX = envint("LOGIN_ACCOUNT_DELAY_MAX", "30")
TOKEN_FAILURE_LIMIT = envint("TOKEN_FAILURE_LIMIT", "10")  # bad secrets per client + address
TOKEN_IP_FAILURE_LIMIT = envint("TOKEN_IP_FAILURE_LIMIT", "50")  # per address, any client
TOKEN_FAILURE_WINDOW = envint("TOKEN_FAILURE_WINDOW", "900")
# X-Forwarded-For is read only when the request comes from one of these (IPs or CIDRs).
TRUSTED_PROXIES = envlist("TRUSTED_PROXIES")

# Sessions: SESSION_COOKIE_AGE idle (above), this long at most after the password sign-in.
SESSION_ABSOLUTE_AGE = envint("SESSION_ABSOLUTE_AGE", str(12 * 3600))

# Headers and cookies.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "true")
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "true")
if envbool("HOST_PREFIXED_COOKIES", "false" if DEBUG else "true"):
    # __Host-: Secure, Path=/, no Domain; a sibling subdomain cannot plant them.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# The API's schema and docs: public while developing, signed-in only in production.
API_DOCS_PUBLIC = envbool("API_DOCS_PUBLIC", "true" if DEBUG else "false")

# OAuth2 (RFC 9700): client credentials (and authorization code with S256 only); no implicit
# or password grant, no token in a URL, https redirect URIs, refresh-token replay revokes.
OAUTH2_PROVIDER.update(
    {
        "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
        "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
        "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
        "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
        "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
        "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
        "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
        "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
        "REFRESH_TOKEN_REUSE_PROTECTION": True,
        "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
        "PKCE_REQUIRED": True,
    }
)

# Email (password reset, wash-sale alerts, the daily digest): EMAIL_URL
# (smtp://user:pass@host:587/?tls=True), else EMAIL_BACKEND with EMAIL_HOST, EMAIL_PORT,
# EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS; the console by default (the demo prints
# its mails).
if os.environ.get("EMAIL_URL"):
    vars().update(dj_email_url.parse(os.environ["EMAIL_URL"]))
else:
    EMAIL_BACKEND = os.environ.get(
        "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
    )
    EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
    EMAIL_PORT = envint("EMAIL_PORT", "25")
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "false")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Harvest Desk <no-reply@localhost>")
PASSWORD_RESET_TIMEOUT = envint("PASSWORD_RESET_TIMEOUT", str(3600))
# --- end of the security block ---------------------------------------------------------------

LOGGING = {
    # secauth: axes logs usernames (INFO, WARNING); they are in its tables, not the server log.
    "loggers": {"axes": {"level": "ERROR"}},
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Mail for wash-sale alerts and the advisors' daily digest (taxlogic/watch.py,
# taxlogic/digest.py) is configured in the security block's email settings above.
# Custodian imports (clients/imports): the largest file accepted, the size from which a file
# is read and committed by a task (with a progress bar), where such uploads wait.
IMPORT_MAX_BYTES = envint("IMPORT_MAX_MB", "100") * 1024 * 1024
IMPORT_ASYNC_BYTES = envint("IMPORT_ASYNC_KB", "512") * 1024
IMPORT_DIR = os.environ.get("IMPORT_DIR", str(BASE_DIR / "var" / "imports"))
IMPORT_ASYNC_ROWS = envint("IMPORT_ASYNC_ROWS", "5000")
