import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

from core.env import env_bool, env_float, env_int, env_list
from podindex.checks import (
    redis_visibility_outlasts_tasks,
    refuse_dev_shortcuts,
    shared_cache_for_page_cache,
)


def test_it_parses_booleans_strictly(monkeypatch):
    monkeypatch.setenv("FLAG", "yes")
    assert env_bool("FLAG") is True
    monkeypatch.setenv("FLAG", "0")
    assert env_bool("FLAG", default=True) is False
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG='maybe' is not a boolean"):
        env_bool("FLAG")


def test_it_parses_numbers_and_lists_strictly(monkeypatch):
    monkeypatch.setenv("N", "12")
    monkeypatch.setenv("X", "2.5")
    monkeypatch.setenv("L", " a, ,b ")
    assert env_int("N", 1) == 12
    assert env_float("X", 1.0) == 2.5
    assert env_list("L") == ["a", "b"]
    monkeypatch.setenv("N", "twelve")
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        env_int("N", 1)


def error_ids(errors):
    return {error.id for error in errors}


def test_it_refuses_every_dev_shortcut_on_deploy(settings, monkeypatch):
    settings.DEBUG = True
    settings.SECRET_KEY = settings.DEV_SECRET_KEY
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.PODINDEX_ALLOW_PRIVATE_URLS = True
    settings.SITE_URL = "http://127.0.0.1:8000"
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", "django.db.backends.sqlite3")
    assert error_ids(refuse_dev_shortcuts(None)) == {
        "podindex.E001",
        "podindex.E002",
        "podindex.E003",
        "podindex.E004",
        "podindex.E005",
        "podindex.E006",
    }


def test_it_passes_a_production_configuration(settings, monkeypatch):
    settings.DEBUG = False
    settings.SECRET_KEY = "x" * 50
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.PODINDEX_ALLOW_PRIVATE_URLS = False
    settings.SITE_URL = "https://b2bpodcastindex.example"
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", "django.db.backends.postgresql")
    assert refuse_dev_shortcuts(None) == []


@pytest.mark.django_db
def test_it_registers_the_check_for_deploy_only(settings):
    settings.DEBUG = True
    assert "podindex.E003" not in error_ids(run_checks(include_deployment_checks=False))
    assert "podindex.E003" in error_ids(run_checks(include_deployment_checks=True))


@pytest.mark.django_db
def test_it_reports_health_with_the_database(client, settings):
    settings.CELERY_BROKER_URL = ""

    response = client.get("/health/")

    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "none (tasks run inline)",
        "queues": {},
    }


def test_it_serves_robots_txt_pointing_at_the_sitemap(client, settings):
    settings.SITE_URL = "https://b2bpodcastindex.example"
    response = client.get("/robots.txt", headers={"Host": "localhost"})
    assert response["Content-Type"] == "text/plain"
    body = response.content.decode()
    assert "Disallow: /admin/" in body
    # From SITE_URL, whatever Host the request named.
    assert "Sitemap: https://b2bpodcastindex.example/sitemap.xml" in body


def test_it_warns_when_cached_pages_cannot_be_expired_by_workers(settings):
    settings.PODINDEX_PAGE_CACHE_SECONDS = 300
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert error_ids(shared_cache_for_page_cache(None)) == {"podindex.W001"}
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/3",
        }
    }
    assert shared_cache_for_page_cache(None) == []


def test_it_refuses_a_redis_visibility_timeout_shorter_than_the_longest_task(settings):
    settings.CELERY_BROKER_URL = "redis://redis:6379/0"
    settings.CELERY_TASK_TIME_LIMIT = 900
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
    assert error_ids(redis_visibility_outlasts_tasks(None)) == {"podindex.E007"}

    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    assert redis_visibility_outlasts_tasks(None) == []
    # RabbitMQ acknowledges on the broker: no visibility timeout to outlast.
    settings.CELERY_BROKER_URL = "amqp://guest@rabbitmq//"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60}
    assert redis_visibility_outlasts_tasks(None) == []


def test_it_refuses_a_visibility_timeout_shorter_than_the_longest_transcription(settings):
    settings.CELERY_BROKER_URL = "redis://redis:6379/0"
    settings.CELERY_TASK_TIME_LIMIT = 900
    settings.PODINDEX_ASR_ENABLED = True
    settings.PODINDEX_ASR_MAX_SECONDS = 4 * 3600.0
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}

    (error,) = redis_visibility_outlasts_tasks(None)
    assert error.id == "podindex.E007" and "14400 s" in error.msg

    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 4 * 3600 + 1}
    assert redis_visibility_outlasts_tasks(None) == []


def test_its_default_visibility_timeout_outlasts_the_longest_transcription():
    from django.conf import settings

    from episodes.transcripts.transcribe import longest_time_limit

    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert timeout > max(longest_time_limit(), settings.CELERY_TASK_TIME_LIMIT)
