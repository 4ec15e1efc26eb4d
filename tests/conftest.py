"""Shared fixtures: the shared corpus and reference page, which may be absent.

../shared is an extra layer: every behaviour it checks is also checked against our own
fixtures in tests/data. PODINDEX_SHARED_DIR points elsewhere (a non-existent folder plays a
plain clone).
"""

import os
import re
from pathlib import Path

import pytest
from django.db.models.sql.compiler import SQLCompiler

DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(
    os.environ.get("PODINDEX_SHARED_DIR")
    or Path(__file__).resolve().parent.parent.parent / "shared"
)
REFERENCE_PAGE = SHARED / "reference" / "seed-episode-page.txt"
CORPUS = SHARED / "corpus"


@pytest.fixture(autouse=True)
def _no_transcription_unless_asked(settings):
    """Feeds in tests point at audio nobody serves: only the tests about our transcription
    (which turn PODINDEX_ASR_ENABLED on) queue any."""
    settings.PODINDEX_ASR_ENABLED = False


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache, so no page cached by another test is served."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def data_dir() -> Path:
    """tests/data: our own small feeds, transcripts and value lists."""
    return DATA


@pytest.fixture
def reference_sections() -> list[str]:
    """The section headings of an episode page, in order ("{show}" for the show's title)."""
    lines = (DATA / "reference_sections.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


@pytest.fixture
def three_speaker_transcript() -> str:
    """Our own "Speaker X: text" transcript: A says 180 words, B 140, C 80 (45/35/20%)."""
    return (DATA / "transcripts" / "three_speakers.txt").read_text(encoding="utf-8")


@pytest.fixture
def reference_page() -> str:
    """The text of the reference episode page; skips where ../shared is absent."""
    if not REFERENCE_PAGE.exists():
        pytest.skip("../shared/reference is not present")
    return REFERENCE_PAGE.read_text(encoding="utf-8")


@pytest.fixture
def reference_transcript(reference_page) -> str:
    """The "Speaker X: text" lines of the reference page's transcript."""
    body = reference_page.split("Transcribed and scored by The B2B Podcast Index.", 1)[1]
    return "\n".join(line for line in body.splitlines() if re.match(r"Speaker [A-Z]: ", line))


@pytest.fixture
def corpus_dir() -> Path:
    """../shared/corpus; skips where it is absent."""
    if not CORPUS.exists():
        pytest.skip("../shared/corpus is not present")
    return CORPUS


@pytest.fixture
def chromium():
    """Debian's Chromium driven by Playwright (no browser download: executable_path is set).

    Function-scoped on purpose: while Playwright's loop runs, Django hands out fresh
    connection objects that lack the test database's serialized contents, so transactional
    tests that ran after a session-long browser lost the migrated rubric.
    """
    import shutil

    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; Django's ORM would
    # take that for an async context, which it is not: the test code stays synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Chromium is not installed: run scripts/ensure-chromium.sh")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh browser page that records console errors in `page.console_errors`."""
    context = chromium.new_context()
    browser_page = context.new_page()
    browser_page.console_errors = []
    browser_page.on(
        "console",
        lambda msg: msg.type == "error" and browser_page.console_errors.append(msg.text),
    )
    browser_page.on("pageerror", lambda exc: browser_page.console_errors.append(str(exc)))
    yield browser_page
    context.close()


@pytest.fixture
def test_output_dir() -> Path:
    """Where tests leave artefacts such as screenshots (ignored by git)."""
    path = Path(__file__).resolve().parent.parent / "test-output"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
def fake_llm():
    """A running fake OpenAI-compatible server."""
    from tests.scoring.fake_llm import FakeLLM

    server = FakeLLM().start()
    yield server
    server.stop()


@pytest.fixture
def feed_server(settings):
    """A real HTTP server on 127.0.0.1, with private URLs allowed for the test's fetches."""
    from tests.factories.http import LocalServer

    settings.PODINDEX_ALLOW_PRIVATE_URLS = True
    server = LocalServer().start()
    yield server
    server.stop()


@pytest.fixture
def record_compiled(monkeypatch):
    """Called, records from then on the model of each queryset compiled to SQL (a list)."""

    def start() -> list[str]:
        compiled, compile_sql = [], SQLCompiler.as_sql

        def counted(compiler, *args, **kwargs):
            compiled.append(compiler.query.model.__name__)
            return compile_sql(compiler, *args, **kwargs)

        monkeypatch.setattr(SQLCompiler, "as_sql", counted)
        return compiled

    return start


@pytest.fixture
def no_prepared_statements(db):
    """A PostgreSQL session holding no prepared statement (core.prepared): the connection lives
    through a worker's tests, and earlier tests' statements and their plan counts would be
    this one's too."""
    from django.db import connection

    from core import prepared

    if connection.vendor != "postgresql":
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    prepared._SESSION_STATEMENTS.pop(connection.connection, None)
