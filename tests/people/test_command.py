import io

import pytest
from django.core.management import call_command

from people.models import Person
from people.tasks import sweep_people
from tests.factories import EpisodeFactory

pytestmark = pytest.mark.django_db


def test_sweep_people_reads_the_changed_episodes_or_one_by_id():
    episode = EpisodeFactory(people=[{"name": "Dana Reyes", "role": "guest"}])
    out = io.StringIO()
    call_command("sweep_people", stdout=out)
    assert "on 1 episode(s)" in out.getvalue()
    assert Person.objects.filter(name="Dana Reyes").exists()

    out = io.StringIO()
    call_command("sweep_people", episode=episode.pk, force=True, stdout=out)
    assert "on 1 episode(s)" in out.getvalue()


def test_the_beat_task_sweeps_the_changed_episodes(settings):
    EpisodeFactory(people=[{"name": "Dana Reyes", "role": "guest"}])
    assert sweep_people() == 1
    assert sweep_people() == 0
    assert settings.CELERY_BEAT_SCHEDULE["sweep-people"]["task"] == "people.tasks.sweep_people"
