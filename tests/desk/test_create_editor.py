"""manage.py create_editor: a staff user in the Editors group and nothing more."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from desk.editors import EDITORS_GROUP
from desk.management.commands import create_editor

pytestmark = pytest.mark.django_db


def test_it_creates_a_staff_editor_with_the_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("PODINDEX_EDITOR_PASSWORD", "correct-horse-battery")
    out = io.StringIO()

    call_command("create_editor", "dana", stdout=out)

    user = User.objects.get(username="dana")
    assert user.is_staff and user.is_active and not user.is_superuser
    assert [g.name for g in user.groups.all()] == [EDITORS_GROUP]
    assert not user.user_permissions.exists()
    assert user.check_password("correct-horse-battery")
    assert "Created editor dana" in out.getvalue()


def test_it_asks_for_the_password_when_none_is_set(monkeypatch):
    monkeypatch.delenv("PODINDEX_EDITOR_PASSWORD", raising=False)
    monkeypatch.setattr(create_editor.Command, "interactive", lambda self: True)
    answers = iter(["typed-passphrase-1", "typed-passphrase-1"])
    monkeypatch.setattr(create_editor.getpass, "getpass", lambda prompt: next(answers))

    call_command("create_editor", "ada", stdout=io.StringIO())

    assert User.objects.get(username="ada").check_password("typed-passphrase-1")


def test_it_refuses_mismatched_weak_or_missing_passwords(monkeypatch):
    monkeypatch.delenv("PODINDEX_EDITOR_PASSWORD", raising=False)
    monkeypatch.setattr(create_editor.Command, "interactive", lambda self: False)
    with pytest.raises(CommandError, match="Set PODINDEX_EDITOR_PASSWORD"):
        call_command("create_editor", "x")
    monkeypatch.setattr(create_editor.Command, "interactive", lambda self: True)
    answers = iter(["one-passphrase-a", "another-passphrase"])
    monkeypatch.setattr(create_editor.getpass, "getpass", lambda prompt: next(answers))
    with pytest.raises(CommandError, match="do not match"):
        call_command("create_editor", "x")
    monkeypatch.setenv("PODINDEX_EDITOR_PASSWORD", "123")
    with pytest.raises(CommandError, match="too short"):
        call_command("create_editor", "x")
    assert not User.objects.filter(username="x").exists()


def test_it_makes_an_existing_user_an_editor_but_never_touches_a_superuser(monkeypatch):
    monkeypatch.setenv("PODINDEX_EDITOR_PASSWORD", "correct-horse-battery")
    User.objects.create_user("reader")
    User.objects.create_superuser("root", "root@example.com", "x")

    call_command("create_editor", "reader", stdout=io.StringIO())
    with pytest.raises(CommandError, match="superuser"):
        call_command("create_editor", "root")

    assert User.objects.get(username="reader").is_staff
    assert not User.objects.get(username="root").groups.exists()


def test_its_group_is_the_one_browse_keeps_up_to_date():
    assert create_editor.EDITORS_GROUP == EDITORS_GROUP
