"""Full-text search for any model with a `search_vector` column.

PostgreSQL: full-text search on the `search_vector` columns (kept current by triggers in the
shows and episodes migrations), `websearch_to_tsquery` syntax ("quoted phrases", -exclusions,
or), and an order that blends text relevance with the substance score. SQLite: every word or
"phrase" must appear and no -excluded one (case-insensitive substring), best score first.

Bounded work on PostgreSQL, so a search stays within 50 ms at 250,000 episodes. Ranking
reads every vector it ranks and ordering all matches by score reads every matching row, which
for a common word is a fifth of the table. So a search ranks a bounded candidate set:

- large tables (episodes, transcripts): the first CANDIDATES matches the scan yields, with no
  sort: the scan stops after CANDIDATES rows. A word in fewer rows than that (a rare word, a
  name) has all its matches ranked, best first; a common word has CANDIDATES of its matches
  ranked, not the best CANDIDATES of all of them: as the GIN index's bitmap yields them (in
  physical order), or, with a `walk_order` (site search, for words common enough: browse.
  search_walk), the first CANDIDATES in that order (the newest transcripts).
  With a `tier` (site search: episodes scored 70 or more, which have a partial GIN index),
  the tier's matches are taken first, so a common word ranks well-scored episodes; with a
  `walk_order` too (best score first, the order of episode_best_scored_idx), the tier's first
  CANDIDATES matches in that order: a walk of that index that stops after CANDIDATES matches,
  so that a common word no longer reads every match of the tier (73,089 at 2,500,000 episodes
  for 'pricing': 30 ms, now 3). With no walk, the tier's best band (episodes scored 80 or
  more, with a partial GIN index of its own) is taken before the rest of the tier: the
  bitmap of a band is a quarter of the tier's ('pricing churn' at 250,000 episodes: 349
  entries for 1,458, 1.0 ms for 1.8).
- the planner never sees the words (IndexSearchQuery: the tsquery is a scalar subquery, made
  once per statement), so a statement's plan is the same for every query and can be prepared
  once and kept (browse.search.compiled_search); where the best scan depends on how common
  the words are, the caller chooses (a walk is asked for with Matches, which no index answers).
- a "phrase" is checked against each row's word positions, which costs a heap read per row
  that has all its words: the query is first loosened to those words (which the index
  answers exactly), at most PHRASE_SCAN such rows are read, and the phrase is checked on
  those. A phrase whose words are common but rarely side by side may be missed. Episodes
  index each pair of adjacent words (`word_pairs`, episodes migration 0009): a phrase of
  plain words is looked up as its pairs, so only rows holding the phrase are read; a phrase
  around a stop word ("cost of sales") is still loosened to its words.
- small tables (shows): the best-scored CANDIDATES matches (a sort over every match).

Each candidate's relevance is computed in the scan that finds it, and only the rows a page
needs (`top`) are read again, not every candidate.

No COUNT: pages go on while a next row exists, up to CANDIDATES results. Every PostgreSQL
connection has synchronized scans off (no_synchronized_scans), so that every page ranks the
same candidates.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.backends.signals import connection_created
from django.db.models import BooleanField, F, FloatField, Func, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce
from django.dispatch import receiver

MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
SEARCH_CONFIG = "english"
# Relevance = TEXT_WEIGHT · ts_rank_cd (normalised to 0–1) + SCORE_WEIGHT · score / 100.
TEXT_WEIGHT = 0.7
SCORE_WEIGHT = 0.3
# How many matches are ranked by relevance (and so how far pages go): see the module doc.
CANDIDATES = 200
# How many rows holding all the words of a "phrase" are read to find the phrase in them.
PHRASE_SCAN = 1000
QUERY_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
WEBSEARCH_WORDS = {"or", "and", "not"}


def clean_query(raw: str | None) -> tuple[str, bool]:
    """The query as searched: control characters dropped, spaces collapsed, length capped.

    Returns (query, truncated).
    """
    text = " ".join(QUERY_CONTROL_CHARS.sub(" ", raw or "").split())
    if len(text) > MAX_QUERY_LENGTH:
        return text[:MAX_QUERY_LENGTH].rsplit(" ", 1)[0] or text[:MAX_QUERY_LENGTH], True
    return text, False


def parse_query(query: str) -> tuple[list[str], list[str]]:
    """Websearch-style query → (wanted, excluded): "phrases" kept whole, -word excluded."""
    wanted, excluded = [], []
    for match in re.finditer(r'(-?)"([^"]*)"?|(-?)([^\s"]+)', query):
        negated = bool(match.group(1) or match.group(3))
        quoted = match.group(2) is not None
        text = (match.group(2) if quoted else match.group(4)).strip(" .,;:!?()[]{}'").lower()
        if not text or (not quoted and text in WEBSEARCH_WORDS):
            continue
        bucket = excluded if negated else wanted
        if text not in bucket:
            bucket.append(text)
    return wanted[:MAX_TERMS], excluded[:MAX_TERMS]


def query_terms(query: str) -> list[str]:
    """The words and phrases a reader looks for, for highlighting."""
    return parse_query(query)[0]


def uses_full_text() -> bool:
    return connection.vendor == "postgresql"


# A "phrase" ('a' <-> 'b', or 'a' <2> 'b' around a stop word) implies each of its words:
# the query with AND in place of its phrase operators matches a superset of its rows, and the
# GIN index answers that exactly, with no read of word positions. tsquery text prints each
# operator with a space either side and a lexeme never holds a space, so no lexeme is touched.
PHRASE_OPERATOR = " <(-|[0-9]+)> "
# An excluded "phrase" or hyphenated word: loosened, it would exclude more rows, not fewer.
EXCLUDED_COMPOUND = re.compile(r'(?:^|\s)-(?:"|[^\s"]*[^\w\s"])')


class IndexSearchQuery(SearchQuery):
    """The websearch query in the form the GIN index answers best, made once per statement.

    `word_pairs`: for vectors holding a lexeme per pair of adjacent words (episodes, migration
    0009): each phrase of plain words is rewritten to its pairs, which match exactly the same
    rows from the index alone. `loose`: phrase operators turned into AND (see PHRASE_OPERATOR).
    """

    def __init__(self, value, *, word_pairs=False, loose=False):
        super().__init__(value, search_type="websearch", config=SEARCH_CONFIG)
        self.word_pairs = word_pairs
        self.loose = loose

    def as_sql(self, compiler, connection, *args, **kwargs):
        sql, params = super().as_sql(compiler, connection, *args, **kwargs)
        if self.word_pairs:
            sql = f"podindex_pair_query({sql})"
        if self.loose:
            sql = f"regexp_replace(({sql})::text, '{PHRASE_OPERATOR}', ' & ', 'g')::tsquery"
        # A scalar subquery: made once per statement (an InitPlan), where a plan kept for
        # every query (browse.search prepares its statements) would make it again for every
        # row it reads; and the planner, not seeing the words, plans every query of a shape
        # alike, so that the plan it keeps is as good as one made for the words.
        return f"(SELECT {sql})", params


def loosens(query: str) -> bool:
    """Whether `query` has a "phrase" that a loose IndexSearchQuery turns into a superset."""
    return '"' in query and not EXCLUDED_COMPOUND.search(query)


@receiver(connection_created, dispatch_uid="core.search.no_synchronized_scans")
def no_synchronized_scans(sender, connection, **kwargs):
    """Make the same search pick the same candidates every time on this new connection.

    PostgreSQL may answer "the first CANDIDATES matches" of a very common word with a
    sequential scan, and with synchronize_seqscans (on by default) a sequential scan of a
    large table starts where the previous one stopped: each search, and so each page, would
    rank other rows. Off for the whole session, set once as it opens (in
    autocommit, so no rollback undoes it): a search then needs no transaction of its own and
    none of the three round trips one costs (a BEGIN, a SET LOCAL and a COMMIT per search,
    each a wake-up of the database on a loaded machine).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronize_seqscans = off")


def search_queryset(
    queryset,
    query: str,
    fields: tuple[str, ...],
    score: str,
    *,
    best_scored: bool = False,
    walk: bool = False,
    phrase_scan: int = PHRASE_SCAN,
    tier: Q | tuple[Q, ...] | None = None,
    walk_order: tuple[str, ...] = (),
    word_pairs: bool = False,
    loose: bool | None = None,
    top: int = CANDIDATES,
):
    """Filter and order `queryset` by `query`, annotated with `relevance`.

    `fields` are the text fields the SQLite fallback matches; `score` is the substance
    score field blended into the order. On PostgreSQL only CANDIDATES matches are ranked:
    the first ones the index yields, or with `best_scored` (small tables only) the
    best-scored ones (`walk`: read best score first, for common words: see Matches).
    `phrase_scan`: how many rows with all the words of a phrase are read.
    `tier`: a filter whose matching rows are taken as candidates first (give it a partial
    index, or it is no cheaper), e.g. the well-scored episodes, or a tuple of such filters,
    best first and each within the next (see _tier_branches); `walk_order`: the order in which
    the tier's candidates (with no tier, all candidates) are walked, for common words (give it
    an index in that order). `word_pairs`: the vectors hold a lexeme per pair of adjacent words
    (see IndexSearchQuery). `loose`: whether the query has a phrase to loosen (loosens(query)
    unless given: for a queryset built once with a stand-in for the query, see
    browse.search.compiled_search). `top`: on PostgreSQL only the `top` most relevant rows are
    read (a caller reading a page gives the page's end).
    """
    if uses_full_text():
        if best_scored:
            candidates = _best_scored_matches(queryset, query, score, min(top, CANDIDATES), walk)
        else:
            if loose is None:
                loose = loosens(query)
            candidates = _best_first_matches(
                queryset,
                query,
                score,
                phrase_scan,
                loose,
                tier,
                word_pairs,
                min(top, CANDIDATES),
                walk_order=walk_order,
            )
        return (
            queryset.filter(pk__in=candidates)
            .annotate(relevance=relevance(query, score))
            .order_by("-relevance", "-pk")
        )
    wanted, excluded = parse_query(query)
    if not wanted:
        return queryset.none()
    for term in wanted:
        queryset = queryset.filter(_any_field_contains(fields, term))
    for term in excluded:
        queryset = queryset.exclude(_any_field_contains(fields, term))
    return queryset.annotate(relevance=relevance(query, score)).order_by("-relevance", "-pk")


def relevance(query: str, score: str):
    """What search_queryset orders by (as `relevance`), for rows known to match `query`."""
    substance = Coalesce(Cast(F(score), FloatField()), Value(0.0)) / Value(100.0)
    if not uses_full_text():
        return substance
    # normalization=32 maps the rank into 0–1 (rank / (rank + 1)), comparable to score/100.
    rank = SearchRank(
        F("search_vector"), IndexSearchQuery(query), normalization=32, cover_density=True
    )
    return Value(TEXT_WEIGHT) * rank + Value(SCORE_WEIGHT) * substance


def _best_first_matches(
    queryset,
    query: str,
    score: str,
    phrase_scan: int,
    loose: bool,
    tier,
    word_pairs,
    top: int,
    *,
    walk_order: tuple[str, ...] = (),
):
    """The pks of the `top` most relevant of the first CANDIDATES rows matching `query`.

    The candidates are the first ones the scan yields, with no sort; each one's relevance is
    computed in the scan that finds it, so that only the `top` rows are read again (a ranking
    of the keys read every candidate and its show a second time). A phrase (`loose`): the
    first `phrase_scan` rows holding all its words, then the phrase among those. `tier` (a Q):
    rows matching it come first, walked in `walk_order` (none: as the GIN index's bitmap yields
    them), the others only when they are too few. No tier: every row, walked in `walk_order`
    if given. A tuple of tiers (bands, best first, each within the next): the rows of each band
    before the next one's, where the GIN index's bitmap is read (no walk, no phrase).
    """
    branches = _tier_branches(queryset, tier, walk_order, bands=not (loose or walk_order))
    parts, params = [], []
    for branch, order in branches:
        if loose:
            # Walked in `order` if given: rows holding all the phrase's words, first in order.
            scan_sql, branch_params = _scan_sql(
                branch.filter(
                    _matching(query, word_pairs=word_pairs, loose=True, walk=bool(order))
                ).order_by(*order),
                score,
                max(1, phrase_scan // len(branches)),
            )
            # A derived table with LIMIT is planned on its own: the phrase is checked, and the
            # rank computed, only on the rows it yields, whatever the planner thinks of the
            # phrase's selectivity. Only Django-compiled SQL is spliced in; the query text
            # travels as a parameter.
            sql = (
                f"SELECT scan.scan_pk, {SCAN_RELEVANCE} AS scan_relevance"  # noqa: S608
                f" FROM ({scan_sql}) AS scan"
                " WHERE scan.scan_vector @@ (SELECT websearch_to_tsquery(%s::regconfig, %s))"
                f" LIMIT {CANDIDATES:d}"
            )
            branch_params = (*scan_relevance_params(query), *branch_params, SEARCH_CONFIG, query)
        elif order:
            # An index in that order is walked until CANDIDATES rows match (asked for common
            # words only: browse.search_walk): each candidate's relevance is computed from the
            # row the walk read, where a ranking of its keys read each candidate again by its
            # primary key (200 index probes).
            scan_sql, scan_params = _scan_sql(
                branch.filter(_matching(query, word_pairs=word_pairs, walk=True)).order_by(*order),
                score,
                CANDIDATES,
            )
            # Only Django-compiled SQL is spliced in; the query text travels as a parameter.
            sql = (
                f"SELECT scan.scan_pk, {SCAN_RELEVANCE} AS scan_relevance"  # noqa: S608
                f" FROM ({scan_sql}) AS scan"
            )
            branch_params = (*scan_relevance_params(query), *scan_params)
        else:
            # LIMIT with no ORDER BY: the bitmap heap scan stops after CANDIDATES rows.
            sql, branch_params = (
                branch.filter(_matching(query, word_pairs=word_pairs))
                .order_by()
                .values(scan_pk=F("pk"), scan_relevance=relevance(query, score))[:CANDIDATES]
                .query.sql_with_params()
            )
        parts.append(f"({sql})")
        params.extend(branch_params)
    # UNION ALL runs its branches in order and stops once the LIMIT is met; the candidates
    # are then ranked as search_queryset orders its rows. Only Django-compiled SQL and
    # integers are spliced in (the limits in the SQL, as Django writes a slice's, so that a
    # plan kept for the statement knows them); the query text travels as a parameter.
    return RawSQL(  # noqa: S611
        "SELECT ranked.scan_pk FROM ("  # noqa: S608
        f"SELECT found.scan_pk, found.scan_relevance FROM ({' UNION ALL '.join(parts)}) AS found"
        f" LIMIT {CANDIDATES:d}) AS ranked"
        f" ORDER BY ranked.scan_relevance DESC, ranked.scan_pk DESC LIMIT {top:d}",
        params,
    )


def _tier_branches(queryset, tier, walk_order: tuple[str, ...], *, bands: bool) -> list:
    """The branches _best_first_matches takes candidates from, in turn: (rows, walk order).

    `tier`: None, a Q, or bands best first, each within the next (the last is the tier). With
    `bands` each band is a branch of its own, so that a bitmap is made of the best band's
    matches first (a smaller index: see episodes migration 0014); without, the tier is one
    branch, as a walk best first (which reads the bands in turn anyway) and a phrase's scan
    (whose rows are shared among the branches) take it.
    """
    if tier is None:
        return [(queryset, walk_order)]
    tiers = (tier,) if isinstance(tier, Q) else tuple(tier)
    if not bands:
        tiers = tiers[-1:]
    branches, inner = [], None
    for band in tiers:
        rows = queryset.filter(band)
        branches.append((rows if inner is None else rows.exclude(inner), walk_order))
        inner = band
    return [*branches, (queryset.exclude(inner), ())]


def _best_scored_matches(queryset, query: str, score: str, top: int, walk: bool):
    """The pks of the `top` most relevant of the CANDIDATES best-scored rows matching `query`.

    `walk`: the rows are read best score first until CANDIDATES match (for common words), not
    every match found in the GIN index and sorted.

    Each candidate's relevance is computed over the columns the scan read, after the sort by
    score and its LIMIT (so for CANDIDATES rows, not every match), and only the `top` rows are
    read again: ranking the keys in the outer query fetched every candidate a second time by
    its primary key (200 index probes and heap reads for a common word's shows).
    """
    scan_sql, scan_params = _scan_sql(
        queryset.filter(_matching(query, walk=walk)).order_by(
            F(score).desc(nulls_last=True), "-pk"
        ),
        score,
        CANDIDATES,
    )
    # Only Django-compiled SQL and an integer are spliced in; the query text travels as a
    # parameter.
    return RawSQL(  # noqa: S611
        f"SELECT scan.scan_pk FROM ({scan_sql}) AS scan"  # noqa: S608
        f" ORDER BY {SCAN_RELEVANCE} DESC, scan.scan_pk DESC LIMIT {top:d}",
        (*scan_params, *scan_relevance_params(query)),
    )


def _matching(query: str, *, word_pairs=False, loose=False, walk=False):
    """The filter of rows matching `query` (an IndexSearchQuery of these options): one the GIN
    index answers, or with `walk` one it does not (Matches)."""
    tsquery = IndexSearchQuery(query, word_pairs=word_pairs, loose=loose)
    return Matches(F("search_vector"), tsquery) if walk else Q(search_vector=tsquery)


class Matches(Func):
    """`vector @@ query` as the function behind the operator (ts_match_vq), which no index
    answers: a scan in another index's order (best score first) filters each row it reads and
    stops at its LIMIT, where the planner, not seeing the words (IndexSearchQuery), would take
    the GIN index's every match and sort them. For words common enough (browse.search_walk)."""

    function = "ts_match_vq"
    output_field = BooleanField()


def _scan_sql(rows, score: str, limit: int) -> tuple[str, tuple]:
    """The SQL and parameters of the first `limit` of `rows` with the columns SCAN_RELEVANCE
    reads: scan_pk, scan_vector and scan_score."""
    return rows.values(scan_pk=F("pk"), scan_vector=F("search_vector"), scan_score=F(score))[
        :limit
    ].query.sql_with_params()


# relevance() over a scan's columns (_scan_sql), as Django compiles it (the same operations on
# the same types, so the same value: a scan's candidates are ordered as any others).
SCAN_RELEVANCE = (
    "((%s * ts_rank_cd(scan.scan_vector, (SELECT websearch_to_tsquery(%s::regconfig, %s)), 32))"
    " + (%s * (COALESCE((scan.scan_score)::double precision, %s) / %s)))"
)


def scan_relevance_params(query: str) -> tuple:
    """SCAN_RELEVANCE's parameters for `query`."""
    return (TEXT_WEIGHT, SEARCH_CONFIG, query, SCORE_WEIGHT, 0.0, 100.0)


class Searchable:
    """QuerySet mixin: `search(query)` over the model's `search_vector` (or `search_fields`)."""

    search_fields: tuple[str, ...] = ()
    search_score = "score"
    # Small tables only: rank the best-scored CANDIDATES matches (a sort over every match).
    search_best_scored = False
    # The vectors hold a lexeme per pair of adjacent words (a phrase index; see IndexSearchQuery).
    search_word_pairs = False

    def search(
        self,
        query,
        *,
        best_scored: bool | None = None,
        walk: bool = False,
        tier: Q | tuple[Q, ...] | None = None,
        walk_order: tuple[str, ...] = (),
        loose: bool | None = None,
        top: int = CANDIDATES,
    ):
        """Rows matching a websearch-style query, most relevant (and best scored) first.

        `best_scored`: rank the best-scored matches rather than the first ones (small tables);
        `tier`: rows to take as candidates first (or bands of them, best first), in
        `walk_order`; `walk`, `loose`, `top`: see search_queryset.
        """
        return search_queryset(
            self,
            query,
            fields=self.search_fields,
            score=self.search_score,
            best_scored=self.search_best_scored if best_scored is None else best_scored,
            walk=walk,
            tier=tier,
            walk_order=walk_order,
            word_pairs=self.search_word_pairs,
            loose=loose,
            top=top,
        )


def _any_field_contains(fields, term):
    matches = Q()
    for name in fields:
        matches |= Q(**{f"{name}__icontains": term})
    return matches
