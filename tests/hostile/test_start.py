"""Item 9 of issue 11: the site refuses to serve on the public development key, and HSTS and
the https redirect are settable (README, Configuration).

Before: with DEBUG off and no SECRET_KEY, `podindex.wsgi` and `runserver` started on the
development key (anyone could forge a session). After: ImproperlyConfigured at start-up.
"""

import os
import socket
import subprocess
import sys

import pytest
from django.conf import settings

ROOT = str(settings.BASE_DIR)
REFUSAL = "refusing to serve on the public development key"


def run(args, **env):
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in ("SECRET_KEY", "DEBUG") and not key.startswith("SECURE_")
    }
    environ.update(DJANGO_SETTINGS_MODULE="podindex.settings", **env)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("module", ["podindex.wsgi", "podindex.asgi"])
def test_a_web_server_refuses_to_start_without_a_secret_key(module):
    result = run(["-c", f"import {module}"])
    assert result.returncode != 0
    assert REFUSAL in result.stderr


def test_runserver_refuses_to_start_without_a_secret_key():
    try:
        result = run(["manage.py", "runserver", "--noreload", f"127.0.0.1:{free_port()}"])
    except subprocess.TimeoutExpired:
        pytest.fail("runserver started on the development key")
    assert result.returncode != 0
    assert REFUSAL in result.stderr


@pytest.mark.parametrize(
    "env", [{"DEBUG": "1"}, {"SECRET_KEY": "k" * 50}], ids=["debug", "secret_key"]
)
def test_the_site_starts_with_debug_or_a_secret_key(env):
    result = run(["-c", "import podindex.wsgi; print('started')"], **env)
    assert result.stdout.strip() == "started", result.stderr


def test_commands_still_run_on_the_development_key():
    result = run(["manage.py", "check"])
    assert result.returncode == 0, result.stderr


def test_hsts_and_the_https_redirect_are_settable():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD)"
    )
    result = run(
        ["-c", code],
        SECURE_SSL_REDIRECT="1",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="1",
        SECURE_HSTS_PRELOAD="1",
    )
    assert result.stdout.split() == ["True", "31536000", "True", "True"], result.stderr


@pytest.mark.django_db
def test_with_them_on_http_is_redirected_and_https_gets_hsts(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True

    plain = client.get("/methodology/")
    secure = client.get("/methodology/", secure=True)

    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
