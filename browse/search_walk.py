"""Whether a search's words are common enough to walk the well-scored episodes, best first
(and the shows best score first, the transcripts newest first: the same choice, browse.search).

Episode search takes its candidates from the tier of well-scored episodes (browse.search.
TOP_TIER) through the tier's GIN index: a bitmap of every tier episode holding the words, of
which the first CANDIDATES are read. That bitmap grows with the catalogue: for 'pricing', a
fifth of all episodes, it held 7,492 entries at 250,000 episodes (1.3 ms) and 73,089 at
2,500,000 (29 ms). Walking the tier best score first (episode_best_scored_idx) and stopping at
the CANDIDATES-th match costs CANDIDATES / share rows whatever the catalogue's size: 1,000 rows
for 'pricing' (1.5 ms at either size), but 10,000 for a word in 2% of episodes, where the
bitmap is cheaper. So the walk is taken when its rows cost less than the bitmap's work (the
GIN index reads each word's posting list in the tier; the bitmap keeps and sorts the matches):

    WALK_ROW_US * CANDIDATES / share
        <  tier_rows * (POSTING_US * sum of the words' shares + MATCH_US * share)

(where the tier's best band, browse.search.TOP_BAND, holds CANDIDATES matches, the bitmap read
is its own index's, and tier_rows the band's: core.search takes the band first) with each
word's share from PostgreSQL's statistics of the column (the most common lexemes and
their frequencies, which ANALYZE keeps), words assumed independent, and the tier's size from its
index's row estimate. A word PostgreSQL does not list as common is taken as rare (no walk). The
choice is made here, not by the planner: it never sees the words (the search statements are
prepared and their plans kept), and a walked statement's filter is one no index answers
(core.search.Matches), so its plan walks.

Statistics are read once per STATS_SECONDS per process; the lexemes of each word (PostgreSQL's
'english' configuration) are asked once per word and kept (LEXEME_CACHE words).
"""

import time

from django.db import connection

import core.search
from core.search import SEARCH_CONFIG

# Measured on the bench catalogues (2 cores, issue 22): CPU per row the walk visits (index entry,
# heap row, the match); per entry of a word's posting list the GIN scan reads; per match the
# bitmap keeps and sorts (at 2,500,000 episodes 'pricing' took 29 ms for 73,089 entries, all of
# them matches; 'pricing churn' 19 ms for 146,000 entries and 15,095 matches).
WALK_ROW_US = 1.3
POSTING_US = 0.1
MATCH_US = 0.3
# Per match where every match is read and sorted (the best-scored shows: browse.search): its
# heap row and its place in the sort. At 2,500,000 episodes the ~5,000 of 50,000 shows saying
# 'pricing' took 6.7 ms so, 1.1 ms walked best score first.
READ_MATCH_US = 1.3
STATS_SECONDS = 600
LEXEME_CACHE = 4096
# (table, tier index) -> (read until, each common lexeme's share, the tier's rows).
_statistics: dict[tuple[str, str], tuple[float, dict[str, float], float]] = {}
# Word -> its lexemes, at most LEXEME_CACHE words (the oldest dropped first).
_lexemes: dict[str, tuple[str, ...]] = {}

STATS_SQL = """
SELECT most_common_elems::text::text[], most_common_elem_freqs
FROM pg_stats WHERE tablename = %s AND attname = 'search_vector'
"""
LEXEMES_SQL = """
SELECT word, tsvector_to_array(to_tsvector(%s::regconfig, word))
FROM unnest(%s::text[]) AS word
"""


def walks_tier(
    query: str,
    table: str,
    tier_index: str,
    wanted: int | None = None,
    *,
    band_index: str | None = None,
    sorts_all=False,
    loose=False,
) -> bool:
    """Whether `query`'s tier candidates are cheaper walked best score first (PostgreSQL):
    `wanted` matches of it (CANDIDATES unless given). `band_index`: the tier's best band has
    a GIN index of its own, whose bitmap is read first (core.search), and alone where the band
    holds `wanted` matches. `sorts_all`: the alternative reads and sorts every match
    (READ_MATCH_US each), not only the GIN index's bitmap of them. `loose`: what is walked for
    are the rows holding all the words of each "phrase" (core.search.loosens), so a phrase
    counts as its words."""
    shares, tier_rows = statistics(table, tier_index)
    share, posting = estimated_shares(query.replace('"', " ") if loose else query, shares)
    if not share or tier_rows <= 0:
        return False
    wanted = wanted or core.search.CANDIDATES
    bitmap_rows = tier_rows
    if band_index:
        band_rows = statistics(table, band_index)[1]
        bitmap_rows = band_rows if band_rows * share >= wanted else band_rows + tier_rows
    per_match = READ_MATCH_US if sorts_all else MATCH_US
    return WALK_ROW_US * wanted / share < bitmap_rows * (POSTING_US * posting + per_match * share)


def estimated_shares(query: str, shares: dict[str, float]) -> tuple[float, float]:
    """The share of rows matching `query` (websearch syntax) by `shares` of its lexemes (0 for
    a "phrase" or a word not among them), and the sum of its words' shares (what the index
    reads)."""
    if '"' in query:
        return 0.0, 0.0
    groups = [[]]
    for word in query.split():
        if word.lower() == "or":
            groups.append([])
        else:
            groups[-1].append(word)
    lexemes = words_lexemes([word.lstrip("-") for group in groups for word in group])
    total, posting = 0.0, 0.0
    for group in groups:
        share = 1.0
        for word in group:
            excluded, word_lexemes = word.startswith("-"), lexemes[word.lstrip("-")]
            if not word_lexemes:
                continue  # a stop word: the query leaves it out
            word_share = min(shares.get(lexeme, 0.0) for lexeme in word_lexemes)
            posting += word_share
            share *= 1.0 - word_share if excluded else word_share
        total += share if group else 0.0
    return min(total, 1.0), posting


def statistics(table: str, tier_index: str) -> tuple[dict[str, float], float]:
    """Each common lexeme's share of `table`'s rows, and the tier's rows, kept a while."""
    now = time.monotonic()
    until, shares, tier_rows = _statistics.get((table, tier_index), (0.0, {}, 0.0))
    if now >= until:
        with connection.cursor() as cursor:
            cursor.execute(STATS_SQL, [table])
            row = cursor.fetchone()
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [tier_index])
            tier = cursor.fetchone()
        lexemes, frequencies = row if row else ([], [])
        # The frequencies end with their minimum and maximum, past the lexemes.
        shares = dict(zip(lexemes or [], frequencies or [], strict=False))
        tier_rows = float(tier[0]) if tier else 0.0
        _statistics[(table, tier_index)] = (now + STATS_SECONDS, shares, tier_rows)
    return shares, tier_rows


def words_lexemes(words: list[str]) -> dict[str, tuple[str, ...]]:
    """The lexemes PostgreSQL's text search makes of each word (none for a stop word); the
    words not seen before asked in one query."""
    unseen = sorted({word for word in words if word not in _lexemes})
    if unseen:
        with connection.cursor() as cursor:
            cursor.execute(LEXEMES_SQL, [SEARCH_CONFIG, unseen])
            for word, lexemes in cursor.fetchall():
                _lexemes[word] = tuple(lexemes)
        while len(_lexemes) > LEXEME_CACHE:
            _lexemes.pop(next(iter(_lexemes)), None)
    return {word: _lexemes.get(word, ()) for word in words}
