"""Search does bounded work (issue 12): no COUNT, no sort of every match, a capped phrase scan.

The PostgreSQL tests read the plans the database ran (EXPLAIN ANALYZE): with CANDIDATES
lowered, no scan of episodes or transcripts may hand on more rows than the bound, however
many rows match.
"""

import json
import re

import pytest
from django.db import connection
from django.db.models import F
from django.db.models.sql import Query
from django.test.utils import CaptureQueriesContext

from browse.search import (
    TOP_BAND,
    TOP_TIER,
    _episode_search,
    _episodes,
    compiled_search,
    matching_people,
    search,
)
from core.search import IndexSearchQuery, loosens, relevance
from episodes.models import Episode, Transcript
from people.models import PersonRanking
from shows.models import Show
from tests.factories import ShowFactory, TranscriptFactory, scored_episode
from tests.factories.people import PersonFactory
from tests.statements import executed_statements, statement_sql

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="bounded full-text search is PostgreSQL's"
)
SEARCHED_TABLES = {"episodes_episode", "episodes_transcript"}


@pytest.fixture
def few_candidates(monkeypatch):
    """At most 4 candidates ranked per search and 6 rows read for a phrase."""
    monkeypatch.setattr("core.search.CANDIDATES", 4)
    monkeypatch.setattr("browse.search.CANDIDATES", 4)
    monkeypatch.setattr("core.search.PHRASE_SCAN", 6)
    monkeypatch.setattr("browse.search.TRANSCRIPT_PHRASE_SCAN", 6)


@pytest.fixture
def margin_library():
    """12 episodes that all say "margin" (scores 20–86), each with a transcript saying it too."""
    show = ShowFactory(title="Unit Economics")
    episodes = []
    for i in range(12):
        episode = scored_episode(
            total=20 + 6 * i,
            show=show,
            title=f"Margin talk {i}",
            notes_html="<p>Gross margin and pricing power.</p>",
        )
        TranscriptFactory(
            episode=episode, segments=[{"start": 3.0, "text": "We fixed our gross margin."}]
        )
        episodes.append(episode)
    return episodes


def run_search(query, page=1):
    """The results and the statements that made them (SELECTs, and EXECUTEs of the prepared
    searches). A search before them reads what is read once a while (search_walk's
    statistics) and prepares the statements."""
    search(query, page=page, per_page=2)
    with CaptureQueriesContext(connection) as captured:
        results = search(query, page=page, per_page=2)
    sql = executed_statements(captured.captured_queries)
    return results, [statement for statement in sql if statement.startswith(STATEMENTS)]


STATEMENTS = ("SELECT", "EXECUTE")


def rows_handed_on_by_scans(sql):
    """The most rows a full-text scan of episodes or transcripts produced in one run of it.

    Per run (loop): on tables this small the planner may run a candidate subquery again for
    each outer row, which is no more rows read per search on a real catalogue.
    """
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        (plan,) = cursor.fetchone()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    most, stack = 0, [plan[0]["Plan"]]
    while stack:
        node = stack.pop()
        stack.extend(node.get("Plans", []))
        conditions = " ".join(node.get(key, "") for key in ("Filter", "Recheck Cond"))
        matched = "@@" in conditions or "ts_match_vq" in conditions
        if node.get("Relation Name") in SEARCHED_TABLES and matched:
            most = max(most, node["Actual Rows"])
    return most


def test_it_loosens_only_queries_with_a_phrase_it_can_widen():
    assert loosens('"net revenue" churn')
    assert loosens('"net revenue" or churn -crypto')
    assert loosens('"unclosed phrase')
    # No phrase, or loosening would exclude more: an excluded phrase or compound word.
    assert not loosens("net revenue")
    assert not loosens('churn -"net revenue"')
    assert not loosens('"net revenue" -e-commerce')


@postgres_only
@pytest.mark.parametrize(
    ("query", "loose"),
    [
        ('"pricing power"', "'price' & 'power'"),
        ('"state of the art" or churn -crypto', "'state' & 'art' | 'churn' & !'crypto'"),
        ('"e-commerce pricing"', "'e-commerc' & 'e' & 'commerc' & 'price'"),
    ],
)
def test_it_loosens_phrases_into_all_their_words(query, loose):
    expression = IndexSearchQuery(query, loose=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::tsquery::text", [loose])
        (expected,) = cursor.fetchone()
        compiler = Query(None).get_compiler(connection=connection)
        sql, params = expression.resolve_expression(Query(None)).as_sql(compiler, connection)
        cursor.execute(f"SELECT ({sql})::text", params)
        assert cursor.fetchone() == (expected,)


@postgres_only
def test_it_never_counts_nor_sorts_every_match(margin_library, few_candidates):
    results, queries = run_search("margin")

    assert len(results.episodes) == 2 and len(results.moments) == 2
    # Shows, people, episodes, moments.
    assert len(queries) == 4
    queries = [statement_sql(statement) for statement in queries]
    for sql in queries:
        assert "COUNT(" not in sql.upper()
    episode_sql, moment_sql = queries[2], queries[3]
    for sql in (episode_sql, moment_sql):
        # The candidate scans stop after CANDIDATES rows with no sort, each candidate ranked
        # as it is read; only the page's end (3 rows) is kept of them, and only those rows
        # are read again, to be put in order.
        page_rows, candidates = sql.split("(SELECT ranked.scan_pk FROM (", 1)
        candidates, ranking = candidates.split(") AS found", 1)
        assert "ORDER BY" not in candidates and "ts_rank_cd" in candidates
        assert ranking.startswith(" LIMIT 4) AS ranked ORDER BY ranked.scan_relevance DESC")
        assert ranking.split("))", 1)[0].endswith("LIMIT 3")
    # A moment is picked from its transcript's (large) segments for the page's rows only.
    page_rows, candidates = moment_sql.split("(SELECT ranked.scan_pk FROM (", 1)
    assert '"segments"' in page_rows and '"segments"' not in candidates


@postgres_only
@pytest.mark.parametrize(
    "query",
    ["margin", "gross margin", '"gross margin"', "margin -zebra", '"gross margin" or zebra'],
)
def test_it_reads_a_bounded_number_of_rows_however_many_match(
    margin_library, few_candidates, query
):
    _, queries = run_search(query)

    # 12 episodes and 12 transcripts match; 4 candidates are ranked, a phrase reads 6 rows.
    for sql in queries[1:]:
        assert rows_handed_on_by_scans(sql) <= 6, sql


@postgres_only
def test_it_picks_the_same_candidates_however_the_last_scan_ended(margin_library):
    search("margin")
    with CaptureQueriesContext(connection) as captured:
        search("margin")
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronize_seqscans")
        (synchronized,) = cursor.fetchone()

    # A sequential scan that may start where the last one stopped would rank other rows on
    # each search (and page): synchronized scans are off on every connection, set as it
    # opens, so a search spends no statement of its own on it.
    assert synchronized == "off"
    statements = executed_statements(captured.captured_queries)
    assert all(statement.startswith(STATEMENTS) for statement in statements)
    assert len(statements) == 4  # shows, people, episodes, moments
    # Sent together: one round trip.
    assert len(captured.captured_queries) == 1


@postgres_only
def test_it_takes_well_scored_episodes_first_for_a_common_word(margin_library, few_candidates):
    results, _ = run_search("margin")
    second, _ = run_search("margin", page=2)

    # Scores 20–86: the three scored 70 or more (74, 80, 86) are candidates before the rest.
    ranked = results.episodes + second.episodes
    assert len(ranked) == 4
    assert {e.score for e in ranked} >= {74, 80, 86}


@postgres_only
def test_it_takes_the_best_scored_band_first_from_the_index(few_candidates):
    show = ShowFactory(title="Unit Economics")
    # Scored 71 to 76 and stored first, so first in the tier's bitmap; then four scored 81 to 84.
    for total in [71, 72, 73, 74, 75, 76, 81, 82, 83, 84]:
        scored_episode(
            total=total, show=show, title=f"Margin talk {total}", notes_html="<p>Margin.</p>"
        )
    assert _episode_search("margin") is _episodes

    pages = [run_search("margin", page=page) for page in (1, 2, 3)]

    # Four candidates, all from the band of episodes scored 80 or more.
    assert sorted(e.score for results, _ in pages for e in results.episodes) == [81, 82, 83, 84]


@postgres_only
@pytest.mark.parametrize(
    ("band", "index"),
    [(TOP_BAND, "episode_search_band_idx"), (TOP_TIER, "episode_search_top_idx")],
)
def test_each_band_has_a_partial_index_of_its_very_rows(band, index):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = %s::regclass",
            [index],
        )
        (predicate,) = cursor.fetchone()

    # The planner uses a partial index only where the query's filter implies its predicate.
    ((lookup, value),) = band.children
    assert lookup == "score__gte"
    assert predicate == f"(score >= {value})"


@postgres_only
def test_it_ranks_every_match_of_a_rare_word_best_match_first(margin_library, few_candidates):
    show = margin_library[0].show
    scored_episode(total=30, show=show, title="Kubernetes costs", notes_html="<p>margin</p>")
    scored_episode(total=90, show=show, title="Hiring", notes_html="<p>kubernetes margin</p>")
    scored_episode(total=60, show=show, title="Roadmaps", notes_html="<p>kubernetes</p>")

    results, _ = run_search("kubernetes")
    second, _ = run_search("kubernetes", page=2)

    # All three are ranked: the title match (weight A) first despite its lower score.
    titles = [e.title for e in results.episodes + second.episodes]
    assert titles[0] == "Kubernetes costs"
    assert sorted(titles) == ["Hiring", "Kubernetes costs", "Roadmaps"]
    assert not second.capped


@postgres_only
def test_it_finds_a_phrase_and_not_the_same_words_apart(margin_library, few_candidates):
    show = margin_library[0].show
    scored_episode(total=75, show=show, title="Power pricing", notes_html="<p>gross</p>")

    results, _ = run_search('"pricing power"')

    # The margin episodes' notes say "pricing power"; "Power pricing" has the words apart.
    assert results.episodes
    assert all(e.title.startswith("Margin talk") for e in results.episodes)


@postgres_only
@pytest.mark.parametrize("query", ['"gross margin"', "gross margin", '"gross margin" or zebra'])
def test_it_orders_the_candidates_as_their_relevance_says(margin_library, query):
    show = margin_library[0].show
    # Newer and scored lower than the margin episodes: a rank that left out the score (or ties
    # on it) would put them first.
    for i, notes in enumerate(["gross margin, gross margin", "margin", "Gross margin at last"]):
        episode = scored_episode(total=21 + i, show=show, title="Q&A", notes_html=notes)
        TranscriptFactory(episode=episode, segments=[{"start": 1.0, "text": notes}])

    # Two a page: each page keeps the best of the candidates as ranked in their scan.
    pages = [search(query, page=page, per_page=2) for page in range(1, 10)]
    found_episodes = [e for page in pages for e in page.episodes]
    found_moments = [m for page in pages for m in page.moments]

    # The rank each candidate is given in the scan (a phrase's outside Django) orders as
    # core.search.relevance does: text relevance blended with the (episode's) score.
    def ranked(rows, score):
        order = rows.annotate(relevance=relevance(query, score)).order_by("-relevance", "-pk")
        return list(order.values_list("pk", flat=True))

    episodes = Episode.objects.filter(pk__in=[e.pk for e in found_episodes])
    moments = Transcript.objects.filter(episode__in=[m.episode for m in found_moments])
    assert len(found_episodes) >= 13 and len(found_moments) >= 13
    assert [e.pk for e in found_episodes] == ranked(episodes, "score")
    assert [m.episode.pk for m in found_moments] == [
        Transcript.objects.get(pk=pk).episode_id for pk in ranked(moments, "episode__score")
    ]


@postgres_only
def test_it_reads_only_the_episodes_that_hold_a_two_word_phrase(margin_library, few_candidates):
    show = margin_library[0].show
    for i in range(8):
        scored_episode(total=75, show=show, title=f"Gross talk {i}", notes_html="<p>margin</p>")

    results, queries = run_search('"margin talk"')

    # 20 episodes hold both words, 12 side by side: the phrase index hands on phrase rows
    # only, up to the 4 candidates, where the words alone would fill the 6-row phrase scan.
    assert all(e.title.startswith("Margin talk") for e in results.episodes)
    assert rows_handed_on_by_scans(queries[1]) <= 4


@postgres_only
def test_it_pages_up_to_the_candidates_and_says_more_may_match(
    client, margin_library, few_candidates, monkeypatch
):
    monkeypatch.setattr("browse.views.site.SEARCH_PER_PAGE", 2)

    first = client.get("/search/", {"q": "margin"}).content.decode()
    last = client.get("/search/", {"q": "margin", "page": 2}).content.decode()

    assert 'rel="next"' in first and "more may match" not in first
    assert 'rel="next"' not in last
    assert re.search(r"ranks the first 4 matching", last)
    assert client.get("/search/", {"q": "margin", "page": 3}).status_code == 404


@pytest.fixture
def crowd():
    """Fourteen people: "Ann" in eight names (some scored, some not, one with no figures)."""
    scores = [40.0, 90.0, None, 75.0, 75.0, 10.0, 60.0, 85.0, 20.0, 55.0, 75.0, 30.0, None, 65.0]
    people = []
    for i, score in enumerate(scores):
        name = f"{'Ann' if i % 2 else 'Bo'} Lee {i}"
        person = PersonFactory(name=name, slug=f"p-{i}")
        if i != 5:
            PersonRanking.objects.create(person=person, score=score)
        people.append(person)
    return people


@pytest.mark.parametrize(
    ("query", "sort", "walk"),
    [("ann", 500, 2000), ("ann", 3, 4), ("ann", 3, 13), ("n l", 3, 4), ("1", 3, 2), ("Bo 1", 1, 3)],
)
def test_it_finds_the_same_best_ranked_people_whichever_way_it_reads_them(
    crowd, monkeypatch, query, sort, walk
):
    monkeypatch.setattr("browse.search.PEOPLE_SORT", sort)
    monkeypatch.setattr("browse.search.PEOPLE_WALK", walk)
    words = query.lower().split()
    matches = [person for person in crowd if all(word in person.name.lower() for word in words)]
    rankings = {r.person_id: r.score for r in PersonRanking.objects.all()}
    matches.sort(
        key=lambda person: (
            rankings.get(person.pk) is None,
            -(rankings.get(person.pk) or 0),
            person.name,
        )
    )

    assert [person.name for person in matching_people(query)] == [
        person.name for person in matches[:5]
    ]


@postgres_only
@pytest.mark.parametrize("query", ["gross", "gross margin"])
def test_a_search_of_a_shape_met_before_compiles_no_sql(margin_library, record_compiled, query):
    search("margin")
    search("gross margin")
    compiled = record_compiled()
    results = search(query)

    # Shows, episodes, moments and the people whose names hold the words (none here): each
    # query's SQL was compiled once, by the first search of its shape; this one binds its words.
    assert len(results.episodes) == 10 and not results.people
    assert compiled == []


@pytest.mark.parametrize("query", ["n_l", "n%l", "nn\\"])
def test_it_reads_like_wildcards_in_a_name_as_themselves(crowd, query):
    # "Ann Lee 1" has "n L" where "_" or "%" would match anything.
    assert matching_people(query) == []


@postgres_only
def test_it_compiles_each_shape_of_search_once_and_binds_each_query_to_it(margin_library):
    show = margin_library[0].show
    scored_episode(total=50, show=show, title="Kubernetes costs")
    compiled_search.cache_clear()

    margin = search("margin", per_page=20)
    compiled = compiled_search.cache_info().misses
    kubernetes = search("kubernetes", per_page=20)

    # Shows, episodes and moments: compiled for the first word, reused for the second.
    assert compiled == 3
    assert compiled_search.cache_info().misses == 3
    assert len(margin.episodes) == 12
    assert [e.title for e in kubernetes.episodes] == ["Kubernetes costs"]
    assert not kubernetes.moments


@pytest.fixture
def margin_shows():
    """Nine shows that mention "margin", scored 10-90 (one unscored), some in the title."""
    shows = []
    for i, score in enumerate([40.0, 90.0, None, 75.0, 10.0, 60.0, 85.0, 20.0, 55.0]):
        title = f"Margin Hour {i}" if i % 3 == 0 else f"Money Talk {i}"
        shows.append(ShowFactory(title=title, description="<p>Gross margin talk.</p>", score=score))
    return shows


@postgres_only
@pytest.mark.parametrize("candidates", [4, 200])
def test_it_ranks_the_best_scored_shows_as_their_relevance_says(
    margin_shows, monkeypatch, candidates
):
    monkeypatch.setattr("core.search.CANDIDATES", candidates)
    with CaptureQueriesContext(connection) as captured:
        found = search("margin").shows

    # The CANDIDATES best-scored matches, the page's five of them by relevance (the title
    # matches weigh more than their scores).
    best_scored = Show.objects.filter(pk__in=[s.pk for s in margin_shows]).order_by(
        F("score").desc(nulls_last=True), "-pk"
    )[:candidates]
    expected = (
        Show.objects.filter(pk__in=list(best_scored.values_list("pk", flat=True)))
        .annotate(relevance=relevance("margin", "score"))
        .order_by("-relevance", "-pk")[:5]
    )
    assert [s.pk for s in found] == [s.pk for s in expected]
    # Each candidate is ranked in the scan that found it, and only the page's shows (five, or
    # fewer candidates) are read again, not every candidate.
    executed = [statement_sql(sql) for sql in executed_statements(captured.captured_queries)]
    (show_sql,) = [sql for sql in executed if sql.startswith('SELECT "shows_show"')]
    candidates_sql = show_sql.split(" IN (SELECT scan.scan_pk FROM (", 1)[1]
    assert "ts_rank_cd" in candidates_sql
    assert f"scan.scan_pk DESC LIMIT {min(5, candidates)})) ORDER BY" in candidates_sql
