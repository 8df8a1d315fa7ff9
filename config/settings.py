"""Settings for the portal, read from the environment (django-environ).

Unset ``DATABASE_URL`` / ``REDIS_URL`` mean the embedded defaults (see ``portal.embedded``).
"""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["localhost", "127.0.0.1", "[::1]", "testserver"]),
    EMAIL_PORT=(int, 1025),
)

SECRET_KEY = env("SECRET_KEY", default="insecure-development-key-change-me-0123456789abcdefghijklmnop")
DEBUG = env("DEBUG")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "portal",
    "inventory",
    "gateway",
    "incidents",
    "reporting",
    "premises",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "portal.middleware.RequestIdMiddleware",
    # Remembers whether a request writes; after a write the user's heavy reads stay on the primary for a while.
    "portal.db_routing.ReadYourWritesMiddleware",
    # Cache-Control: no-store, private on every response to a signed-in user or an API token.
    "portal.middleware.NoStoreForAuthenticatedMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
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
                "config.navigation.portal_navigation",
            ],
        },
    },
]

# --- Database: PostgreSQL only -------------------------------------------------------------
if "DATABASE_URL" in os.environ:
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    from portal.embedded import embedded_database_url

    DATABASES = {"default": env.db_url_config(embedded_database_url())}
DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
# A socket folder given as ``?host=/path`` (the embedded server's URL) lands in OPTIONS; Django's own place for it
# is HOST, where every reader of the settings (and ``portal.dbenv``, which hands them to child processes) looks.
if not DATABASES["default"].get("HOST") and DATABASES["default"].get("OPTIONS", {}).get("host"):
    DATABASES["default"]["HOST"] = DATABASES["default"]["OPTIONS"].pop("host")
# JIT compilation costs seconds on report aggregates and milliseconds on short page queries, and pays
# back on neither (measured: ~2 s of a monthly report build), so the portal's sessions switch it off.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
# Parallel developers/CI jobs on one server each get their own test database.
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default="test_portal")}

# --- Read replica (optional; portal.db_routing, docs/operations.md "Read replica") --------------------------
# A PostgreSQL streaming replica of the primary. Only the read-only heavy work reads there (extracts, report
# builds and pages, the restricted-firmware report, the gateway log pages); writes and everything else stay on
# the primary. Unset: one database, no router in the way.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["ENGINE"] = "django.db.backends.postgresql"
    if not DATABASES["replica"].get("HOST") and DATABASES["replica"].get("OPTIONS", {}).get("host"):
        DATABASES["replica"]["HOST"] = DATABASES["replica"]["OPTIONS"].pop("host")
    replica_options = DATABASES["replica"].setdefault("OPTIONS", {})
    replica_options["options"] = "-c jit=off"
    # A stopped replica must fail fast so the read falls back to the primary (portal.db_routing).
    replica_options.setdefault("connect_timeout", env.int("DATABASE_REPLICA_CONNECT_TIMEOUT", default=2))
    replica_options.setdefault("application_name", "portal-replica-reads")
    DATABASES["replica"].setdefault("CONN_MAX_AGE", DATABASES["default"]["CONN_MAX_AGE"])
    # Under test the alias is the primary's test database unless a test starts a real replica (tests/replica).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["portal.db_routing.PrimaryReplicaRouter"]
# Past this many seconds behind, a heavy read falls back to the primary ("primary") or reads the replica
# and says how old its data is ("label").
DATABASE_REPLICA_MAX_LAG_SECONDS = env.float("DATABASE_REPLICA_MAX_LAG_SECONDS", default=30.0)
DATABASE_REPLICA_LAG_POLICY = env.str("DATABASE_REPLICA_LAG_POLICY", default="primary")
# After a user writes, that user's heavy reads stay on the primary this long (a cookie; 0 turns it off).
DATABASE_REPLICA_READ_YOUR_WRITES_SECONDS = env.int("DATABASE_REPLICA_READ_YOUR_WRITES_SECONDS", default=10)
# How long a job waits for the replica to replay what was committed before it started (else: the primary).
DATABASE_REPLICA_CATCHUP_SECONDS = env.float("DATABASE_REPLICA_CATCHUP_SECONDS", default=2.0)
# The replica's lag (and whether it answers) is probed at most this often per process.
DATABASE_REPLICA_PROBE_SECONDS = env.float("DATABASE_REPLICA_PROBE_SECONDS", default=1.0)
if DATABASE_REPLICA_LAG_POLICY not in ("primary", "label"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("DATABASE_REPLICA_LAG_POLICY must be 'primary' or 'label'.")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "portal.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# django-axes first: it refuses a login for a locked-out username + IP before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Brute force (OWASP ASVS 6.1.1 / 6.3.1): 5 failed logins for one username from one IP address lock that
# pair out for 15 minutes; other users, and the same user from elsewhere, are unaffected. A success resets
# the count. The client IP is REMOTE_ADDR (behind a reverse proxy: see docs/security.md).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
# The username as axes reads it, cut to the 255 characters its table holds (a longer one was a 500).
AXES_USERNAME_CALLABLE = "portal.authentication.axes_username"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# WhiteNoise serves static files from gunicorn; finders let the demo run without collectstatic.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / ".local" / "media"))

# --- Redis / Celery ------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
# A separate queue name lets parallel test runs share one Redis without taking each other's tasks.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="celery")
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {
    "outbox-sweep": {"task": "portal.tasks.outbox_sweep_task", "schedule": 30.0},
    # MP121 R121-7: idempotent, so hourly is safe; a breach is escalated within the hour after its due day ends.
    "incidents-detect-sla-breaches": {"task": "incidents.tasks.incident_sla_breaches_detect_task", "schedule": 3600.0},
    "gateway-srlog-partitions": {"task": "gateway.tasks.service_request_log_partitions_ensure_task", "schedule": 86400.0},
    # Last month's report snapshots from the first working day of the month; idempotent, so hourly is safe.
    "reporting-monthly-snapshots": {"task": "reporting.tasks.report_snapshots_monthly_build_task", "schedule": 3600.0},
    # Device extract files are kept for a week (inventory.services.extracts.EXTRACT_RETENTION).
    "inventory-expire-device-extracts": {"task": "inventory.tasks.device_extracts_expire_task", "schedule": 3600.0},
    # Bulk uploads checked and never confirmed are deleted after a day (portal.jobs.CHECKED_JOB_LIFETIME).
    "portal-expire-bulk-checks": {"task": "portal.tasks.job_checks_expire_task", "schedule": 3600.0},
}

# --- Email (SMTP) ---------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env("EMAIL_PORT")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="ssi-noreply@dcc.example")
# The demo's mail catcher and CSP endpoint (portal.demo_mailbox) and their pages: on only in the launcher's demo
# mode (``make demo``), which starts both servers; off, the pages answer 404 and the servers refuse to start.
DEMO_MAILBOX_ENABLED = env.bool("DEMO_MAILBOX_ENABLED", default=False)

# --- Secrets at rest -----------------------------------------------------------------------
# Comma-separated Fernet keys, newest first (MultiFernet: encrypt with the first, decrypt with any).
# Unset (a demo or development installation): the installation's own key, generated on first start into
# .local/field-encryption.key (or FIELD_ENCRYPTION_KEY_FILE), mode 0600, and reused. The source holds no
# key. Production settings refuse to start without the variable.
if os.environ.get("FIELD_ENCRYPTION_KEYS"):
    FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS")
else:
    from portal.embedded import local_field_encryption_key

    FIELD_ENCRYPTION_KEYS = [local_field_encryption_key(os.environ.get("FIELD_ENCRYPTION_KEY_FILE"))]

# --- REST API -------------------------------------------------------------------------------
API_MAX_JSON_BYTES = env.int("API_MAX_JSON_BYTES", default=8 * 1024 * 1024)
# A 100,000-row bulk request (~3 MB) must fit in a request body; Django's default is 2.5 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_JSON_BYTES
REST_FRAMEWORK = {
    "DEFAULT_PARSER_CLASSES": [
        "portal.api.parsers.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "portal.pagination.KeysetPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.exceptions.api_exception_handler",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DCC Self-Service Portal API",
    "DESCRIPTION": "Inventory, MP169 restricted mode, gateway, MP121 install-code requests and reports.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Two choice sets share the field name "status"; name them so the schema (and check --deploy) is clean.
    "ENUM_NAME_OVERRIDES": {
        "DeviceStatusEnum": "inventory.choices.DeviceStatus",
        "CPLStatusEnum": "inventory.choices.CPLStatus",
        "JobStatusEnum": "portal.choices.JobStatus",
        "RestrictionChannelEnum": "inventory.choices.RestrictionChannel",
        "IncidentChannelEnum": "incidents.choices.IncidentChannel",
        "GatewayChannelEnum": "gateway.choices.Channel",
        "TimelineSourceEnum": ["restriction", "supplier_change", "hub_replacement", "alert_withheld", "firmware",
                               "incident"],
        "ReportSourceEnum": ["snapshot", "live"],
    },
}

# --- Security headers -----------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Secure cookies unless told otherwise (the local demo launcher serves plain HTTP and sets SECURE_COOKIES=false).
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"expected_refusals": {"()": "portal.log_filters.ExpectedRefusalsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # A 403 page is logged as one line ("Forbidden (Permission denied): /path"), without a traceback.
        "django.request": {"filters": ["expected_refusals"]},
        "django.db.backends": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
        # At DEBUG the template engine logs whole contexts on a missing variable: never let it.
        "django.template": {"level": "INFO"},
    },
}

# --- DUIS security (gateway.duis.security, gateway.duis.boxed) ---------------------------------
# The DSP's XML-signing key and certificate (paths, PEM or DER). Unset: the public DCC Boxed test DSP
# 90-B3-D5-1F-30-00-00-02 from the DCC Boxed tool (demo and tests only; production sets both).
DUIS_DSP_SIGNING_KEY = env("DUIS_DSP_SIGNING_KEY", default="")
DUIS_DSP_CERTIFICATE = env("DUIS_DSP_CERTIFICATE", default="")
# Where the DCC Boxed tool (npm @smartdcc/duis-sign-wrap) is cached; default <checkout>/.local/dccboxed.
DUIS_BOXED_DIR = env("DUIS_BOXED_DIR", default="")
# Per-process memory of active API tokens (portal.authentication; docs/decisions/0005). 0 turns it off.
API_TOKEN_CACHE_SECONDS = env.int("API_TOKEN_CACHE_SECONDS", default=5)
# The REST gateway's log row is committed with synchronous_commit off (docs/decisions/0005); false: durably.
GATEWAY_LOG_ASYNC_COMMIT = env.bool("GATEWAY_LOG_ASYNC_COMMIT", default=True)
