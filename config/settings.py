"""Cadence settings: one module, read from the environment.

With nothing set, Cadence runs on its embedded defaults (SQLite, Celery eager, local-memory
cache, DEBUG on). Production sets DEBUG=false and the rest; a bad value stops start-up with a
clear message rather than running half-configured.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Set the {name} environment variable.")
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env("SECRET_KEY", "django-insecure-cadence-development-key" if DEBUG else None)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else None)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Where people reach Cadence: links in e-mails (invitations) are built from it. Unset (development),
# each link is built from the request that caused it, so `make run PORT=8101` links to port 8101.
SITE_URL = env("SITE_URL", "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "csp",
    "bootstrap",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.microsoft",
    "allauth.socialaccount.providers.openid_connect",
    "config",
    "accounts",
    "standards",
    "coaching",
    "districts",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise (static files stay cacheable) and outside everything else, so it marks every
    # page Django renders, the lockout page and error pages included.
    "accounts.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # django-allauth's request context (single sign-on); it also turns a refused sign-in into its page.
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.DistrictMiddleware",
    # A lost database connection in a view is the 503 page (config.views.server_error covers the rest).
    "config.middleware.DatabaseUnavailableMiddleware",
    # Last, so it turns a locked-out sign-in into the lockout page (accounts.signin.locked_out).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database host that does not answer is an outage page within seconds, not a request hung for minutes.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("DATABASE_CONNECT_TIMEOUT", 5)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Every request is a transaction (ATOMIC_REQUESTS) that reads before it writes. SQLite's default (deferred)
    # transaction fails at once with "database is locked" when two of them upgrade to writing together (a
    # double tap); an immediate one takes the write lock at BEGIN, so the second waits its turn (up to
    # `timeout` seconds). WAL lets reads go on beside the writer.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE", timeout=20, init_command="PRAGMA journal_mode=WAL;"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "coaching:home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Login throttling (django-axes): 5 failed sign-ins lock that e-mail address at that client address,
# and 20 failures from one client address, whatever the accounts, lock the address; each for 15 minutes
# (counted from the last failure). Locking an account everywhere would let anyone keep a coach out all
# day with five bad passwords; the lockout page links to a password reset, which lifts the account's lock.
# Attempts live in the database (axes' database handler, never the cache), so every process shares the
# count and it survives a Redis outage. The axes backend only refuses locked-out attempts; ModelBackend
# signs people in.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "accounts.signin.SignInThrottle"  # axes has one limit; this adds the address's own
AXES_FAILURE_LIMIT = 5
SIGNIN_ADDRESS_FAILURE_LIMIT = 20
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # an account at one address
AXES_USERNAME_FORM_FIELD = "username"  # the login form's field, which holds the e-mail address
AXES_USERNAME_CALLABLE = "accounts.signin.attempted_email"
AXES_CLIENT_IP_CALLABLE = "accounts.signin.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.signin.locked_out"
# Behind N reverse proxies that each append to X-Forwarded-For, set this to N: otherwise every
# sign-in seems to come from the proxy, and 5 failures anywhere would lock everyone out.
AXES_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Single sign-on (django-allauth): "Sign in with Google / Microsoft" and any OpenID Connect provider
# (Clever, ClassLink), each turned on per district by its admin (districts.models.SignInProvider, which
# districts.signin.DistrictSignIn turns into allauth's apps). SSO never creates an account: it signs in
# people who already have a membership, found by their verified e-mail address. Password sign-in stays
# on Django's login view (so axes throttles it as before); allauth's own account views are not routed.
SOCIALACCOUNT_ADAPTER = "districts.signin.DistrictSignIn"
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"  # the adapter accepts only an address the provider verified
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # linking by e-mail is the adapter's decision, not allauth's
SOCIALACCOUNT_STORE_TOKENS = False  # Cadence calls no provider API after sign-in
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10
SOCIALACCOUNT_OPENID_CONNECT_URL_PREFIX = "oidc"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/Chicago"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Tasks and cache: Redis when REDIS_URL is set, otherwise in-process.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# The queue tasks go to and workers read (`-Q`): installations sharing one Redis keep theirs apart.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "celery")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_TASK_ACKS_LATE = True
# With late acknowledgement, a task whose worker process died (killed, out of memory) goes back to the
# queue instead of being dropped: every task is idempotent, and long jobs count their starts (config.jobs).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Tasks are queued through the outbox (config.celery.enqueue), never by a request itself: publishing fails
# fast and leaves the task in the outbox for the periodic relay.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# A message taken by a worker that then vanished (killed with its pool) goes back to the queue after
# visibility_timeout. It must exceed the longest task (the 5-minute time limit) plus the longest retry
# countdown (config.jobs.BACKOFF_MAX), or a slow task would be delivered twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "visibility_timeout": env_int("BROKER_VISIBILITY_TIMEOUT", 15 * 60),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker reserves one message per process at a time: a killed worker strands no queue of others.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Imports and exports unfinished this long after they were requested are failed by the sweepers.
JOB_DEADLINE_SECONDS = env_int("JOB_DEADLINE_SECONDS", 30 * 60)
# `celery -A config beat` (one beat process per installation). Each periodic task is idempotent, so a
# run missed, repeated or overlapping sends nothing twice. The frequent ones expire after their
# interval, so a stopped worker does not come back to a pile of stale runs.
OUTBOX_RELAY_SECONDS = env_int("OUTBOX_RELAY_SECONDS", 10)
CELERY_BEAT_SCHEDULE = {
    # What the broker missed: tasks still in the outbox (config.celery).
    "relay-outbox": {
        "task": "config.tasks.relay_outbox",
        "schedule": OUTBOX_RELAY_SECONDS,
        "options": {"expires": OUTBOX_RELAY_SECONDS},
    },
    # Proof for /healthz that beat, the broker and a worker all work.
    "heartbeat": {"task": "config.tasks.heartbeat", "schedule": 30, "options": {"expires": 30}},
    # Imports and exports stuck past JOB_DEADLINE_SECONDS end "failed", with a reason.
    "sweep-roster-imports": {"task": "districts.tasks.sweep_imports", "schedule": 60, "options": {"expires": 60}},
    "sweep-exports": {"task": "dashboard.tasks.sweep_exports", "schedule": 60, "options": {"expires": 60}},
    # Create forms' submission keys older than a day (config.forms.run_once).
    "forget-submissions": {"task": "config.tasks.forget_submissions", "schedule": 60 * 60},
    # Digests due in each person's own district time zone (dashboard.digests).
    "send-due-digests": {"task": "dashboard.tasks.send_due_digests", "schedule": 15 * 60},
    # Calendar changes whose e-mail never went (a message the broker itself lost).
    "relay-calendar-events": {"task": "coaching.tasks.relay_calendar_events", "schedule": 15 * 60},
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Nothing waits long on a Redis that is down (only /healthz and the worker heartbeat use the cache).
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(BASE_DIR / "sent-mail"))
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Cadence <cadence@localhost>")

# Security. Production (DEBUG off) gets the full set that `check --deploy` asks for.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_SAVE_EVERY_REQUEST = True  # the age counts from the last request: idle sessions expire
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a load balancer probes each instance over plain HTTP
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Bootstrap draws form controls with data: SVGs.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Invitation and reset tokens travel in URLs, and Django logs the path of every 4xx/5xx response:
# those loggers, and the handler everything reaches, drop the tokens (config/log_filters.py). A 4xx is
# logged in one line, without a traceback, and once: at the root, not by Django's own handler too.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_secrets": {"()": "config.log_filters.RedactSecrets"},
        "answer_not_fault": {"()": "config.log_filters.AnswerNotFault"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_secrets"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
    "loggers": {
        # Django's default configuration gives "django" a console handler of its own, so every record
        # printed twice (there, then at the root): leave the printing to the root.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.request": {"filters": ["redact_secrets", "answer_not_fault"]},
        "django.server": {"filters": ["redact_secrets"]},
    },
}
