"""Fixtures for scoring: episodes with transcripts built from plain "Speaker: text" files."""

from pathlib import Path

import pytest

from episodes.transcripts import parse_plain_text
from tests.factories import EpisodeFactory, TranscriptFactory

DATA = Path(__file__).resolve().parent / "data"


def transcript_text(name: str) -> str:
    """One of our own test transcripts in tests/scoring/data."""
    return (DATA / name).read_text(encoding="utf-8")


@pytest.fixture
def make_episode(db):
    """Build an episode whose transcript is the given "Speaker: text" lines."""

    def make(text: str, **episode_kwargs):
        episode = EpisodeFactory(**episode_kwargs)
        TranscriptFactory(episode=episode, segments=parse_plain_text(text))
        return episode

    return make


@pytest.fixture
def interview_episode(make_episode):
    """A dense operator interview: numbers, first-hand experience, probing questions."""
    return make_episode(transcript_text("operator_interview.txt"), title="Pricing in public")


@pytest.fixture
def chat_episode(make_episode):
    """A thin chat: fillers, stock phrases, no specifics."""
    return make_episode(transcript_text("thin_chat.txt"), title="Growth is a journey")
