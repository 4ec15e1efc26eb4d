"""Settings for The B2B Podcast Index, read from the environment with embedded defaults.

With no environment at all the site runs on SQLite with eager tasks and the offline baseline
scorer; `manage.py check --deploy` refuses those shortcuts (see podindex/checks.py).
"""

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.csp import CSP

from core.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"  # noqa: S105 - refused by check --deploy
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = "The B2B Podcast Index"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django_htmx",
    "podindex",
    "core",
    "shows",
    "episodes",
    "scoring",
    "browse",
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
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "core.page_cache.PublicPageCacheMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.htmx.HtmxVaryMiddleware",
]

ROOT_URLCONF = "podindex.urls"
WSGI_APPLICATION = "podindex.wsgi.application"
ASGI_APPLICATION = "podindex.asgi.application"

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
                "core.context_processors.site",
            ],
        },
    },
]

# No DATABASE_URL: a SQLite file beside the code, so a fresh clone just works.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# The manifest storage needs collectstatic first; tests and `make run` use plain storage.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", default=False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Without collectstatic (development, tests) whitenoise serves straight from the finders.
WHITENOISE_USE_FINDERS = not env_bool("STATIC_MANIFEST", default=False)
WHITENOISE_AUTOREFRESH = DEBUG

# Django 6 built-in Content Security Policy: nothing from other servers, scripts by nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    # Only our own script files: no inline script at all, so pages need no nonce and stay
    # identical for every visitor (core.page_cache serves them from the cache).
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "https:"],
    # Episode audio is played straight from the publisher's CDN.
    "media-src": [CSP.SELF, "https:", "http:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
}

SESSION_COOKIE_SECURE = env_bool(
    "SECURE_COOKIES", default=not DEBUG and SECRET_KEY != DEV_SECRET_KEY
)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", default=False) else None
)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env_str("CACHE_URL")}
        if env_str("CACHE_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"LiteLLM": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}

# Public pages are cached whole until content changes (core/page_cache.py); 0 turns it off.
PODINDEX_PAGE_CACHE_SECONDS = env_int("PODINDEX_PAGE_CACHE_SECONDS", 300)

# --- Celery ------------------------------------------------------------------------------
# No broker configured: tasks run eagerly in-process (refused by check --deploy).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 14 * 60)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ROUTES = {"scoring.tasks.*": {"queue": "scoring"}}
CELERY_TASK_DEFAULT_QUEUE = "default"
# Static schedule (no django-celery-beat): one dispatcher enqueues a poll per due show.
CELERY_BEAT_SCHEDULE = {
    "poll-due-shows": {"task": "shows.tasks.poll_due_shows", "schedule": 60.0},
    # refresh_show updates one show against the stored category means; this keeps the means
    # current and moves the shows of a category whose mean drifted.
    "refresh-drifted-shows": {"task": "scoring.tasks.refresh_drifted_shows", "schedule": 60.0},
    # Episodes skipped while the daily LLM budget was spent are picked up again here.
    "score-pending": {"task": "scoring.tasks.score_pending", "schedule": crontab(minute=5)},
    "recompute-rankings": {
        "task": "scoring.tasks.recompute_rankings",
        "schedule": crontab(hour=3, minute=17),
    },
}

# --- Ingestion ---------------------------------------------------------------------------
PODINDEX_USER_AGENT = env_str(
    "PODINDEX_USER_AGENT", "B2BPodcastIndex/0.1 (+https://b2bpodcastindex.example/about)"
)
# Only for local testing: lets the fetcher reach 127.0.0.1 and other private addresses.
PODINDEX_ALLOW_PRIVATE_URLS = env_bool("PODINDEX_ALLOW_PRIVATE_URLS", default=False)
PODINDEX_FEED_MAX_BYTES = env_int("PODINDEX_FEED_MAX_BYTES", 20 * 1024 * 1024)
PODINDEX_TRANSCRIPT_MAX_BYTES = env_int("PODINDEX_TRANSCRIPT_MAX_BYTES", 5 * 1024 * 1024)
PODINDEX_FETCH_TIMEOUT = env_float("PODINDEX_FETCH_TIMEOUT", 20.0)

# --- Scoring -----------------------------------------------------------------------------
# Empty: the offline baseline scorer. Otherwise any litellm model string.
PODINDEX_SCORING_MODEL = env_str("PODINDEX_SCORING_MODEL")
PODINDEX_SCORING_API_BASE = env_str("PODINDEX_SCORING_API_BASE")
PODINDEX_SCORING_API_KEY = env_str("PODINDEX_SCORING_API_KEY")
PODINDEX_SCORING_TIMEOUT = env_float("PODINDEX_SCORING_TIMEOUT", 120.0)
PODINDEX_SCORING_MAX_RETRIES = env_int("PODINDEX_SCORING_MAX_RETRIES", 3)
PODINDEX_DAILY_LLM_BUDGET_USD = env_float("PODINDEX_DAILY_LLM_BUDGET_USD", 5.0)
PODINDEX_SCORING_RATE_LIMIT = env_str("PODINDEX_SCORING_RATE_LIMIT", "30/m")
# First retry wait in seconds (doubled per retry, with jitter); Retry-After is honoured up to
# PODINDEX_SCORING_MAX_RETRY_WAIT.
PODINDEX_SCORING_RETRY_BACKOFF = env_float("PODINDEX_SCORING_RETRY_BACKOFF", 2.0)
PODINDEX_SCORING_MAX_RETRY_WAIT = env_float("PODINDEX_SCORING_MAX_RETRY_WAIT", 60.0)
# Context window and answer size; 0 context: litellm's model info (8,192 for unknown models).
PODINDEX_SCORING_CONTEXT_TOKENS = env_int("PODINDEX_SCORING_CONTEXT_TOKENS", 0)
PODINDEX_SCORING_MAX_OUTPUT_TOKENS = env_int("PODINDEX_SCORING_MAX_OUTPUT_TOKENS", 2000)
# Prices in USD per million tokens for models litellm's cost map does not know (0: unknown).
PODINDEX_SCORING_PRICE_INPUT_PER_MTOK = env_float("PODINDEX_SCORING_PRICE_INPUT_PER_MTOK", 0.0)
PODINDEX_SCORING_PRICE_OUTPUT_PER_MTOK = env_float("PODINDEX_SCORING_PRICE_OUTPUT_PER_MTOK", 0.0)

# --- Rankings (scoring.ranking; formula on the methodology page) ----------------------------
# A show needs this many scored episodes to be ranked.
PODINDEX_RANKING_MIN_EPISODES = env_int("PODINDEX_RANKING_MIN_EPISODES", 3)
# How many episodes' worth of the category mean every show starts from (the Bayesian prior).
PODINDEX_RANKING_PRIOR_WEIGHT = env_float("PODINDEX_RANKING_PRIOR_WEIGHT", 5.0)
# Weight of an episode published more than 12 months ago (recent episodes weigh 1).
PODINDEX_RANKING_OLDER_WEIGHT = env_float("PODINDEX_RANKING_OLDER_WEIGHT", 0.5)
