"""manage.py create_editor USERNAME: a staff account in the Editors group, nothing more."""

import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from desk.editors import EDITORS_GROUP

PASSWORD_ENV = "PODINDEX_EDITOR_PASSWORD"  # noqa: S105 - the variable's name, not a password


class Command(BaseCommand):
    help = (
        "Create an editor: a staff user in the Editors group (not a superuser). The password "
        f"comes from {PASSWORD_ENV} when set, else it is asked for. An existing user is made "
        "an editor and, when a password is given, gets it."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")

    def handle(self, *args, username, email, **options):
        group = Group.objects.filter(name=EDITORS_GROUP).first()
        if group is None:
            raise CommandError(f'No "{EDITORS_GROUP}" group: run "manage.py migrate" first.')
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is not None and user.is_superuser:
            raise CommandError(f"{username} is a superuser already: use another name.")
        password = self.password(User(username=username, email=email))
        with transaction.atomic():
            created = user is None
            if created:
                user = User.objects.create_user(username=username, email=email)
            user.is_staff = True
            user.is_active = True
            if password:
                user.set_password(password)
            user.save()
            user.groups.add(group)
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} editor {username} (staff, {group.name})."))

    def password(self, user) -> str:
        """The password from the environment, else asked for twice; validated either way."""
        password = os.environ.get(PASSWORD_ENV, "")
        if not password:
            if not self.interactive():
                raise CommandError(f"Set {PASSWORD_ENV} or run this in a terminal.")
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        return password

    def interactive(self) -> bool:
        return os.isatty(0)
