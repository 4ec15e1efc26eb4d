"""Whether a search's words are common enough to walk the well-scored episodes, best first.

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

with each word's share from PostgreSQL's statistics of the column (the most common lexemes and
their frequencies, which ANALYZE keeps), words assumed independent, and the tier's size from its
index's row estimate. A word PostgreSQL does not list as common is taken as rare (no walk). The
walk is PostgreSQL's choice in the end: the query asks for the tier's best-scored matches, and
the planner walks or sorts the matches as it estimates cheaper.

Statistics are read once per STATS_SECONDS per process; the lexemes of each word (PostgreSQL's
'english' configuration) are asked once per word and kept (LEXEME_CACHE words).
"""

import time
from functools import lru_cache

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
STATS_SECONDS = 600
LEXEME_CACHE = 4096
_stats = {"until": 0.0, "shares": {}, "tier_rows": 0.0}

STATS_SQL = """
SELECT most_common_elems::text::text[], most_common_elem_freqs
FROM pg_stats WHERE tablename = %s AND attname = 'search_vector'
"""


def walks_tier(query: str, table: str, tier_index: str) -> bool:
    """Whether `query`'s tier candidates are cheaper walked best score first (PostgreSQL)."""
    share, posting = estimated_shares(query, table, tier_index)
    tier_rows = _stats["tier_rows"]
    if not share or tier_rows <= 0:
        return False
    walk = WALK_ROW_US * core.search.CANDIDATES / share
    return walk < tier_rows * (POSTING_US * posting + MATCH_US * share)


def estimated_shares(query: str, table: str, tier_index: str) -> tuple[float, float]:
    """The share of `table`'s rows matching `query` (websearch syntax) by the statistics (0 for
    a "phrase" or a word PostgreSQL does not count among its common ones), and the sum of its
    words' shares (what the index reads)."""
    if '"' in query:
        return 0.0, 0.0
    shares = _shares(table, tier_index)
    groups, total, posting = [[]], 0.0, 0.0
    for word in query.split():
        if word.lower() == "or":
            groups.append([])
        else:
            groups[-1].append(word)
    for group in groups:
        share = 1.0
        for word in group:
            excluded = word.startswith("-")
            lexemes = _lexemes(word.lstrip("-"))
            if not lexemes:
                continue  # a stop word: the query leaves it out
            word_share = min(shares.get(lexeme, 0.0) for lexeme in lexemes)
            posting += word_share
            share *= 1.0 - word_share if excluded else word_share
        total += share if group else 0.0
    return min(total, 1.0), posting


def _shares(table: str, tier_index: str) -> dict[str, float]:
    """Each common lexeme's share of `table`'s rows, and the tier's size, kept a while."""
    now = time.monotonic()
    if now >= _stats["until"]:
        with connection.cursor() as cursor:
            cursor.execute(STATS_SQL, [table])
            row = cursor.fetchone()
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [tier_index])
            tier = cursor.fetchone()
        lexemes, frequencies = row if row else ([], [])
        _stats.update(
            until=now + STATS_SECONDS,
            # The frequencies end with their minimum and maximum, past the lexemes.
            shares=dict(zip(lexemes or [], frequencies or [], strict=False)),
            tier_rows=float(tier[0]) if tier else 0.0,
        )
    return _stats["shares"]


@lru_cache(maxsize=LEXEME_CACHE)
def _lexemes(word: str) -> tuple[str, ...]:
    """The lexemes PostgreSQL's text search makes of `word` (none for a stop word)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tsvector_to_array(to_tsvector(%s::regconfig, %s))", [SEARCH_CONFIG, word]
        )
        return tuple(cursor.fetchone()[0])
