"""Settings for creditbank, all from the environment (DESIGN.md "Contracts").

``CREDITBANK_ENV=production`` turns on the hardened settings that ``check --deploy`` wants;
development is the default so that ``make run`` works on http://127.0.0.1:8000.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(os.environ.get("CREDITBANK_BASE_DIR", PACKAGE_DIR.parent))
VAR_DIR = Path(os.environ.get("CREDITBANK_VAR_DIR", BASE_DIR / "var"))
ASSETS_DIR = Path(os.environ.get("CREDITBANK_ASSETS_DIR", BASE_DIR / "node_modules"))
ENVIRONMENT = os.environ.get("CREDITBANK_ENV", "development")
PRODUCTION = ENVIRONMENT == "production"
TESTING = os.environ.get("CREDITBANK_TESTING") == "1" or "pytest" in sys.modules


def _secret_from_var(name: str, env: str, nbytes: int = 48) -> str:
    """A secret from the environment, else generated once into var/ (DESIGN.md contract)."""
    value = os.environ.get(env)
    if value:
        return value
    if PRODUCTION:
        raise RuntimeError(f"{env} must be set in production.")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(nbytes))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_from_var("secret_key", "SECRET_KEY")
CREDITBANK_PII_KEY = _secret_from_var("pii_key", "CREDITBANK_PII_KEY")
CREDITBANK_PII_OLD_KEYS = [k for k in os.environ.get("CREDITBANK_PII_OLD_KEYS", "").split(",") if k]
# The deployment's Ed25519 key (a base64url 32-byte seed): signs ledger checkpoints and credentials.
CREDITBANK_SIGNING_KEY = _secret_from_var("signing_key", "CREDITBANK_SIGNING_KEY", nbytes=32)
# Where the public reaches this deployment: the did:web issuer, QR codes and checkpoint origin derive from it.
CREDITBANK_PUBLIC_URL = os.environ.get("CREDITBANK_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# The deployment's name and seal text on transcripts and credentials (学分银行名称, 印章文字).
CREDITBANK_ISSUER_NAME = os.environ.get("CREDITBANK_ISSUER_NAME", "终身教育学分银行")
CREDITBANK_SEAL_TEXT = os.environ.get("CREDITBANK_SEAL_TEXT", "终身教育学分银行管理中心")
# The tamper-evident ledger (docs/operations.md "Ledger"): where checkpoints are published
# ("file:/path" or "webhook:https://…", comma-separated), how often the worker signs one, and the
# per-minute limit of each client on the public proof API.
CREDITBANK_LEDGER_ANCHORS = [a.strip() for a in os.environ.get("CREDITBANK_LEDGER_ANCHORS", "").split(",") if a.strip()]
CREDITBANK_LEDGER_CHECKPOINT_SECONDS = int(os.environ.get("CREDITBANK_LEDGER_CHECKPOINT_SECONDS", "600"))
CREDITBANK_LEDGER_RATE_LIMIT = int(os.environ.get("CREDITBANK_LEDGER_RATE_LIMIT", "600"))

DEBUG = os.environ.get("CREDITBANK_DEBUG", "0" if PRODUCTION else "1") == "1" and not TESTING
ALLOWED_HOSTS = [
    h for h in os.environ.get("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # serves Swagger UI from our own static files: CSP allows no CDN (api/docs)
    "csp",
    "django_tasks",
    "django_tasks_db",
    "creditbank.core",
    "creditbank.orgs",
    "creditbank.accounts",
    "creditbank.audit",
    "creditbank.reviews",
    "creditbank.imports",
    "creditbank.catalog",
    "creditbank.archive",
    "creditbank.conversion",
    "creditbank.ledger",
    "creditbank.credentials",
    "creditbank.recognition",
    "creditbank.portal",
    "creditbank.console",
    "creditbank.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "creditbank.core.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "creditbank.core.context.RequestContextMiddleware",
]

ROOT_URLCONF = "creditbank.urls"
WSGI_APPLICATION = "creditbank.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/me/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "creditbank.core.ui.ui_context",
                "creditbank.reviews.context_processors.inbox",
            ],
        },
    }
]

_default_db = f"sqlite:///{VAR_DIR / 'creditbank.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_db))}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets the web server read while the task worker writes; IMMEDIATE avoids upgrade deadlocks.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    # Persistent connections: 228 → 1,409 requests/s for a minimal JSON view here (DESIGN.md).
    # (Tests close connections after each request, so that live-server threads leave none behind.)
    DATABASES["default"]["CONN_MAX_AGE"] = 0 if TESTING else int(os.environ.get("CONN_MAX_AGE", "600"))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if TESTING:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
elif REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if TESTING
        else os.environ.get("CREDITBANK_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["creditbank.accounts.backends.IdentityBackend"]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [Path(os.environ.get("CREDITBANK_LOCALE_DIR", PACKAGE_DIR / "locale"))]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
if not PRODUCTION:
    # WhiteNoise warns about a missing STATIC_ROOT in development; collectstatic fills it in production.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [
    (prefix, ASSETS_DIR / sub)
    for prefix, sub in (
        ("vendor/bootstrap", "bootstrap/dist"),
        ("vendor/htmx", "htmx.org/dist"),
        ("vendor/echarts", "echarts/dist"),
    )
    if (ASSETS_DIR / sub).is_dir()
]
# The package's own CSS/JS (creditbank/static/creditbank/…): the package itself is not an installed app.
STATICFILES_DIRS.append(PACKAGE_DIR / "static")  # type: ignore[arg-type]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "media")},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
CREDITBANK_IMPORT_MAX_BYTES = int(os.environ.get("CREDITBANK_IMPORT_MAX_BYTES", str(200 * 1024 * 1024)))

SESSION_COOKIE_AGE = 8 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# Identity: lockout and phone codes (docs/operations.md).
CREDITBANK_LOGIN_MAX_FAILURES = int(os.environ.get("CREDITBANK_LOGIN_MAX_FAILURES", "5"))
CREDITBANK_LOGIN_LOCK_MINUTES = int(os.environ.get("CREDITBANK_LOGIN_LOCK_MINUTES", "15"))
CREDITBANK_SMS_BACKEND = os.environ.get("CREDITBANK_SMS_BACKEND", "creditbank.accounts.sms.LoggingSmsBackend")
CREDITBANK_PHONE_CODE_TTL = 600
# Self-deposits (with evidence files) a learner may file per day.
CREDITBANK_DEPOSITS_PER_DAY = int(os.environ.get("CREDITBANK_DEPOSITS_PER_DAY", "30"))
CREDITBANK_API_TOKEN_DAYS = int(os.environ.get("CREDITBANK_API_TOKEN_DAYS", "30"))
# Review events that also send the learner an SMS through CREDITBANK_SMS_BACKEND (the inbox always has them).
CREDITBANK_SMS_EVENTS = frozenset(
    e.strip() for e in os.environ.get("CREDITBANK_SMS_EVENTS", "").split(",") if e.strip()
)
# Days an open application may wait before the queue shows it overdue, per kind of application
# (CREDITBANK_REVIEW_LIMIT_DAYS="account_opening=5,deposit=15"; kinds not named use "default").
CREDITBANK_REVIEW_LIMIT_DAYS = {
    "default": 10,
    "account_opening": 5,
    "deposit": 15,
    **{
        kind.strip(): int(days)
        for kind, _sep, days in (
            item.partition("=") for item in os.environ.get("CREDITBANK_REVIEW_LIMIT_DAYS", "").split(",") if "=" in item
        )
        if days.strip().isdigit()
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "creditbank": {"handlers": ["console"], "level": os.environ.get("CREDITBANK_LOG_LEVEL", "INFO")},
        "django": {"handlers": ["console"], "level": "WARNING"},
    },
}

NINJA_PAGINATION_PER_PAGE = 50
