#!/usr/bin/env python
"""Django's command-line utility for The B2B Podcast Index."""

import os
import sys

if sys.version_info < (3, 12):  # noqa: UP036 - say why, instead of a SyntaxError later
    sys.exit(
        f"Python 3.12 or newer is needed (Django 6); this is {sys.version.split()[0]}. "
        "Use `make run`, which picks python3.13 or python3.12."
    )


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podindex.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
