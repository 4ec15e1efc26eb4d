"""Fixtures for scoring: episodes with transcripts built from plain "Speaker: text" files."""

from pathlib import Path

import pytest

from episodes.transcripts.parse import parse_plain_text
from tests.factories import EpisodeFactory, TranscriptFactory
from tests.scoring.fake_llm import point_scoring_at

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


@pytest.fixture
def llm(fake_llm, settings):
    """Settings pointing litellm at the fake server, with fast retries and known prices."""
    point_scoring_at(settings, fake_llm.url)
    return fake_llm


# Real sentences of operator_interview.txt, per dimension.
INTERVIEW_QUOTES = {
    "insight_density": [
        "Most people think hiding the price protects margin.",
        "We did not lower the price; the list price went up 8% for Scale.",
    ],
    "originality": ["You are not beating Workday; you are beating an afternoon of copy and paste"],
    "guest_caliber": [
        "When I was at Bramble before this, we cut prices by 20% and revenue per account fell "
        "17% while volume barely moved."
    ],
    "specificity_evidence": [
        "Self-serve signups went from 2.1% to 3.4% of visitors",
        "Ninety-day churn for the new cohort was 4.2% against 4.6% before",
    ],
    "conversational_craft": ["But isn't that just discounting with extra steps?"],
}


def answer(scores=(16, 14, 18, 19, 15), quotes=None, **overrides) -> dict:
    """A well-formed model answer about the operator interview."""
    quotes = INTERVIEW_QUOTES if quotes is None else quotes
    keys = list(INTERVIEW_QUOTES)
    data = {
        "dimensions": {
            key: {
                "score": score,
                "rationale": f"The guest backs {key.replace('_', ' ')} with first-hand numbers.",
                "quotes": quotes.get(key, []),
            }
            for key, score in zip(keys, scores, strict=True)
        },
        "summary": "A revenue operator explains how publishing prices lifted small-deal wins.",
        "takeaways": [
            "Publishing per-seat prices lifted self-serve signups from 2.1% to 3.4%.",
            "Hidden prices cost about $1,100 of sales time per small closed deal.",
            "Security review took 41 of 94 days in enterprise cycles.",
            "One security-focused hire cut enterprise cycles to 63 days.",
            "Price against the buyer's real alternative, often a spreadsheet.",
        ],
        "topics": ["Pricing", "Revenue operations", "Sales cycles"],
    }
    data.update(overrides)
    return data
