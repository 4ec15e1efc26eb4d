"""The methodology page publishes the rubric and the rules that decide what is public."""

import pytest

from scoring.models import Rubric

pytestmark = pytest.mark.django_db


def test_it_states_the_hold_rule_with_the_configured_thresholds(client, settings):
    settings.PODINDEX_HOLD_JUMP_POINTS = 25
    settings.PODINDEX_HOLD_MIN_EPISODES = 4

    page = client.get("/methodology/").content.decode()

    assert "held for an editor's review" in page
    assert "25 or more points above the show's average once it has 4 scored episodes" in page


def test_it_says_we_transcribe_episodes_without_a_publisher_transcript(client):
    page = client.get("/methodology/").content.decode()

    assert "we transcribe the episode's audio ourselves" in page


def test_it_reads_the_rubric_and_its_dimensions_in_two_queries(
    client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(2):
        page = client.get("/methodology/").content.decode()

    # The formulas are named after the rubric's dimensions, from the same two queries.
    assert "Insight Density" in page


def test_it_reads_nothing_once_warm_until_the_rubric_changes(client, django_assert_num_queries):
    client.get("/methodology/")
    with django_assert_num_queries(0):
        client.get("/methodology/")

    rubric = Rubric.objects.get(is_active=True)
    rubric.name = "Renamed"
    rubric.save()  # moves the content version on
    with django_assert_num_queries(2):
        client.get("/methodology/")
