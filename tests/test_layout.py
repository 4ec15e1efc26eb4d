"""The layers hold: no app imports another from inside a function, where lint-imports is blind."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("core", "shows", "episodes", "scoring", "people", "browse", "desk", "api")
INDENTED_IMPORT = re.compile(rf"^[ \t]+(?:from|import) ({'|'.join(APPS)})\b", re.MULTILINE)


def test_it_finds_no_function_level_imports_of_our_apps():
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0).strip()}"
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        for match in INDENTED_IMPORT.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_it_would_notice_one():
    assert INDENTED_IMPORT.search("def f():\n    from scoring.ranking import refresh_show\n")
