"""Fixtures for the editors' desk: the four kinds of visitor, and a scored episode with evidence."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from episodes.models import Episode
from episodes.transcripts.parse import parse_plain_text
from scoring.models import RubricDimension, Scorecard
from scoring.pipeline import run_scoring
from tests.factories import EpisodeFactory, ShowFactory, TranscriptFactory
from tests.scoring.conftest import answer
from tests.scoring.fake_llm import FakeLLM

INTERVIEW = Path(__file__).resolve().parent.parent / "scoring" / "data" / "operator_interview.txt"
PASSWORD = "a-long-passphrase-for-tests"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Hashing a test password the production way takes most of a second per user."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_editor(username="dana", first_name="Dana", last_name="Reyes") -> User:
    """A staff user in the Editors group, as `manage.py create_editor` makes one."""
    user = User.objects.create_user(
        username, password=PASSWORD, is_staff=True, first_name=first_name, last_name=last_name
    )
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def editor(db):
    return make_editor()


@pytest.fixture
def other_editor(db):
    return make_editor("ada", "Ada", "Lovelace")


@pytest.fixture
def staff_without_group(db):
    return User.objects.create_user("sam", password=PASSWORD, is_staff=True)


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.com", PASSWORD)


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def visitors(db):
    """The permission matrix's rows: anonymous, staff without the group, editor, superuser."""
    return {
        "anonymous": None,
        "staff": User.objects.create_user("sam", password=PASSWORD, is_staff=True),
        "editor": make_editor(),
        "superuser": User.objects.create_superuser("root", "root@example.com", PASSWORD),
    }


@pytest.fixture
def interview(db):
    """A published episode whose real transcript the baseline scorer has scored, with quotes."""
    show = ShowFactory(title="Revenue Rooms")
    episode = EpisodeFactory(show=show, title="Pricing in public")
    segments = parse_plain_text(INTERVIEW.read_text(encoding="utf-8"))
    for n, segment in enumerate(segments):
        segment["start"], segment["end"] = n * 25.0, n * 25.0 + 24
    TranscriptFactory(
        episode=episode, segments=segments, speaker_names={"A": "Host Hana", "B": "Guest Gus"}
    )
    run = run_scoring(episode.pk)
    assert run.outcome == "ok", run.error
    episode.refresh_from_db()
    return episode


@pytest.fixture
def insight():
    return RubricDimension.objects.get(rubric__is_active=True, key="insight_density")


ALL_MAX = (20, 20, 20, 20, 20)


@pytest.fixture
def obedient(settings):
    """An OpenAI-compatible server on 127.0.0.1 whose model gives 20/20 on every dimension."""
    server = FakeLLM().start()
    settings.PODINDEX_SCORING_MODEL = "openai/fake-scorer"
    settings.PODINDEX_SCORING_API_BASE = server.url
    settings.PODINDEX_SCORING_API_KEY = "test-key"
    settings.PODINDEX_SCORING_MAX_RETRIES = 0
    settings.PODINDEX_SCORING_CONTEXT_TOKENS = 0
    settings.PODINDEX_SCORING_PRICE_INPUT_PER_MTOK = 1.0
    settings.PODINDEX_SCORING_PRICE_OUTPUT_PER_MTOK = 4.0
    for _ in range(5):
        server.answer(answer(scores=ALL_MAX))
    yield server
    server.stop()


@pytest.fixture
def held(obedient):
    """A new episode whose first score, 100/100, is held: it has no public score."""
    episode = EpisodeFactory(title="The obedient model episode")
    TranscriptFactory(
        episode=episode, segments=parse_plain_text(INTERVIEW.read_text(encoding="utf-8"))
    )
    run = run_scoring(episode.pk)
    assert run.scorecard.hold == Scorecard.Hold.HELD
    return Episode.objects.get(pk=episode.pk)
