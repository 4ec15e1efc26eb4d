import pytest
from django.db import connection
from django.db.models import Count, F
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext

from core import prepared as prepared_module
from core.prepared import InKeys, PreparedQuery
from episodes.models import Episode
from tests.factories import EpisodeFactory, ShowFactory, TopicFactory, scored_episode

pytestmark = pytest.mark.django_db


def episodes_of(show_slug, title):
    """Listed episodes of a show with a title, their show joined, counted topics, topics."""
    return (
        Episode.objects.listed()
        .filter(show__slug=show_slug, title=title)
        .select_related("show")
        .annotate(topic_count=Count("topics"))
        .prefetch_related("topics")
        .order_by("pk")
    )


def test_it_returns_what_its_queryset_returns_for_each_call_s_values():
    shows = [ShowFactory(), ShowFactory()]
    for show in shows:
        for title in ("Pricing", "Churn"):
            EpisodeFactory(show=show, title=title).topics.add(TopicFactory(), TopicFactory())
    prepared = PreparedQuery(episodes_of, str, str)

    for show in shows:
        for title in ("Pricing", "Churn", "Nothing"):
            expected = list(episodes_of(show.slug, title))
            found = prepared(show.slug, title)
            assert found == expected
            assert [(e.show.title, e.topic_count, list(e.topics.all())) for e in found] == [
                (e.show.title, e.topic_count, list(e.topics.all())) for e in expected
            ]


def test_it_builds_and_compiles_its_queryset_once(django_assert_num_queries):
    show = ShowFactory()
    first, second = EpisodeFactory(show=show), EpisodeFactory(show=show)
    built = []

    def build(episode_id):
        built.append(episode_id)
        return Episode.objects.filter(pk=episode_id).select_related("show")

    prepared = PreparedQuery(build, int)
    with django_assert_num_queries(2):
        assert prepared(first.pk) == [first]
        assert prepared(second.pk) == [second]
    assert len(built) == 1


def test_it_binds_a_list_of_keys_of_any_length_as_one_argument():
    show, other = ShowFactory(), ShowFactory()
    first, second, third = (EpisodeFactory(show=show) for _ in range(3))
    elsewhere = EpisodeFactory(show=other)
    built = []

    def build(show_id, keys):
        built.append(keys)
        return Episode.objects.filter(InKeys(F("pk"), keys), show_id=show_id).order_by("-pk")

    prepared = PreparedQuery(build, int, list)
    assert prepared(show.pk, [first.pk, third.pk, elsewhere.pk]) == [third, first]
    assert prepared(show.pk, (second.pk,)) == [second]
    assert prepared(other.pk, [first.pk, elsewhere.pk]) == [elsewhere]
    assert prepared(show.pk, []) == []
    assert len(built) == 1


def test_in_keys_filters_a_queryset_as_in_does():
    episodes = [EpisodeFactory() for _ in range(4)]
    keys = [episodes[3].pk, episodes[1].pk]

    assert list(Episode.objects.filter(InKeys(F("pk"), keys)).order_by("pk")) == list(
        Episode.objects.filter(pk__in=keys).order_by("pk")
    )
    assert not Episode.objects.filter(InKeys(F("pk"), [])).exists()


def test_it_refuses_an_argument_the_query_does_not_bind_as_given():
    prepared = PreparedQuery(lambda title: Episode.objects.filter(title__icontains=title), str)
    with pytest.raises(ValueError, match="do not reach"):
        prepared("pricing")


def test_it_refuses_none():
    prepared = PreparedQuery(lambda episode_id: Episode.objects.filter(pk=episode_id), int)
    with pytest.raises(ValueError, match="None"):
        prepared(None)


def test_it_keeps_a_literal_percent_sign_of_the_sql():
    episode = EpisodeFactory()
    prepared = PreparedQuery(
        lambda episode_id: Episode.objects.filter(pk=episode_id).annotate(
            share=RawSQL("'50%%'", ())
        ),
        int,
    )
    assert [e.share for e in prepared(episode.pk)] == ["50%"]
    assert [e.share for e in prepared(episode.pk)] == ["50%"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's PREPARE")
def test_it_executes_a_statement_prepared_once_per_session():
    first, second = EpisodeFactory(), EpisodeFactory()
    prepared = PreparedQuery(lambda episode_id: Episode.objects.filter(pk=episode_id), int)

    with CaptureQueriesContext(connection) as queries:
        assert prepared(first.pk) == [first]
        assert prepared(second.pk) == [second]
    assert [q["sql"] for q in queries.captured_queries] == [
        f"EXECUTE {prepared.name}({first.pk})",
        f"EXECUTE {prepared.name}({second.pk})",
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE name = %s", [prepared.name]
        )
        assert cursor.fetchone() == (1,)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's PREPARE")
def test_lists_of_keys_of_every_length_execute_one_prepared_statement():
    episodes = [EpisodeFactory() for _ in range(3)]
    prepared = PreparedQuery(
        lambda keys: Episode.objects.filter(InKeys(F("pk"), keys)).order_by("pk"), list
    )

    with CaptureQueriesContext(connection) as queries:
        for count in range(4):
            assert prepared([e.pk for e in episodes[:count]]) == episodes[:count]
    assert all(q["sql"].startswith(f"EXECUTE {prepared.name}(") for q in queries.captured_queries)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE name = %s", [prepared.name]
        )
        assert cursor.fetchone() == (1,)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's PREPARE")
def test_a_query_made_again_for_the_same_shape_executes_the_same_statement():
    episode = EpisodeFactory()

    def build(episode_id):
        return Episode.objects.filter(pk=episode_id, title__isnull=False)

    first, again = PreparedQuery(build, int), PreparedQuery(build, int)
    assert first(episode.pk) == again(episode.pk) == [episode]
    assert first.name == again.name
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = %s", [first.name])
        assert cursor.fetchone() == (1,)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's PREPARE")
def test_a_session_holding_its_share_of_statements_deallocates_the_least_recently_used(
    monkeypatch, no_prepared_statements
):
    episode = EpisodeFactory()
    first = PreparedQuery(lambda episode_id: Episode.objects.filter(pk=episode_id), int)
    second = PreparedQuery(
        lambda episode_id: Episode.objects.filter(pk=episode_id, title__isnull=False), int
    )
    first(episode.pk)
    second(episode.pk)
    first(episode.pk)  # now the most recently used
    held = prepared_module._SESSION_STATEMENTS[connection.connection]
    monkeypatch.setattr(prepared_module, "STATEMENTS_PER_SESSION", len(held))
    third = PreparedQuery(
        lambda episode_id: Episode.objects.filter(pk=episode_id, slug__isnull=False), int
    )

    with CaptureQueriesContext(connection) as queries:
        assert third(episode.pk) == [episode]
    assert queries.captured_queries[0]["sql"] == f"EXECUTE {third.name}({episode.pk})"
    assert len(held) == prepared_module.STATEMENTS_PER_SESSION
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        session = {name for (name,) in cursor.fetchall()}
    assert {first.name, third.name} <= session
    assert second.name not in session and second.name not in held


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's PREPARE")
def test_it_writes_the_querysets_own_values_into_the_statement_and_binds_only_its_arguments():
    show = ShowFactory()
    episode = scored_episode(show=show, total=80)

    def scored(least):
        return lambda show_id: Episode.objects.filter(show_id=show_id, score__gte=least)

    # One SQL text, two values of its own: two statements, each with its value written in, so
    # that a plan PostgreSQL keeps sees it (as a partial index's predicate needs).
    above, below = PreparedQuery(scored(70), int), PreparedQuery(scored(90), int)
    assert above(show.pk) == [episode]
    assert below(show.pk) == []
    assert above.name != below.name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement, parameter_types::text FROM pg_prepared_statements WHERE name = %s",
            [above.name],
        )
        statement, types = cursor.fetchone()
    assert '"episodes_episode"."score" >= 70' in statement
    assert '"episodes_episode"."show_id" = $1' in statement
    assert types == "{bigint}"


def test_queries_fetched_together_return_what_each_returns_alone_in_one_round_trip():
    shows = [ShowFactory(), ShowFactory()]
    for show in shows:
        for title in ("Pricing", "Churn"):
            EpisodeFactory(show=show, title=title).topics.add(TopicFactory())
    by_title = PreparedQuery(episodes_of, str, str)
    keys = PreparedQuery(
        lambda wanted: (
            Episode.objects.filter(InKeys(F("pk"), wanted))
            .order_by("-pk")
            .values_list("pk", flat=True)
        ),
        list,
    )
    wanted = [episode.pk for episode in Episode.objects.filter(title="Churn")]
    alone = [by_title(shows[0].slug, "Pricing"), keys(wanted), by_title(shows[1].slug, "No")]

    with CaptureQueriesContext(connection) as captured:
        together = prepared_module.fetch_together(
            by_title.bind(shows[0].slug, "Pricing"),
            keys.bind(wanted),
            by_title.bind(shows[1].slug, "No"),
        )

    assert together == alone
    assert together[1] == sorted(wanted, reverse=True)
    # Each with its prefetches (the topics: one query each, after the batch).
    assert [list(e.topics.all()) for e in together[0]] == [list(e.topics.all()) for e in alone[0]]
    statements = [entry["sql"] for entry in captured.captured_queries]
    if connection.vendor == "postgresql":
        (batch, topics) = statements
        assert len(prepared_module.batched_statements(batch)) == 3
        assert "topics" in topics
    else:
        assert len(statements) == 4  # three statements, one prefetch


def test_it_works_out_once_per_connection_how_its_rows_become_instances(monkeypatch):
    show = ShowFactory()
    episodes = [EpisodeFactory(show=show, title="Pricing") for _ in range(3)]
    worked_out = []
    populators = prepared_module.get_related_populators

    def counted(*args, **kwargs):
        worked_out.append(args)
        return populators(*args, **kwargs)

    monkeypatch.setattr(prepared_module, "get_related_populators", counted)
    prepared = PreparedQuery(episodes_of, str, str)

    for _ in range(3):
        found = prepared(show.slug, "Pricing")
        assert found == sorted(episodes, key=lambda episode: episode.pk)
        assert {episode.show.pk for episode in found} == {show.pk}
        assert all(episode.topic_count == 0 for episode in found)

    assert len(worked_out) == 1
