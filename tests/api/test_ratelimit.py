"""Anonymous use is limited per address, in the shared cache, with 429 and RateLimit-*."""

import pytest
from django.core.cache import cache
from django.test import override_settings

from api import ratelimit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("three_a_minute")]


@pytest.fixture
def three_a_minute():
    with override_settings(PODINDEX_API_RATE_LIMIT=3, PODINDEX_API_RATE_WINDOW_SECONDS=60):
        yield


def test_it_refuses_past_the_limit_with_429_and_when_to_come_back(client):
    remaining = [client.get("/api/v1/shows")["RateLimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    refused = client.get("/api/v1/shows")
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["status"] == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["RateLimit-Limit"] == "3"
    assert refused["RateLimit-Remaining"] == "0"
    assert refused["RateLimit-Policy"] == "3;w=60"
    assert refused["Access-Control-Allow-Origin"] == "*"


def test_it_counts_each_address_on_its_own(client):
    for _ in range(4):
        client.get("/api/v1/shows", REMOTE_ADDR="192.0.2.1")
    assert client.get("/api/v1/shows", REMOTE_ADDR="192.0.2.1").status_code == 429
    assert client.get("/api/v1/shows", REMOTE_ADDR="192.0.2.2").status_code == 200


def test_it_keeps_the_count_in_the_shared_cache_not_in_the_process(client):
    for _ in range(4):
        client.get("/api/v1/shows")
    assert client.get("/api/v1/shows").status_code == 429
    cache.clear()
    assert client.get("/api/v1/shows").status_code == 200


def test_it_starts_a_fresh_quota_in_the_next_window(rf):
    request = rf.get("/api/v1/shows")
    for _ in range(3):
        assert ratelimit.take(request, now=600.0).allowed
    spent = ratelimit.take(request, now=659.0)
    assert not spent.allowed and spent.reset == 1
    assert ratelimit.take(request, now=660.0).allowed


def test_it_leaves_pages_and_preflights_alone(client):
    for _ in range(5):
        assert client.get("/health/").status_code == 200
        assert client.options("/api/v1/shows").status_code == 204
    assert client.get("/api/v1/shows")["RateLimit-Remaining"] == "2"
