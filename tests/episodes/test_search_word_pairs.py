"""The phrase index of episode search (migration 0009): a lexeme per pair of adjacent words.

A phrase rewritten to its word pairs must match exactly the rows the phrase matches, so the
tests compare both answers over every query and text below, on vectors the trigger wrote.
"""

import itertools

import pytest
from django.db import connection

from episodes.models import Episode
from tests.factories import EpisodeFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full text only"),
]

TEXTS = [
    "Pricing churn pipeline",
    "Churn pricing, then the pipeline",
    "The cost of sales and pricing churn",
    "Our e-mail pricing churn",
    "It's O'Neil on pricing",
    "Pipeline pricing churn churn pipeline pricing",
    "Nothing to see here",
]
QUERIES = [
    '"pricing churn"',
    '"pricing churn pipeline"',
    '"churn pipeline"',
    '"pricing churn" or nothing',
    'pricing -"churn pipeline"',
    '-"pricing churn" pipeline',
    '"cost of sales"',
    '"sales and pricing churn"',
    '"e-mail pricing"',
    "e-mail",
    '"o\'neil on pricing"',
    '"churn churn pipeline"',
    "pricing -churn",
    '"pipeline pricing" "pricing churn"',
]


def rewrite(query: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT podindex_pair_query(websearch_to_tsquery('english', %s))::text", [query]
        )
        return cursor.fetchone()[0]


def matches(tsquery_sql: str, query: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM episodes_episode WHERE search_vector @@ {tsquery_sql}",  # noqa: S608
            [query],
        )
        return {row[0] for row in cursor.fetchall()}


def test_it_matches_exactly_the_rows_the_phrases_match():
    for title, notes in itertools.product(TEXTS, ["", "<p>Pipeline pricing churn.</p>"]):
        EpisodeFactory(title=title, notes_html=notes)

    for query in QUERIES:
        phrase = matches("websearch_to_tsquery('english', %s)", query)
        pairs = matches("podindex_pair_query(websearch_to_tsquery('english', %s))", query)
        assert pairs == phrase, query


def test_it_turns_a_two_word_phrase_into_one_lexeme_and_longer_ones_into_a_chain_of_pairs():
    assert rewrite('"pricing churn"') == "'price churn'"
    assert rewrite('"pricing churn pipeline" or zyzzyva') == (
        "'price churn' <-> 'churn pipelin' | 'zyzzyva'"
    )
    assert rewrite('pricing -"churn pipeline"') == "'price' & !'churn pipelin'"


def test_it_leaves_phrases_around_a_stop_word_and_words_alone():
    assert rewrite('"cost of sales"') == "'cost' <2> 'sale'"
    assert rewrite('"pricing churn of sales"') == "'price' <-> 'churn' <2> 'sale'"
    assert rewrite("pricing -churn") == "'price' & !'churn'"


def test_it_leaves_phrase_operators_over_groups_alone():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT podindex_pair_query(%s::tsquery)::text",
            ["'a' <-> ('b' <-> 'c')"],
        )
        assert cursor.fetchone()[0] == "'a' <-> ( 'b' <-> 'c' )"


def test_it_indexes_the_pairs_of_vectors_written_by_every_path():
    made = EpisodeFactory(title="Pricing churn")
    Episode.objects.filter(pk=made.pk).update(notes_html="<p>Churn pipeline</p>")
    bulk = Episode.objects.bulk_create(
        [EpisodeFactory.build(show=made.show, title="Churn pipeline")]
    )

    assert matches("%s::tsquery", "'churn pipelin'") == {made.pk, bulk[0].pk}
    assert matches("%s::tsquery", "'price churn'") == {made.pk}
