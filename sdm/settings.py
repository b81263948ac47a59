"""Settings for SDM, read from environment variables (see README "Configuration").

Nothing here reads patient data; nothing here may be imported by questionnaires.engine.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Development only: a fixed key is fine because DEBUG never runs in production.
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # modeltranslation must come before the admin so its admin integration wins.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "nested_admin",
    "simple_history",
    "formtools",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "questionnaires",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "questionnaires.middleware.RejectUndecodableForms",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "questionnaires.middleware.StaffSessionLimits",
    "questionnaires.middleware.RequireSecondFactor",
    "questionnaires.middleware.NoStore",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "sdm.urls"
WSGI_APPLICATION = "sdm.wsgi.application"
ASGI_APPLICATION = "sdm.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'sdm.sqlite3'}"),
        # Kept open between requests (issue 14: a new PostgreSQL connection per request was a
        # large share of a step under load); the health check replaces one that the server
        # closed, so a restart of PostgreSQL costs one failed ping, not an error page.
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Row locks do not exist on SQLite; IMMEDIATE transactions serialise writers instead,
    # so two tabs saving the same response cannot interleave.
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "questionnaires" / "locale"]
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# Display formats per language (sdm/formats/<lang>/formats.py): "4 December 2026" in English
# instead of Django's American "Dec. 4, 2026"; Chinese keeps Django's "2026年12月4日".
FORMAT_MODULE_PATH = ["sdm.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("SDM_PLAIN_STATIC", default=False)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Summary PDFs (patient data) live in a storage of their own: a private folder that no URL
# serves (never under STATIC_ROOT or a MEDIA_ROOT; the storage refuses to make URLs). Only
# the audited download views read them (questionnaires/views/summary.py). The web and the
# render workers must share it. Another backend (an object store through django-storages,
# say) may replace it here, with the same rule: private, no public URL.
SUMMARY_STORAGE_DIR = Path(os.environ.get("SUMMARY_STORAGE_DIR", BASE_DIR / "var" / "summaries"))
STORAGES["summaries"] = {
    "BACKEND": "questionnaires.storage.PrivateFileSystemStorage",
    "OPTIONS": {
        "location": str(SUMMARY_STORAGE_DIR),
        "base_url": None,
        "file_permissions_mode": 0o640,
        "directory_permissions_mode": 0o750,
    },
}
# Behind nginx: the URL prefix of an ``internal`` location aliased to SUMMARY_STORAGE_DIR
# (docs/deploy.md). When set, a download answers with X-Accel-Redirect and nginx sends the
# file; Python checks access and writes the audit row only. Empty: Django streams the file.
SUMMARY_X_ACCEL_PREFIX = os.environ.get("SUMMARY_X_ACCEL_PREFIX", "")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "clinician:dashboard"
LOGOUT_REDIRECT_URL = "login"

# Nothing about a patient lives in the session: the wizard stores answers in the
# database, keyed by the response. Sessions only carry staff logins.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Staff sessions end after SDM_STAFF_IDLE_MINUTES without a request and, at the latest,
# SDM_STAFF_SESSION_HOURS after logging in (questionnaires.middleware.StaffSessionLimits).
SDM_STAFF_IDLE_MINUTES = int(os.environ.get("SDM_STAFF_IDLE_MINUTES", "15"))
SDM_STAFF_SESSION_HOURS = int(os.environ.get("SDM_STAFF_SESSION_HOURS", "10"))
SESSION_COOKIE_AGE = 60 * 60 * SDM_STAFF_SESSION_HOURS
# A second factor (TOTP, django-otp) for every staff login: on by default in production,
# off for `make run`'s DEBUG demo.
SDM_REQUIRE_MFA = env_bool("SDM_REQUIRE_MFA", default=not DEBUG)
OTP_TOTP_ISSUER = os.environ.get("SDM_OTP_ISSUER", "SDM clinic")
# A staff member's TOTP secret (and its QR code) is theirs alone: an admin who could read
# it could pass anyone's second factor. The admin keeps listing and removing devices
# (to reset a lost phone); the config and QR-code pages answer 403.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# The patient URL holds the invitation token: never send it to another origin. ("no-referrer"
# would be stricter but makes Chrome send "Origin: null" on form posts, which CSRF refuses.)
SECURE_REFERRER_POLICY = "same-origin"

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # The preload directive only allows submitting the domain to browser lists; it submits nothing.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_PROXY_SSL_HEADER = (
        ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY") else None
    )

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# The cache holds the guess counters (questionnaires/throttle.py), which every gunicorn
# worker and app server must share and a restart must not reset: Redis where REDIS_URL is
# set, else a table in the database (`manage.py createcachetable`). Process memory only for
# DEBUG development (and the test settings).
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "sdm"),
        }
    }
elif DEBUG:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "sdm_cache",
            # incr() here rewrites the entry with the default timeout: keep it longer than
            # any counting window so a counter never expires early.
            "TIMEOUT": 3600,
        }
    }

# Who a client is, for the guess back-off: REMOTE_ADDR, or the header the TLS proxy in
# front of gunicorn sets (never trust a header no proxy of ours overwrites).
SDM_CLIENT_ADDRESS_HEADER = os.environ.get("SDM_CLIENT_ADDRESS_HEADER", "")
SDM_TRUSTED_PROXY_COUNT = int(os.environ.get("SDM_TRUSTED_PROXY_COUNT", "1"))
# Wrong invitation tokens / type-in codes and wrong staff passwords: this many failures
# per window are free, then each failure doubles a wait from BASE up to MAX seconds.
SDM_BACKOFF_BASE_SECONDS = float(os.environ.get("SDM_BACKOFF_BASE_SECONDS", "2"))
SDM_BACKOFF_MAX_SECONDS = float(os.environ.get("SDM_BACKOFF_MAX_SECONDS", "900"))
SDM_GUESS_WINDOW_SECONDS = int(os.environ.get("SDM_GUESS_WINDOW_SECONDS", "600"))
SDM_GUESS_FREE_PER_ADDRESS = int(os.environ.get("SDM_GUESS_FREE_PER_ADDRESS", "20"))
SDM_GUESS_FREE_GLOBAL = int(os.environ.get("SDM_GUESS_FREE_GLOBAL", "1000"))
SDM_LOGIN_WINDOW_SECONDS = int(os.environ.get("SDM_LOGIN_WINDOW_SECONDS", "900"))
SDM_LOGIN_FREE_PER_ACCOUNT = int(os.environ.get("SDM_LOGIN_FREE_PER_ACCOUNT", "5"))
SDM_LOGIN_FREE_PER_ADDRESS = int(os.environ.get("SDM_LOGIN_FREE_PER_ADDRESS", "30"))
SDM_PASSWORD_RESET_FREE_PER_ADDRESS = int(
    os.environ.get("SDM_PASSWORD_RESET_FREE_PER_ADDRESS", "5")
)

TASKS_IN_WORKERS = os.environ.get("TASKS_BACKEND", "immediate") == "database"
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks_db.DatabaseBackend"
            if TASKS_IN_WORKERS
            else "django_tasks.backends.immediate.ImmediateBackend"
        )
    }
}
# With db_worker processes the summary PDFs are rendered right after a submit. With the
# immediate backend that would make the patient's submit wait for two renders, so the
# PDFs are rendered on first download instead (the HTML summary is there at once).
SDM_SUMMARY_RENDER_ON_SUBMIT = env_bool("SDM_SUMMARY_RENDER_ON_SUBMIT", default=TASKS_IN_WORKERS)

# Patient data never goes to logs: we log events and ids, never answers or free text,
# and the request logger drops URLs (they can carry an invitation token).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_token_urls": {"()": "questionnaires.logging.RedactPatientUrls"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["no_token_urls"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # WeasyPrint reports layout progress at INFO: noise, and it can quote document text.
        "weasyprint": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}


# E-mail, for staff password resets: EMAIL_URL=smtp://user:password@host:587 (STARTTLS),
# smtps://…:465 (TLS), or console: for development. Without it, password reset by e-mail is
# switched off and the page says to ask an administrator.
def _email_settings(url: str) -> dict:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme not in {"smtp", "smtps"}:
        raise ImproperlyConfigured("EMAIL_URL must start with smtp://, smtps:// or console:")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 587),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_USE_TLS": parts.scheme == "smtp" and parts.port != 25,
        "EMAIL_TIMEOUT": 10,
    }


EMAIL_URL = os.environ.get("EMAIL_URL", "")
SDM_PASSWORD_RESET_BY_EMAIL = bool(EMAIL_URL)
if EMAIL_URL:
    globals().update(_email_settings(EMAIL_URL))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "sdm@localhost")

# Project settings
SDM_INVITATION_DAYS = int(os.environ.get("SDM_INVITATION_DAYS", "14"))
SDM_DRAFT_RETENTION_DAYS = int(os.environ.get("SDM_DRAFT_RETENTION_DAYS", "90"))
SDM_BASE_URL = os.environ.get("SDM_BASE_URL", "http://127.0.0.1:8000")
SDM_PDF_TIME_LIMIT_SECONDS = int(os.environ.get("SDM_PDF_TIME_LIMIT_SECONDS", "60"))
# A render claimed longer ago than this lost its worker: `sdm_worker` gives it back to the
# queue (default twice the time limit plus a minute; never below the time limit).
SDM_RENDER_LEASE_SECONDS = int(os.environ.get("SDM_RENDER_LEASE_SECONDS", "0")) or None
SDM_WORKER_SWEEP_SECONDS = float(os.environ.get("SDM_WORKER_SWEEP_SECONDS", "30"))
SDM_CLINICIAN_LANGUAGE = os.environ.get("SDM_CLINICIAN_LANGUAGE", "en")
# Dotted path of a class translating patients' free text for clinicians
# (questionnaires.free_text.TranslationProvider); empty: none, the text is marked instead.
SDM_TRANSLATION_PROVIDER = os.environ.get("SDM_TRANSLATION_PROVIDER", "")
