"""Site search: shows, people, episodes and the moments in transcripts where the words were said."""

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from django.db import connection
from django.db.models import (
    BooleanField,
    F,
    FloatField,
    Func,
    JSONField,
    Lookup,
    Q,
    Subquery,
    TextField,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

import core.search
from browse.rows import EPISODE_ROW, EPISODE_ROW_SHOW
from browse.search_walk import walks_tier
from core import search_index
from core.pagination import Pager
from core.prepared import Bound, PreparedQuery, fetch_together
from core.search import (
    CANDIDATES,
    MAX_TERMS,
    SCORE_WEIGHT,
    TEXT_WEIGHT,
    clean_query,
    loosens,
    query_terms,
    search_queryset,
    uses_full_text,
)
from episodes.models import Episode, Transcript
from people.models import Person, PersonRanking
from shows.models import Show

SNIPPET_CHARS = 240
# What the search page shows of a show and of a transcript moment (its episode as a list row
# gives it: the API's moments are episode summaries).
SHOW_ROW = ("title", "slug", "author", "artwork_url", "score", "rank")
MOMENT_ROW = (
    *(f"episode__{name}" for name in EPISODE_ROW),
    *(f"episode__{name}" for name in EPISODE_ROW_SHOW),
)
# What a moment's row shows (search/_moment_row.html) besides its snippet: its fragment's key.
MOMENT_SHOWN = (
    "start", "episode__pk", "episode__title", "episode__slug",
    "episode__show__title", "episode__show__slug",
)  # fmt: skip
# Well-scored episodes are the first candidates for a common word (see core.search). The
# partial index episode_search_top_idx (episodes migration 0004) has this very predicate:
# change both together, or the tier reads the whole index.
TOP_TIER = Q(score__gte=70)
TOP_TIER_INDEX = "episode_search_top_idx"
# The tier's best band, whose matches are taken first where the GIN index's bitmap is read (a
# quarter of the tier's entries): the predicate of episode_search_band_idx (episodes migration
# 0014). Change both together.
TOP_BAND = Q(score__gte=80)
TOP_BAND_INDEX = "episode_search_band_idx"
# The tier's candidates best score first: the order of episode_best_scored_idx (episodes
# migration 0006), which a common word's search walks instead of reading every match of the
# tier. Change both together.
TOP_TIER_ORDER = ("-score", "-scored_at", "-pk")
# The best-scored shows' order (core.search._best_scored_matches) is this index's (shows
# migration 0007), which a common word's search walks.
SHOW_WALK_INDEX = "show_score_order_idx"
TRANSCRIPT_PHRASE_SCAN = 500
PEOPLE = 5
# Search shapes compiled per process (compiled_search): a phrase or not, walked or not, the
# page, the bounds.
COMPILED_SHAPES = 256
# People search (matching_people): a fragment with at most PEOPLE_SORT matches has them sorted;
# a commoner one is looked for among the PEOPLE_WALK best-scored people first.
PEOPLE_SORT = 500
PEOPLE_WALK = 2000
# pg_trgm indexes three-character pieces: a shorter fragment is not answered by the index.
TRIGRAM = 3


@dataclass
class Moment:
    """Where in a transcript the words were said: the segment's `text`, and the query's `terms`
    (query_terms()) marked in it."""

    episode: object
    start: float | None
    text: str
    terms: tuple[str, ...]

    @cached_property
    def snippet(self) -> SafeString:
        """The text around the first match, escaped, with the terms marked.

        Made when first read: a moment row found in the cache (keyed on text and terms,
        which decide it) never needs it.
        """
        return highlight(self.text, list(self.terms))

    @property
    def url(self):
        anchor = f"#t={int(self.start)}" if self.start is not None else ""
        return self.episode.get_absolute_url() + anchor


@dataclass
class Results(Pager):
    """Search results: pages of shows, episodes and transcript moments, with no total."""

    query: str
    truncated: bool = False
    shows: list = field(default_factory=list)
    people: list = field(default_factory=list)
    episodes: list = field(default_factory=list)
    moments: list = field(default_factory=list)
    has_next: bool = False
    number: int = 1
    # The last page of a capped search: more rows match than are ranked (CANDIDATES).
    capped: bool = False
    cap: int = 0

    @property
    def empty(self):
        return not (self.shows or self.people or self.episodes or self.moments)


def find_moment(segments: list, terms: list[str]) -> tuple[float | None, str]:
    """The segment that mentions most of `terms` (the first such): its start and its text."""
    best, best_hits = None, 0
    for segment in segments or []:
        if not isinstance(segment, dict):
            continue
        text = str(segment.get("text") or "").lower()
        hits = sum(1 for term in terms if term in text)
        if hits > best_hits:
            best, best_hits = segment, hits
            if hits == len(terms):
                break
    if best is None:
        return None, ""
    start = best.get("start")
    try:
        start = float(start) if start is not None else None
    except (TypeError, ValueError):
        start = None
    return start, str(best.get("text") or "")


def highlight(text: str, terms: list[str]) -> SafeString:
    """`text` escaped, cut to a window around the first match, with matches in <mark>."""
    if not terms:
        return escape(text[:SNIPPET_CHARS])
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    first = pattern.search(text)
    if first and len(text) > SNIPPET_CHARS:
        start = max(0, first.start() - SNIPPET_CHARS // 3)
        text = ("…" if start else "") + text[start : start + SNIPPET_CHARS] + "…"
    elif len(text) > SNIPPET_CHARS:
        text = text[:SNIPPET_CHARS] + "…"
    pieces, last = [], 0
    for match in pattern.finditer(text):
        pieces.append(escape(text[last : match.start()]))
        pieces.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    pieces.append(escape(text[last:]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece is escaped above


def matching_people(query: str, limit: int = PEOPLE) -> list:
    """Visible people whose name holds every word of the query, best ranked first.

    On PostgreSQL with bounded work: a name fragment that few people share (PEOPLE_SORT at
    most) is looked up in its trigram index and those people are sorted; one that many share
    (or too short for trigrams) has the PEOPLE_WALK best-scored people read in score order, and
    when `limit` of them match no one else can come before them.
    """
    wanted = query_terms(query)
    lookup = _name_lookup(wanted)
    keys = fetch_together(lookup)[0] if lookup else None
    return _people_named(wanted, keys, limit)


def _name_lookup(wanted: list[str]) -> Bound | None:
    """The keys of the first PEOPLE_SORT + 1 people whose name holds each of `wanted`, to
    fetch (PostgreSQL, where a fragment is long enough for the trigram index), else None."""
    if not (wanted and uses_full_text() and any(len(term) >= TRIGRAM for term in wanted)):
        return None
    return _name_matches(len(wanted)).bind(*map(_like_pattern, wanted))


def _people_named(wanted: list[str], keys: list[int] | None, limit: int = PEOPLE) -> list:
    """matching_people() for `wanted`, given the keys its _name_lookup() fetched (None where
    it made none)."""
    if not wanted or keys == []:
        # Most searches name no one: the one lookup is all they cost.
        return []
    if keys is not None and len(keys) <= PEOPLE_SORT:
        return list(_ranked_people(wanted).filter(pk__in=keys)[:limit])
    ranked = _ranked_people(wanted)
    if uses_full_text():
        floor = (
            PersonRanking.objects.filter(score__isnull=False)
            .order_by(F("score").desc(nulls_last=True))
            .values_list("score", flat=True)[PEOPLE_WALK - 1 : PEOPLE_WALK]
        )
        found = list(ranked.filter(ranking__score__gte=Subquery(floor))[:limit])
        if len(found) == limit:
            return found
    return list(ranked[:limit])


def _named(wanted: list[str]):
    """Visible people whose name holds each of `wanted` (any case)."""
    people = Person.objects.visible()
    for term in wanted:
        # On PostgreSQL a trigram index on UPPER(name) (people migration 0007) answers this
        # for a word of three characters or more.
        people = people.filter(name__icontains=term)
    return people


def _ranked_people(wanted: list[str]):
    """_named(wanted) with what the page shows of them, best ranked first."""
    return (
        _named(wanted)
        .select_related("ranking")
        .only("name", "slug", "description", "ranking__score", "ranking__rank")
        .order_by(F("ranking__score").desc(nulls_last=True), "name", "pk")
    )


class NameLike(Lookup):
    """`UPPER(name) LIKE UPPER(pattern)`, as name__icontains compiles (so the trigram index on
    UPPER(name) answers it), with the pattern bound as given: a prepared statement's argument."""

    lookup_name = "podindex_name_like"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"UPPER({lhs}) LIKE UPPER({rhs})", (*lhs_params, *rhs_params)


@lru_cache(maxsize=MAX_TERMS)
def _name_matches(terms: int) -> PreparedQuery:
    """The keys of the first PEOPLE_SORT + 1 visible people whose name is LIKE each of `terms`
    patterns (_like_pattern): a prepared statement per number of fragments (building and
    compiling the queryset was most of a no-name search's people CPU, planning it most of the
    database's)."""

    def build(*patterns):
        people = Person.objects.visible()
        for pattern in patterns:
            people = people.filter(NameLike(Cast("name", TextField()), pattern))
        return people.order_by().values_list("pk", flat=True)[: PEOPLE_SORT + 1]

    return PreparedQuery(build, *[str] * terms)


def _like_pattern(term: str) -> str:
    """The pattern name__icontains binds for `term` (its LIKE wildcards escaped)."""
    return f"%{connection.ops.prep_for_like_query(term)}%"


def _shows(query: str, loose: bool, offset: int, limit: int, walk: bool = False):
    # A few thousand shows: the best-scored matching shows are ranked.
    return (
        Show.objects.active()
        .search(query, best_scored=True, walk=walk, top=offset + limit)
        .only(*SHOW_ROW)[offset : offset + limit]
    )


def _best_scored_shows(query: str, loose: bool, offset: int, limit: int):
    # The shows read best score first: for words common enough (search_walk).
    return _shows(query, loose, offset, limit, walk=True)


def _episodes(query: str, loose: bool, offset: int, limit: int, walk_order: tuple = ()):
    return (
        Episode.objects.listed()
        .search(
            query, tier=(TOP_BAND, TOP_TIER), walk_order=walk_order, loose=loose, top=offset + limit
        )
        .select_related("show")
        .only(*EPISODE_ROW, *EPISODE_ROW_SHOW)[offset : offset + limit]
    )


def _best_scored_episodes(query: str, loose: bool, offset: int, limit: int):
    # The tier's candidates best score first: for words common enough (search_walk).
    return _episodes(query, loose, offset, limit, walk_order=TOP_TIER_ORDER)


def _walked_or_not(query: str, build, walked, table: str, index: str, wanted=None, **costs):
    """`walked` (rows read in an index's order until `wanted`, CANDIDATES unless given, match)
    when `query`'s words are common enough for that to cost less than the GIN index's every
    match (search_walk.walks_tier, with `costs`; `index` holds the rows walked), else
    `build`."""
    if (
        uses_full_text()
        and not search_index.enabled()
        and walks_tier(query, table, index, wanted, **costs)
    ):
        return walked
    return build


def _episode_search(query: str):
    """How the episodes of `query` are searched: the tier walked best score first, or as the
    GIN index yields them."""
    return _walked_or_not(
        query,
        _episodes,
        _best_scored_episodes,
        Episode._meta.db_table,
        TOP_TIER_INDEX,
        band_index=TOP_BAND_INDEX,
    )


def _show_search(query: str):
    """How the shows of `query` are searched: read best score first, or every match sorted."""
    return _walked_or_not(
        query, _shows, _best_scored_shows, Show._meta.db_table, SHOW_WALK_INDEX, sorts_all=True
    )


def _moment_search(query: str):
    """How the transcripts of `query` are searched: the newest first, or as the GIN index
    yields them. A phrase is looked for in the first TRANSCRIPT_PHRASE_SCAN transcripts
    holding all its words (core.search): walked or not as those words would be."""
    table = Transcript._meta.db_table
    loose = loosens(query)
    wanted = TRANSCRIPT_PHRASE_SCAN if loose else None
    return _walked_or_not(
        query, _moments, _newest_moments, table, f"{table}_pkey", wanted, loose=loose
    )


def _moments(query: str, loose: bool, offset: int, limit: int, *terms: str, walk_order=()):
    # Only the rows up to the page's end are read (each transcript's segments are large).
    return with_moment(
        search_queryset(
            Transcript.objects.listed(),
            query,
            fields=("segments",),
            score="episode__score",
            # A transcript's vector is large (read from TOAST): fewer are read for a phrase.
            phrase_scan=TRANSCRIPT_PHRASE_SCAN,
            walk_order=walk_order,
            loose=loose,
            top=offset + limit,
        )
        .select_related("episode__show")
        .only(*MOMENT_ROW),
        terms,
    )[offset : offset + limit]


def _newest_moments(query: str, loose: bool, offset: int, limit: int, *terms: str):
    # The newest transcripts first, for words common enough (search_walk).
    return _moments(query, loose, offset, limit, *terms, walk_order=("-pk",))


# find_moment's choice, made in the database: the first segment (a JSON object) holding most of
# the terms, if any holds one. {hits} adds up a (strpos(said, %s) > 0)::int per term, each term
# a parameter, and OFFSET 0 keeps `said` a subquery, lowered once per segment rather than at
# each mention: 0.063 ms of CPU per 20-segment transcript, where a JSON list of the terms
# unpacked for each segment took 0.107 (2,000 transcripts of the bench catalogue, two words).
# PostgreSQL's lower() folds as Python's str.lower() does for the database's character type
# (C.UTF-8 or a UTF-8 locale).
BEST_SEGMENT = """(
SELECT part.segment
FROM jsonb_array_elements(CASE jsonb_typeof({segments}) WHEN 'array' THEN {segments} END)
    WITH ORDINALITY AS part (segment, position),
LATERAL (SELECT lower(part.segment ->> 'text') AS said OFFSET 0) AS lowered
WHERE jsonb_typeof(part.segment) = 'object' AND {hits} > 0
ORDER BY {hits} DESC, part.position
LIMIT 1
)"""
# The same for one term, where the first segment holding it is the one: no count of hits to
# sort on (0.024 ms a transcript where BEST_SEGMENT took 0.040, 'pricing' at 250,000 episodes).
FIRST_SEGMENT = """(
SELECT part.segment
FROM jsonb_array_elements(CASE jsonb_typeof({segments}) WHEN 'array' THEN {segments} END)
    WITH ORDINALITY AS part (segment, position)
WHERE jsonb_typeof(part.segment) = 'object' AND strpos(lower(part.segment ->> 'text'), %s) > 0
ORDER BY part.position
LIMIT 1
)"""


def with_moment(transcripts, terms: tuple[str, ...]):
    """`transcripts` with what a Moment is made of: on PostgreSQL the one segment find_moment
    would pick (`moment`, found in the database: an hour's segments are some 100 kB of JSON
    each), elsewhere all their `segments`. `terms` are query_terms()."""
    if not uses_full_text():
        return transcripts.only(*MOMENT_ROW, "segments")
    meta = Transcript._meta
    column = f"{connection.ops.quote_name(meta.db_table)}.{connection.ops.quote_name('segments')}"
    # Only the model's quoted column name and fixed SQL are spliced in; the terms are parameters.
    if len(terms) == 1:
        best = RawSQL(FIRST_SEGMENT.format(segments=column), terms, output_field=JSONField())  # noqa: S611
        return transcripts.annotate(moment=best)
    # No terms: no segment holds one (CAST: a bare 0 in ORDER BY would name a column).
    hits = " + ".join(["(strpos(lowered.said, %s) > 0)::int"] * len(terms)) or "CAST(0 AS int)"
    sql = BEST_SEGMENT.format(segments=column, hits=hits)
    best = RawSQL(sql, (*terms, *terms), output_field=JSONField())  # noqa: S611
    return transcripts.annotate(moment=best)


def moment_of(transcript, terms: list[str]) -> Moment:
    """The Moment of a transcript read by with_moment()."""
    segments = [transcript.moment] if uses_full_text() else transcript.segments
    start, text = find_moment(segments, terms)
    return Moment(transcript.episode, start, text, tuple(terms))


@lru_cache(maxsize=COMPILED_SHAPES)
def compiled_search(
    build, loose: bool, offset: int, limit: int, bounds: tuple, extra: int
) -> PreparedQuery:
    """`build(query, loose, offset, limit, *strings)` compiled, kept per shape and bounds, with
    a stand-in for the query text; each call binds the real one (compiling took about a third
    of a search's own CPU).

    A prepared statement, whose plan PostgreSQL keeps after five runs: parsing and planning
    took half of a search's database CPU (3.7 of 7.5 ms for 'pricing' at 250,000 episodes).
    The planner does not see the words (core.search.IndexSearchQuery), so every query of a
    shape gets the same plan; where the best plan depends on how common the words are (a
    walk that stops early, or the GIN index), that choice is made here (_walked_or_not) and
    is a shape of its own.
    """
    return PreparedQuery(
        lambda query, *strings: build(query, loose, offset, limit, *strings), str, *[str] * extra
    )


def _pending(build, query: str, offset: int, limit: int, *extra: str) -> Bound | list:
    """The rows of `build(query, loose, offset, limit, *extra)`, or on PostgreSQL its statement
    to fetch with the page's others (_fetched): compiled once per shape (the SQL differs with
    a phrase, the slice and the bounds, not with the words)."""
    if search_index.enabled():
        return _engine_rows(build, query, offset, limit, *extra)
    loose = loosens(query)
    if not uses_full_text():
        # The SQLite fallback's SQL has a condition per word.
        return list(build(query, loose, offset, limit, *extra))
    bounds = (core.search.CANDIDATES, core.search.PHRASE_SCAN, TRANSCRIPT_PHRASE_SCAN)
    return compiled_search(build, loose, offset, limit, bounds, len(extra)).bind(query, *extra)


def _fetched(pending: dict) -> dict:
    """`pending` (rows, statements to fetch, or None) with every statement's rows fetched, all
    of them in one round trip."""
    statements = {name: call for name, call in pending.items() if isinstance(call, Bound)}
    fetched = dict(zip(statements, fetch_together(*statements.values()), strict=True))
    return {name: fetched.get(name, call) for name, call in pending.items()}


# The search engine (core.search_index): each kind's index name, the rows a listener may see
# (with what the page shows of them; given the kind's extra arguments), the same rows with no
# columns chosen (their order is found from indexes alone), and the score blended into their
# order.
ENGINE_KINDS = {
    _shows: ("show", lambda: Show.objects.active().only(*SHOW_ROW), Show.objects.active, "score"),
    _episodes: (
        "episode",
        lambda: (
            Episode.objects.listed().select_related("show").only(*EPISODE_ROW, *EPISODE_ROW_SHOW)
        ),
        Episode.objects.listed,
        "score",
    ),
    _moments: (
        "transcript",
        lambda *terms: with_moment(
            Transcript.objects.listed().select_related("episode__show").only(*MOMENT_ROW), terms
        ),
        Transcript.objects.listed,
        "episode__score",
    ),
}


class EngineRelevance(Func):
    """The text relevance the engine gave a row: `ranks`[position of the row's key in `keys`],
    both array literals ("{1.0,0.5}", "{1,2}") bound as one parameter each (a list of 200
    parameters took several times longer to send and plan)."""

    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra):
        (ranks, ranks_params), (keys, keys_params), (key, key_params) = (
            compiler.compile(part) for part in self.get_source_expressions()
        )
        # Only compiled SQL of the three parts is spliced in; the arrays travel as parameters.
        sql = f"(CAST({ranks} AS float8[]))[array_position(CAST({keys} AS bigint[]), {key})]"
        return sql, (*ranks_params, *keys_params, *key_params)


class AmongKeys(Func):
    """Whether the row's key is in `keys` (an array literal bound as one parameter)."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra):
        (keys, keys_params), (key, key_params) = (
            compiler.compile(part) for part in self.get_source_expressions()
        )
        return f"{key} = ANY(CAST({keys} AS bigint[]))", (*key_params, *keys_params)


def _ranked(queryset, narrow, score: str, keys: str, ranks: str, offset: int, limit: int):
    """The page of `queryset`'s rows among `keys` in search order (PostgreSQL): ordered on
    `narrow` (the same rows with no columns chosen, so that the order of every candidate is
    found from indexes and keys), then only the page's rows read whole."""

    def relevance():
        substance = Coalesce(Cast(F(score), FloatField()), Value(0.0)) / Value(100.0)
        text = EngineRelevance(Value(ranks), Value(keys), F("pk"))
        return Value(TEXT_WEIGHT) * text + Value(SCORE_WEIGHT) * substance

    page = (
        narrow.filter(AmongKeys(Value(keys), F("pk")))
        .annotate(relevance=relevance())
        .order_by("-relevance", "-pk")
        .values("pk")[offset : offset + limit]
    )
    ranked = queryset.filter(pk__in=page).annotate(relevance=relevance())
    return ranked.order_by("-relevance", "-pk")


@lru_cache(maxsize=COMPILED_SHAPES)
def _engine_page(build, offset: int, limit: int, extra: int) -> PreparedQuery:
    """`build`'s kind: the page of the candidates, in search order, one query (PostgreSQL)."""
    _kind, rows, narrow, score = ENGINE_KINDS[build]
    return PreparedQuery(
        lambda keys, ranks, *strings: _ranked(
            rows(*strings), narrow(), score, keys, ranks, offset, limit
        ),
        *[str] * (2 + extra),
    )


def _engine_rows(build, query: str, offset: int, limit: int, *extra: str) -> Bound | list:
    """The page of `build`'s kind, found by the search engine and ordered as PostgreSQL orders
    (on PostgreSQL its statement, to fetch with the page's others).

    The engine's CANDIDATES best matches by text relevance (BM25, scaled so the best is 1); of
    those, the ones the database lists, by TEXT_WEIGHT · relevance + SCORE_WEIGHT · score / 100,
    then newest key, as core.search.relevance orders.
    """
    kind, rows, _narrow, score = ENGINE_KINDS[build]
    found = search_index.search(kind, query, CANDIDATES)
    if not found:
        return []
    best = max(rank for _pk, rank in found) or 1.0
    text = {pk: rank / best for pk, rank in found}
    if uses_full_text():
        keys = "{" + ",".join(map(str, text)) + "}"
        ranks = "{" + ",".join(map(repr, text.values())) + "}"
        return _engine_page(build, offset, limit, len(extra)).bind(keys, ranks, *extra)
    scores = rows(*extra).filter(pk__in=list(text)).values_list("pk", score)
    ranked = sorted(
        (
            (TEXT_WEIGHT * text[pk] + SCORE_WEIGHT * float(value or 0) / 100, pk)
            for pk, value in scores
        ),
        reverse=True,
    )
    keys = [pk for _relevance, pk in ranked[offset : offset + limit]]
    by_pk = {row.pk: row for row in rows(*extra).filter(pk__in=keys)} if keys else {}
    return [by_pk[pk] for pk in keys if pk in by_pk]


def search(
    raw_query: str | None, page: int = 1, per_page: int = 10, *, people: bool = True
) -> Results:
    """Shows and people (first page only; `people=False`: none), episodes and transcript
    moments matching the query."""
    query, truncated = clean_query(raw_query)
    results = Results(query=query, truncated=truncated, number=page)
    if not query:
        return results
    offset = (page - 1) * per_page
    terms = query_terms(query)
    pending = {}
    if page == 1:
        pending["shows"] = _pending(_show_search(query), query, 0, 5)
        pending["people"] = _name_lookup(terms) if people else None
    pending["episodes"] = _pending(_episode_search(query), query, offset, per_page + 1)
    pending["moments"] = _pending(_moment_search(query), query, offset, per_page + 1, *terms)
    found = _fetched(pending)
    if page == 1:
        results.shows = found["shows"]
        results.people = _people_named(terms, found["people"]) if people else []
    episodes, moments = found["episodes"], found["moments"]
    results.has_next = len(episodes) > per_page or len(moments) > per_page
    # No COUNT: a search ranks at most CANDIDATES rows of each kind, so reaching that many
    # on the last page means there may be more matches than it shows.
    results.cap = CANDIDATES
    results.capped = (
        (uses_full_text() or search_index.enabled())
        and not results.has_next
        and max(len(episodes), len(moments)) + offset >= CANDIDATES
    )
    results.episodes = episodes[:per_page]
    results.moments = [moment_of(transcript, terms) for transcript in moments[:per_page]]
    return results
