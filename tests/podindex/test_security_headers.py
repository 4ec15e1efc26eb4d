import re

import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.django_db


def test_it_sends_a_strict_content_security_policy_with_a_fresh_nonce(client):
    first = client.get("/shows/")
    second = client.get("/shows/")
    policy = first["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    nonce = re.search(r"script-src 'self' 'nonce-([^']+)'", policy).group(1)
    assert nonce not in second["Content-Security-Policy"]
    scripts = BeautifulSoup(first.content, "html.parser").find_all("script", src=True)
    assert scripts and all(script["nonce"] == nonce for script in scripts)


def test_it_refuses_to_be_framed(client):
    assert client.get("/shows/")["X-Frame-Options"] == "DENY"
