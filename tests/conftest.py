"""Shared fixtures: the shared corpus and reference page, which may be absent."""

import re
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
REFERENCE_PAGE = SHARED / "reference" / "seed-episode-page.txt"
CORPUS = SHARED / "corpus"


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
