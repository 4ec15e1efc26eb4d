"""API keys: made by staff on the desk, shown once, stored hashed, with their own limits and use."""

import re

import pytest
from django.core.cache import cache
from django.test import override_settings

from api import ratelimit
from core.models import ApiKey

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def three_a_minute():
    with override_settings(PODINDEX_API_RATE_LIMIT=3, PODINDEX_API_RATE_WINDOW_SECONDS=60):
        yield


def make_key(admin_client, name="Acme newsletter", rate_limit=5) -> str:
    """A key made on the desk, as the page that follows shows it."""
    response = admin_client.post(
        "/admin/core/apikey/add/", {"name": name, "rate_limit": rate_limit}
    )
    assert response.status_code == 200
    return re.search(r'<code class="api-key-secret">([^<]+)</code>', response.content.decode())[1]


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_it_shows_a_new_key_once_and_stores_only_its_hash(admin_client):
    key = make_key(admin_client)
    stored = ApiKey.objects.get()
    assert key.startswith("pi_") and len(key) > 40
    assert stored.digest == ApiKey.digest_of(key) != key
    assert key not in repr(list(ApiKey.objects.values_list()))
    assert stored.created_by.is_superuser
    change_page = admin_client.get(f"/admin/core/apikey/{stored.pk}/change/").content.decode()
    listing = admin_client.get("/admin/core/apikey/").content.decode()
    assert key not in change_page and key not in listing
    assert stored.lead in listing


def test_a_key_gets_its_own_higher_limit(client, admin_client):
    key = make_key(admin_client, rate_limit=5)
    for _ in range(4):
        client.get("/api/v1/shows")  # the address spends its anonymous quota
    assert client.get("/api/v1/shows").status_code == 429
    remaining = [client.get("/api/v1/shows", headers=bearer(key)) for _ in range(5)]
    assert [r["RateLimit-Remaining"] for r in remaining] == ["4", "3", "2", "1", "0"]
    assert remaining[0]["RateLimit-Limit"] == "5"
    refused = client.get("/api/v1/shows", headers=bearer(key))
    assert refused.status_code == 429
    assert "with this key" in refused.json()["detail"]
    assert 1 <= int(refused["Retry-After"]) <= 60


def test_it_refuses_an_unknown_or_revoked_key_rather_than_serve_it_as_anonymous(
    client, admin_client
):
    refused = client.get("/api/v1/shows", headers=bearer("pi_not-a-key"))
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"
    assert refused["WWW-Authenticate"].startswith("Bearer")

    key = make_key(admin_client)
    assert client.get("/api/v1/shows", headers=bearer(key)).status_code == 200
    stored = ApiKey.objects.get()
    admin_client.post("/admin/core/apikey/", {"action": "revoke", "_selected_action": [stored.pk]})
    assert ApiKey.objects.get().revoked_at is not None
    assert client.get("/api/v1/shows", headers=bearer(key)).status_code == 401


def test_it_counts_each_keys_use_and_writes_it_once_a_window(rf, admin_client):
    key = make_key(admin_client, rate_limit=100)
    request = rf.get("/api/v1/shows", headers=bearer(key))
    for _ in range(4):
        assert ratelimit.take(request, now=600.0).keyed
    stored = ApiKey.objects.get()
    assert (stored.request_count, stored.uses) == (1, 4)  # the window's first wrote itself
    ratelimit.take(request, now=660.0)  # the next window's first request writes the rest
    stored.refresh_from_db()
    assert (stored.request_count, stored.uses) == (5, 5)
    assert stored.last_used_at is not None
    listing = admin_client.get("/admin/core/apikey/").content.decode()
    assert ">5<" in listing


def test_keys_are_checked_and_counted_in_the_shared_cache(client, admin_client):
    key = make_key(admin_client, rate_limit=2)
    for _ in range(2):
        client.get("/api/v1/shows", headers=bearer(key))
    assert client.get("/api/v1/shows", headers=bearer(key)).status_code == 429
    cache.clear()  # every process reads the same cache: a new window for all of them
    assert client.get("/api/v1/shows", headers=bearer(key)).status_code == 200
