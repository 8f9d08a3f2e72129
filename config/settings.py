"""Settings, read from the environment.

With nothing set the site runs on the embedded default: SQLite, Celery tasks run eagerly
in-process, local-memory cache. Production sets DATABASE_URL (PostgreSQL) and REDIS_URL
(Celery broker and cache) and runs separate worker and beat processes.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.csp import CSP

from core.storage import s3_storage

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))
# The embedded default keeps its SQLite file, uploads and generated documents here.
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env(
    DEBUG=(bool, True),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost", "[::1]", "testserver"]),
    CSRF_TRUSTED_ORIGINS=(list, []),
    REDIS_URL=(str, ""),
    CELERY_TASK_ALWAYS_EAGER=(bool, None),
    EMAIL_URL=(str, "consolemail://"),
    SECURE_COOKIES=(bool, None),
)

DEBUG = env("DEBUG")
SECRET_KEY = env.str(
    "SECRET_KEY",
    default="insecure-development-key-only-for-the-embedded-default"
    if DEBUG
    else environ.Env.NOTSET,
)
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "core",
    "grading",
    "declarations",
    "review",
    "emergency_list",
    "publication",
    "demo",
]

MIDDLEWARE = [
    "core.middleware.RequestGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "grading.middleware.AccountGateMiddleware",
]

if not DEBUG:  # runserver serves static files itself in development
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

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
                "django.template.context_processors.i18n",
                "core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Page queries are short; compiling them (PostgreSQL's JIT above its cost threshold) took
    # longer than running them, e.g. +120 ms on the province alert's totals of 0.36 s.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "grading.User"
AUTHENTICATION_BACKENDS = [
    # Lockout is keyed on the account, not the address: a county bureau shares one IP.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    # Inactive accounts (registrations awaiting the county) get their own message on login.
    "grading.backends.AccountBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "grading.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "grading.passwords.CommonPatternValidator"},
    {"NAME": "grading.passwords.PasswordHistoryValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inbox"
LOGOUT_REDIRECT_URL = "login"

# 等保三级: idle sessions end after 30 minutes; every request renews the clock.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True

# Production is served over TLS (terminated by the proxy in front): secure cookies, HSTS and the
# redirect to https are on unless explicitly turned off. The embedded default (DEBUG) is plain
# http on loopback.
HTTPS = env.bool("HTTPS", default=not DEBUG)
_secure_cookies = env("SECURE_COOKIES")
SESSION_COOKIE_SECURE = HTTPS if _secure_cookies is None else _secure_cookies
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS)
# The container health check asks over plain http from inside.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS)
if env.bool("BEHIND_PROXY", default=not DEBUG):
    # The proxy sets X-Forwarded-Proto; only it can reach the web processes.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every page: scripts only from the site itself (no inline script, no CDN); inline style
# attributes are allowed (templates size table columns with them).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
# The lock ends 30 minutes after the fifth failure, as the login page says; retries while
# locked do not push it further out.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
# Uploaded evidence and generated documents live outside the web root and are served only
# through permission-checked views.
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Object storage shared by web and workers (no shared disk): STORAGE_URL
#   s3://KEY:SECRET@host[:port]/bucket[?region=…&prefix=…]   (HTTPS)
#   s3+http://KEY:SECRET@minio:9000/bucket    (plain HTTP, e.g. MinIO beside the site)
# Empty: the local folder MEDIA_ROOT (the embedded default). Every file goes through Django's
# storage API; downloads stream through the site's permission-checked views, never a public URL.
STORAGE_URL = env.str("STORAGE_URL", default="")
if STORAGE_URL:
    STORAGES["default"] = s3_storage(STORAGE_URL)

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # Redis down: pages still serve (sessions are in the database), the cache
                # answers "miss" and the failure is logged; starting a job says plainly that
                # background work is unavailable (core.jobs.broker_check).
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
_eager = env("CELERY_TASK_ALWAYS_EAGER")
CELERY_TASK_ALWAYS_EAGER = (not REDIS_URL) if _eager is None else _eager
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# A task whose pool child dies (killed, out of memory) goes back to the queue and runs again;
# core.jobs counts the attempts and ends the job failed past JOB_MAX_ATTEMPTS.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A message taken by a worker that vanished whole is delivered again after this long. It must
# exceed the longest task (the province export's hard limit, 45 min) and the longest retry
# countdown (30 min), or a running task would be handed to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("BROKER_VISIBILITY_TIMEOUT", default=60 * 60),
    "socket_connect_timeout": 5,
    "socket_timeout": 30,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Background jobs (core.jobs): heartbeat every JOB_HEARTBEAT_SECONDS; a run silent for
# JOB_STALE_SECONDS is ended by the beat task fail_stalled_jobs and its job marked failed.
JOB_HEARTBEAT_SECONDS = env.int("JOB_HEARTBEAT_SECONDS", default=10)
JOB_STALE_SECONDS = env.int("JOB_STALE_SECONDS", default=90)
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=3)
# How far each worker pool child may grow while it works (MiB of address space beyond what it
# holds once started; 0: no cap): an import that would grow past it fails with a MemoryError
# its job reports, rather than being killed by the kernel. docker-compose sets it per queue.
WORKER_MEMORY_LIMIT_MB = env.int("WORKER_MEMORY_LIMIT_MB", default=0)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_TIMEZONE = TIME_ZONE
# Queues by kind of work, each with its own workers (docker-compose.yml): what people wait for
# (approval forms, notifications) never queues behind a province export.
CELERY_TASK_DEFAULT_QUEUE = "forms"
CELERY_TASK_ROUTES = {
    "core.tasks.send_notification_emails": {"queue": "forms"},
    "core.tasks.fail_stalled_jobs": {"queue": "forms"},
    "core.tasks.prune_audit_trail": {"queue": "forms"},
    "review.tasks.render_approval_form": {"queue": "forms"},
    "review.tasks.render_case_form": {"queue": "forms"},
    "review.tasks.remind_reapplications": {"queue": "forms"},
    "declarations.tasks.render_package": {"queue": "documents"},
    "emergency_list.tasks_documents.*": {"queue": "documents"},
    "review.bundle_tasks.render_bundle": {"queue": "documents"},
    "emergency_list.tasks_bundles.build_bundle": {"queue": "documents"},
    "publication.tasks.render_version_file": {"queue": "documents"},
    "emergency_list.tasks_excel.*": {"queue": "bulk"},
    "emergency_list.tasks.generate_list": {"queue": "bulk"},
    "emergency_list.tasks.compute_alert": {"queue": "bulk"},
    "emergency_list.tasks_versions.export_version_diff": {"queue": "bulk"},
    "publication.tasks.render_export": {"queue": "bulk"},
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    # Jobs whose worker died end failed with a message instead of showing 处理中 for ever.
    "fail-stalled-jobs": {"task": "core.tasks.fail_stalled_jobs", "schedule": 60.0},
    # R-REV-11: remind last year's A and B to re-apply: once a year, then 30 and 7 days before
    # their batch's deadline. Daily; each reminder is recorded and never sent twice.
    "remind-reapplications": {
        "task": "review.tasks.remind_reapplications",
        "schedule": crontab(minute=0, hour=9),
    },
    # 等保三级: the audit trail is kept at least 180 days (AUDIT_RETENTION_DAYS), then pruned.
    "prune-audit-trail": {
        "task": "core.tasks.prune_audit_trail",
        "schedule": crontab(minute=30, hour=3),
    },
}

vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@jixiao.example.cn")
# Absolute address used in e-mails that link back to the site.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so a request without valid credentials is answered 401 (with the reason).
        "core.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_RATES": {
        # POST /api/v1/auth/token/: per address (a bureau's office shares one) and per account.
        "token_address": env.str("TOKEN_RATE_PER_ADDRESS", default="30/min"),
        "token_account": env.str("TOKEN_RATE_PER_ACCOUNT", default="10/min"),
        # /api/v1/public/: anonymous reads, per address.
        "public": env.str("PUBLIC_API_RATE", default="120/min"),
    },
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # OPTIONS is not answered (405): the schema at /api/schema/ describes every operation, and
    # describing a PUT by looking an object up needs ids some routes do not carry.
    "DEFAULT_METADATA_CLASS": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "绩效分级 API",
    "DESCRIPTION": "重污染天气重点行业绩效分级与应急减排清单管理平台接口",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # The docs page is served from the site itself: nothing is fetched from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets that share a field name get names of their own (not a hash suffix).
    "ENUM_NAME_OVERRIDES": {
        "ReportKindEnum": "publication.models.reports.PublicReport.Kind",
        "ReportOutcomeEnum": "publication.models.reports.PublicReport.Outcome",
        "ExportKindEnum": "publication.models.exports.ExportFile.Kind",
        "AlertLevelEnum": "emergency_list.models.AlertLevel",
        "ObjectionOutcomeEnum": "publication.models.notices.Objection.Outcome",
        "AppealOutcomeEnum": "review.models.appeals.Appeal.Outcome",
        "DowngradeOutcomeEnum": "review.models.downgrades.DowngradeCase.Outcome",
        "BlacklistReasonEnum": "review.models.experts.ExpertBlacklisting.Reason",
        "RenderStatusEnum": "review.models.documents.ApprovalForm.Status",
        "AuditOutcomeEnum": "core.models.AuditEvent.Outcome",
        "ChangeReportKindEnum": "declarations.models.changes.ChangeReport.Kind",
        "ReapplicationOutcomeEnum": "review.models.annual.ReapplicationDecision.Outcome",
        "IndicatorVerdictEnum": "review.models.cases.IndicatorOpinion.Verdict",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# Grading settings that differ between provinces and years (RULES: the Henan value is default).
GRADING = {
    "PROVINCE_CODE": env.str("PROVINCE_CODE", default="410000"),
}

# The second factor (TOTP) of administrators and province staff: the issuer name shown in the
# authenticator app.
OTP_TOTP_ISSUER = "绩效分级"

# Lockout keyed on the account alone is deliberate (a county bureau shares one address).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
GRADING.update(
    {
        # Evidence limits per file and per declaration (MiB).
        "EVIDENCE_MAX_FILE_MB": env.int("EVIDENCE_MAX_FILE_MB", default=20),
        "EVIDENCE_MAX_TOTAL_MB": env.int("EVIDENCE_MAX_TOTAL_MB", default=300),
        # No request body larger than this is read (MiB); the largest upload is an evidence
        # file or a list workbook.
        "MAX_REQUEST_MB": env.int("MAX_REQUEST_MB", default=32),
        # An API token ends after this many hours whatever its use (idle: SESSION_COOKIE_AGE).
        "API_TOKEN_LIFETIME_HOURS": env.int("API_TOKEN_LIFETIME_HOURS", default=12),
        # Proxies in front of the site whose X-Forwarded-For the audit trail trusts.
        "TRUSTED_PROXIES": env.int("TRUSTED_PROXIES", default=0),
        # R-GUAR-2: the lowest grade a guarantee-class enterprise of a key industry may hold.
        "GUARANTEE_MIN_GRADE": env.str("GUARANTEE_MIN_GRADE", default="B"),
        # R-GUAR-3: the county finishes its review of guarantee cases by this day (MM-DD).
        "GUARANTEE_COUNTY_DUE": env.str("GUARANTEE_COUNTY_DUE", default="09-20"),
        # Public notice (公示) length in working days unless the bureau sets another.
        "NOTICE_WORKDAYS": env.int("NOTICE_WORKDAYS", default=5),
        # Writes without an account (objections, reports): (count, seconds) per address.
        "PUBLIC_WRITE_LIMITS": {"objection": (5, 3600), "report": (5, 3600)},
        # R-REV-10: days after a county-level grade decision within which the enterprise may
        # ask the city to re-review it.
        "APPEAL_DAYS": env.int("APPEAL_DAYS", default=15),
        # Days the audit trail is kept; never fewer than 180 (等保三级), whatever is set here.
        "AUDIT_RETENTION_DAYS": env.int("AUDIT_RETENTION_DAYS", default=180),
        # 等保三级: a password lasts this many days, then the next login asks for a new one.
        "PASSWORD_MAX_AGE_DAYS": env.int("PASSWORD_MAX_AGE_DAYS", default=90),
    }
)
