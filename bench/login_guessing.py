"""Guess an editor's password through the admin's sign-in form, then try the right one.

Runs on a scratch SQLite file with the production password hasher:

    .venv/bin/python bench/login_guessing.py [--guesses 30]

Prints how many guesses were answered as ordinary failures, how many were refused as
throttled, the time taken, and whether the right password then signed in.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
os.environ.pop("CACHE_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podindex.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

PASSWORD = "the editor's real password"


def attempt(password: str) -> tuple[bool, bool]:
    """(signed in, refused as throttled) for one sign-in from one address."""
    client = Client(REMOTE_ADDR="203.0.113.7")
    response = client.post("/admin/login/", {"username": "editor", "password": password})
    return "_auth_user_id" in client.session, b"Too many failed sign-ins" in response.content


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--guesses", type=int, default=30)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    get_user_model().objects.create_user("editor", password=PASSWORD, is_staff=True)
    started = time.perf_counter()
    refused = sum(attempt(f"guess-{n}")[1] for n in range(args.guesses))
    elapsed = time.perf_counter() - started
    signed_in, _ = attempt(PASSWORD)
    print(
        f"{args.guesses} wrong passwords in {elapsed:.1f} s: {args.guesses - refused} answered "
        f"as failures, {refused} refused as throttled; the right password then "
        f"{'signed in' if signed_in else 'was refused'}"
    )


if __name__ == "__main__":
    main()
