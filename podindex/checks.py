"""Deploy checks: `manage.py check --deploy` refuses the development shortcuts.

Serving with DEBUG off and no SECRET_KEY is refused earlier still, when the settings load
(podindex/settings.py), and Django's own deploy checks warn while HSTS and the https redirect
(SECURE_HSTS_SECONDS, SECURE_SSL_REDIRECT) are off.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def refuse_dev_shortcuts(app_configs, **kwargs):
    """Fail the deploy check on SQLite, eager tasks, DEBUG or the default secret key."""
    errors = []
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        errors.append(
            Error("SQLite is for development only.", hint="Set DATABASE_URL.", id="podindex.E001")
        )
    if settings.CELERY_TASK_ALWAYS_EAGER:
        errors.append(
            Error(
                "Tasks run eagerly inside web requests.",
                hint="Set CELERY_BROKER_URL to a Redis or RabbitMQ broker.",
                id="podindex.E002",
            )
        )
    if settings.DEBUG:
        errors.append(Error("DEBUG is on.", hint="Unset DEBUG.", id="podindex.E003"))
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY or len(settings.SECRET_KEY) < 40:
        errors.append(
            Error(
                "SECRET_KEY is the development default or too short.",
                hint="Set SECRET_KEY to 50 random characters.",
                id="podindex.E004",
            )
        )
    if settings.PODINDEX_ALLOW_PRIVATE_URLS:
        errors.append(
            Error(
                "Outbound fetches may reach private addresses.",
                hint="Unset PODINDEX_ALLOW_PRIVATE_URLS; it is for local testing only.",
                id="podindex.E005",
            )
        )
    site = urlsplit(settings.SITE_URL)
    if site.scheme != "https" or site.hostname in (None, "localhost", "127.0.0.1", "::1"):
        errors.append(
            Error(
                f"SITE_URL is {settings.SITE_URL!r}: every absolute link in feeds, sitemaps and "
                "structured data is built from it (never from the request's Host).",
                hint="Set SITE_URL to the site's public https address.",
                id="podindex.E006",
            )
        )
    return errors


@register(Tags.caches, deploy=True)
def shared_cache_for_page_cache(app_configs, **kwargs):
    """Warn when cached pages live in per-process memory: workers' writes could not expire them."""
    backend = settings.CACHES["default"]["BACKEND"]
    seconds = settings.PODINDEX_PAGE_CACHE_SECONDS
    if seconds and backend.endswith("LocMemCache"):
        return [
            Warning(
                "Public pages are cached in per-process memory: a score written by a worker "
                f"shows only after PODINDEX_PAGE_CACHE_SECONDS ({seconds} s).",
                hint="Set CACHE_URL to a Redis cache shared by web processes and workers.",
                id="podindex.W001",
            )
        ]
    return []


@register(deploy=True)
def redis_visibility_outlasts_tasks(app_configs, **kwargs):
    """Refuse a Redis visibility timeout shorter than the longest task: it would run twice.

    The longest task is a transcription (its limit follows the episode's length, up to
    PODINDEX_ASR_MAX_SECONDS) or any other task (CELERY_TASK_TIME_LIMIT).
    """
    from episodes.transcripts.transcribe import longest_time_limit

    broker = settings.CELERY_BROKER_URL or ""
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    longest = [("CELERY_TASK_TIME_LIMIT", settings.CELERY_TASK_TIME_LIMIT)]
    if settings.PODINDEX_ASR_ENABLED:
        longest.append(("the longest transcription's time limit", longest_time_limit()))
    name, limit = max(longest, key=lambda pair: pair[1])
    if broker.startswith(("redis://", "rediss://")) and timeout <= limit:
        return [
            Error(
                f"CELERY_VISIBILITY_TIMEOUT ({timeout} s) is not longer than {name} ({limit} s): "
                "Redis would hand a task still running to a second worker.",
                hint=(
                    f"Raise CELERY_VISIBILITY_TIMEOUT above {limit} s, or lower "
                    "PODINDEX_ASR_MAX_SECONDS."
                ),
                id="podindex.E007",
            )
        ]
    return []
