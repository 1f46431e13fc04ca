"""Hindsight settings.

Every value that differs between a laptop and a production deploy comes from the
environment through the small helpers below, which fail loudly on a malformed value.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse_lazy

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool = False) -> bool:
    """Return the environment variable `name` read as a boolean."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no or on/off.")


def env_int(name: str, default: int) -> int:
    """Return the environment variable `name` read as an integer."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Return the comma-separated environment variable `name` as a list of non-empty items."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    items = [item.strip() for item in raw.split(",")]
    if any(not item for item in items) and raw.strip():
        raise ImproperlyConfigured(f"{name}={raw!r} has an empty item; separate values with single commas.")
    return [item for item in items if item]


# SQLite as Hindsight runs it: wait for a busy writer, take the write lock when a transaction begins
# (no deadlock upgrading a read lock), and let readers go on while one writes.
SQLITE_OPTIONS = {
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}


def env_database(name: str = "DATABASE_URL") -> dict:
    """Return a DATABASES entry from a postgres:// URL, or SQLite in the project folder."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
            "OPTIONS": dict(SQLITE_OPTIONS),
        }
    url = urlsplit(raw)
    if url.scheme in ("postgres", "postgresql", "pgsql"):
        db_name = unquote(url.path.lstrip("/"))
        if not db_name:
            raise ImproperlyConfigured(f"{name} names no database: add /<name> to the URL.")
        options = dict(parse_qsl(url.query))
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": db_name,
            "USER": unquote(url.username or ""),
            "PASSWORD": unquote(url.password or ""),
            "HOST": url.hostname or "",
            "PORT": str(url.port or ""),
            "CONN_MAX_AGE": env_int("CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    if url.scheme == "sqlite":
        path = unquote(url.path)
        if not path or path == "/":
            raise ImproperlyConfigured(f"{name} names no SQLite file: use sqlite:////absolute/path.db.")
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            "OPTIONS": dict(SQLITE_OPTIONS),
        }
    raise ImproperlyConfigured(f"{name}={raw!r}: only postgres:// and sqlite:// URLs are supported.")


TESTING = "pytest" in sys.modules or env_bool("HINDSIGHT_TESTING")
DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-never-use-in-production"
    else:
        raise ImproperlyConfigured("SECRET_KEY is not set. Set it to a long random string (DEBUG is off).")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    if DEBUG or TESTING:
        ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver", "[::1]"]
    else:
        raise ImproperlyConfigured("ALLOWED_HOSTS is not set. List the host names Hindsight is served on.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "postmortems.admin_site.HindsightAdminConfig",  # the admin, for facilitators only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "markdownx",
    "taggit",
    "axes",
    "csp",
    "postmortems",
    "knowledge",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "postmortems.middleware.QueryNullCharacterMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "postmortems.middleware.NoStoreForSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "postmortems.middleware.UserTimezoneMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a sign-in that axes refused into the lockout page
]

ROOT_URLCONF = "config.urls"

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
                "postmortems.context_processors.roles",
                "postmortems.notification_context.inbox",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {"default": env_database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Hashing strength is not under test; a fast hasher keeps the suite quick.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTHENTICATION_BACKENDS = [
    "postmortems.signin.SignInThrottleBackend",  # refuses sign-in while locked out, then the next one decides
    "django.contrib.auth.backends.ModelBackend",
]

# Sign-in throttling (django-axes; see postmortems/signin.py): failures within the cool-off are counted
# per username and, with a larger limit since many people may share one address, per network address.
SIGNIN_FAILURE_LIMIT = env_int("SIGNIN_FAILURE_LIMIT", 5)
SIGNIN_ADDRESS_FAILURE_LIMIT = env_int("SIGNIN_ADDRESS_FAILURE_LIMIT", 30)
SIGNIN_COOLOFF_MINUTES = env_int("SIGNIN_COOLOFF_MINUTES", 15)
# How many proxies in front of Hindsight append the client's address to X-Forwarded-For (nginx:
# `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;`). 0 reads the socket's address.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0 if (DEBUG or TESTING) else 1)
for _name in ("SIGNIN_FAILURE_LIMIT", "SIGNIN_ADDRESS_FAILURE_LIMIT", "SIGNIN_COOLOFF_MINUTES"):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be at least 1.")
if TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured("TRUSTED_PROXIES cannot be negative.")
AXES_FAILURE_LIMIT = SIGNIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=SIGNIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # SignInHandler relies on this order
AXES_HANDLER = "postmortems.signin.SignInHandler"
AXES_LOCKOUT_CALLABLE = "postmortems.signin.lockout_response"
AXES_CLIENT_IP_CALLABLE = "postmortems.signin.client_address"
AXES_ENABLE_ADMIN = False  # unlock with `manage.py axes_reset_username NAME` or `axes_reset_ip ADDRESS`
AXES_VERBOSE = False

# Calls a minute per signed-in user to the endpoints the editor calls while people type
# (postmortems/ratelimit.py); beyond them the endpoint answers 429 with Retry-After.
RATE_LIMITS = {
    "preview": env_int("RATE_LIMIT_PREVIEW", 120),
    "coach": env_int("RATE_LIMIT_COACH", 120),
    "timeline_paste": env_int("RATE_LIMIT_TIMELINE_PASTE", 30),
    "api": env_int("RATE_LIMIT_API", 300),  # per API token (or session) a minute
}
for _name, _limit in RATE_LIMITS.items():
    if _limit < 1:
        raise ImproperlyConfigured(f"RATE_LIMIT_{_name.upper()} must be at least 1.")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Media are served by postmortems.views.media_file, which checks who may see each image. With this set
# (e.g. /protected-media/), it answers with X-Accel-Redirect to that internal nginx location instead of
# sending the file itself; see the README's deployment section.
MEDIA_ACCEL_REDIRECT_PREFIX = os.environ.get("MEDIA_ACCEL_REDIRECT_PREFIX", "").strip()
if MEDIA_ACCEL_REDIRECT_PREFIX and not MEDIA_ACCEL_REDIRECT_PREFIX.startswith("/"):
    raise ImproperlyConfigured(
        f"MEDIA_ACCEL_REDIRECT_PREFIX={MEDIA_ACCEL_REDIRECT_PREFIX!r} must be a path such as /protected-media/."
    )
MEDIA_MAX_AGE = 3600  # seconds a browser may keep an image (privately: never a shared cache)

# Images dropped into the editor (postmortems/uploads.py): decoded, re-encoded without metadata.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 5 * 1024 * 1024)
UPLOAD_MAX_PIXELS = env_int("UPLOAD_MAX_PIXELS", 40_000_000)  # all frames together: decompression bombs stop here
UPLOAD_MAX_FRAMES = 500
UPLOAD_MAX_DIMENSION = 2000  # larger images are scaled down to fit 2000 × 2000

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Uploaded images on S3-compatible object storage (django-storages; `pip install -e '.[s3]'`) rather than
# MEDIA_ROOT, so that several app servers share them. /media/… still checks who may see each image, then
# redirects to a presigned URL that is valid for MEDIA_S3_URL_SECONDS. The bucket stays private.
MEDIA_STORAGE = os.environ.get("MEDIA_STORAGE", "local").strip().lower() or "local"
if MEDIA_STORAGE not in ("local", "s3"):
    raise ImproperlyConfigured(f"MEDIA_STORAGE={MEDIA_STORAGE!r}: use local (the default) or s3.")
MEDIA_S3_URL_SECONDS = env_int("MEDIA_S3_URL_SECONDS", 300)
MEDIA_ORIGIN = ""  # where the browser fetches images from when that is not Hindsight itself
if MEDIA_STORAGE == "s3":
    AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()
    if not AWS_STORAGE_BUCKET_NAME:
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
    AWS_S3_ENDPOINT_URL = os.environ.get("AWS_S3_ENDPOINT_URL", "").strip().rstrip("/")
    AWS_S3_REGION_NAME = os.environ.get("AWS_S3_REGION_NAME", "").strip()
    if not (AWS_S3_ENDPOINT_URL or AWS_S3_REGION_NAME):
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs AWS_S3_REGION_NAME (AWS) or AWS_S3_ENDPOINT_URL (others).")
    # Path style (https://host/bucket/key) is what most S3-compatible services answer; AWS wants virtual.
    AWS_S3_ADDRESSING_STYLE = os.environ.get(
        "AWS_S3_ADDRESSING_STYLE", "path" if AWS_S3_ENDPOINT_URL else "virtual").strip()
    if AWS_S3_ADDRESSING_STYLE not in ("path", "virtual"):
        raise ImproperlyConfigured(f"AWS_S3_ADDRESSING_STYLE={AWS_S3_ADDRESSING_STYLE!r}: use path or virtual.")
    if MEDIA_S3_URL_SECONDS < 10:
        raise ImproperlyConfigured("MEDIA_S3_URL_SECONDS must be at least 10.")
    _endpoint = urlsplit(AWS_S3_ENDPOINT_URL or f"https://s3.{AWS_S3_REGION_NAME}.amazonaws.com")
    if _endpoint.scheme not in ("http", "https") or not _endpoint.netloc:
        raise ImproperlyConfigured(f"AWS_S3_ENDPOINT_URL={AWS_S3_ENDPOINT_URL!r} is not an http(s) URL.")
    MEDIA_ORIGIN = f"{_endpoint.scheme}://" + (
        _endpoint.netloc if AWS_S3_ADDRESSING_STYLE == "path" else f"{AWS_STORAGE_BUCKET_NAME}.{_endpoint.netloc}")
    # Keys come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment, or the instance's role.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": AWS_S3_ENDPOINT_URL or None,
            "region_name": AWS_S3_REGION_NAME or None,
            "addressing_style": AWS_S3_ADDRESSING_STYLE,
            "signature_version": "s3v4",
            "location": os.environ.get("AWS_LOCATION", "").strip().strip("/"),
            "querystring_auth": True,
            "querystring_expire": MEDIA_S3_URL_SECONDS,
            "file_overwrite": False,
            "default_acl": None,  # the bucket's own: private
            "custom_domain": None,  # a custom domain would serve unsigned URLs, past the access check
        },
    }

# The editor posts a whole post-mortem as one plain form, so that it works without JavaScript and
# every row is validated where it is shown. A long one (2,000 timeline events from a pasted chat
# log, 200 factors, 200 action items) is about 13,000 fields and 1 MB; Django's defaults (1,000
# fields, 2.5 MB) refused about 140 events with "too many fields". The limits below match the
# editor's own (postmortems/forms.py: 3,000 events, 500 factors, 500 action items, 200 sections)
# and still bound what one request can make the server parse.
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 25_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)

# Markdown editor: every preview goes through the one sanitising renderer. Images dropped into it are
# posted to the upload URL, answered by postmortems.views.image_upload (not by markdownx).
MARKDOWNX_MARKDOWNIFY_FUNCTION = "postmortems.markdown.render_markdown"
MARKDOWNX_URLS_PATH = reverse_lazy("markdownx_markdownify")
MARKDOWNX_UPLOAD_URLS_PATH = reverse_lazy("markdownx_upload")
MARKDOWNX_EDITOR_RESIZABLE = True

TAGGIT_CASE_INSENSITIVE = True

# Security: strict by default outside debug; a TLS-terminating proxy sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not (DEBUG or TESTING))
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not (DEBUG or TESTING))
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not (DEBUG or TESTING))
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if (DEBUG or TESTING) else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not (DEBUG or TESTING))
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts, styles, images and fetches from Hindsight's own origin
# only; no inline script, event handler or style attribute anywhere (templates keep behaviour in
# static/js/). Images: the Markdown renderer shows only Hindsight's own uploads.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF],
        "img-src": [csp.SELF],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.NONE],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Images on S3-compatible storage (MEDIA_STORAGE=s3) are fetched by the browser from the bucket's origin.
if MEDIA_ORIGIN:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"] = [csp.SELF, MEDIA_ORIGIN]
# Email (notifications; see postmortems/delivery.py). SMTP when EMAIL_HOST is set, with Django's own
# setting names; in debug mode without one, emails are printed to the console (`make run`).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").strip()
EMAIL_HOST = os.environ.get("EMAIL_HOST", "").strip()
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Hindsight <hindsight@localhost>")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r} must start with http:// or https:// (links in emails use it).")
