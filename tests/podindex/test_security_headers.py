import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.django_db


def test_it_sends_a_strict_content_security_policy(client):
    policy = client.get("/shows/")["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self';" in policy + ";"
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


def test_it_has_no_inline_script_that_the_policy_would_block(client):
    soup = BeautifulSoup(client.get("/shows/").content, "html.parser")
    scripts = soup.find_all("script")
    assert scripts
    for script in scripts:
        assert script.get("src", "").startswith("/static/") or (
            script.get("type") == "application/ld+json"
        )


def test_it_refuses_to_be_framed(client):
    assert client.get("/shows/")["X-Frame-Options"] == "DENY"
