"""An in-process search engine (Tantivy) for site search, behind PODINDEX_SEARCH_ENGINE=tantivy.

PostgreSQL full text (core.search) ranks up to CANDIDATES rows per kind by reading their vectors;
this index answers the same websearch-style query from an inverted index on disk, and returns the
best CANDIDATES matches by text relevance (BM25) with no database work. The database stays the
truth for who may see a row and for its score: browse.search keeps the matches the database
lists, blends the text relevance with the score as PostgreSQL's search does, and reads the page.

The index holds only words: a row's text (shows: title, author, description; episodes: title and
show notes; transcripts: their segments' words), analysed as PostgreSQL's 'english'
configuration does (its stop words, the Snowball English stemmer). It is kept current by the
write paths of that text (Show/Episode/Transcript save and delete, the feed ingest's upsert),
after their transaction commits; `rebuild_search_index` builds it from the database. Hidden
episodes, inactive shows and scores need no update here: they are read from the database.

Query language (PostgreSQL's websearch_to_tsquery): words are ANDed, "a quoted phrase" matches
its words side by side (a stop word inside leaves a gap, as in PostgreSQL: "cost of sales"
matches "cost to sales"), -word excludes, and `or` splits the query into groups of which any may
match ("a b or c" is (a AND b) OR c).

Processes: every process opens the index lazily (after a fork) and its reader picks up other
processes' commits within about half a second (Tantivy watches the index's meta file); a process
sees its own commits at once. Writers take a file lock, so one process writes at a time.
"""

import fcntl
import html
import logging
import os
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

try:
    import tantivy
except ImportError:  # optional until PODINDEX_SEARCH_ENGINE=tantivy: the site runs without it
    tantivy = None

logger = logging.getLogger(__name__)

POSTGRES = "postgres"
TANTIVY = "tantivy"

ANALYZER = "podindex_english"
# PostgreSQL's english.stop (the Snowball list), so the same words are left out of queries.
_STOP_WORDS = (
    "i me my myself we our ours ourselves you your yours yourself yourselves he him his "
    "himself she her hers herself it its itself they them their theirs themselves what which "
    "who whom this that these those am is are was were be been being have has had having do "
    "does did doing a an the and but if or because as until while of at by for with about "
    "against between into through during before after above below to from up down in out on "
    "off over under again further then once here there when where why how all any both each "
    "few more most other some such no nor not only own same so than too very s t can will "
    "just don should now"
)
STOP_WORDS = sorted(_STOP_WORDS.split())
# PostgreSQL's default weights of A, B and C (ts_rank_cd): title, author, the rest.
FIELDS = {
    "show": (("show_title", 1.0), ("show_author", 0.4), ("show_body", 0.2)),
    "episode": (("episode_title", 1.0), ("episode_body", 0.2)),
    "transcript": (("transcript_body", 1.0),),
}
KIND_CODES = {"show": 1, "episode": 2, "transcript": 3}
# A document's key: its kind and primary key in one number (deletes go by key).
KEY_SHIFT = 40
# As the triggers cap what they index (shows and episodes migrations).
NOTES_CHARS = 100_000
TRANSCRIPT_CHARS = 300_000
TAG = re.compile(r"<[^>]*>")
# Tantivy's smallest writer heap is 15 MB; the rebuild takes more and two threads.
UPDATE_HEAP = 50_000_000
REBUILD_HEAP = 400_000_000
REBUILD_THREADS = 2
WORDS = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')


@dataclass(frozen=True)
class Doc:
    """One row's text as indexed: its kind ("show", "episode", "transcript"), pk and fields."""

    kind: str
    pk: int
    fields: dict


def strip_html(text: str | None) -> str:
    """Tags replaced by spaces, as podindex_strip_html() does, and entities decoded."""
    return html.unescape(TAG.sub(" ", text or ""))


def show_doc(pk: int, title: str, author: str, description: str) -> Doc:
    return Doc(
        "show",
        pk,
        {
            "show_title": title or "",
            "show_author": author or "",
            "show_body": strip_html(description)[:NOTES_CHARS],
        },
    )


def episode_doc(pk: int, title: str, notes_html: str) -> Doc:
    return Doc(
        "episode",
        pk,
        {"episode_title": title or "", "episode_body": strip_html(notes_html)[:NOTES_CHARS]},
    )


def transcript_doc(pk: int, segments) -> Doc:
    """A transcript's words: every segment's text, as the transcript trigger joins them."""
    texts = [
        str(segment.get("text") or "")
        for segment in (segments if isinstance(segments, list) else [])
        if isinstance(segment, dict)
    ]
    return Doc("transcript", pk, {"transcript_body": " ".join(texts)[:TRANSCRIPT_CHARS]})


def enabled() -> bool:
    return settings.PODINDEX_SEARCH_ENGINE == TANTIVY


def _analyzer():
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(255))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.custom_stopword(STOP_WORDS))
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def _schema():
    builder = tantivy.SchemaBuilder()
    # Signed: tantivy-py turns a Python int into a signed term when it deletes by term.
    builder.add_integer_field("key", indexed=True, fast=True)
    builder.add_integer_field("kind", indexed=True)
    for fields in FIELDS.values():
        for name, _weight in fields:
            builder.add_text_field(name, tokenizer_name=ANALYZER)
    return builder.build()


_analyzers: list = []
_lock = threading.Lock()
_open: dict = {}


def index_path() -> Path:
    return Path(settings.PODINDEX_SEARCH_INDEX_DIR)


def _index():
    """This process's index (opened, or created empty, on first use after a fork)."""
    path = index_path()
    key = (str(path), os.getpid())
    index = _open.get(key)
    if index is None:
        _query_analysers()  # the package is there
        with _lock:
            index = _open.get(key)
            if index is None:
                path.mkdir(parents=True, exist_ok=True)
                index = tantivy.Index(_schema(), path=str(path), reuse=True)
                index.register_tokenizer(ANALYZER, _analyzer())
                # Other processes' commits are seen within Tantivy's watch interval.
                index.config_reader(reload_policy="OnCommit")
                _open.clear()
                _open[key] = index
    return index


def _query_analysers() -> list:
    """(the query's words as split, each word as indexed), made on first use."""
    if not _analyzers:
        if tantivy is None:
            raise ImproperlyConfigured(
                "The search engine needs the tantivy package: pip install tantivy==0.27.0"
            )
        split = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).build()
        _analyzers[:] = [split, _analyzer()]
    return _analyzers


def forget() -> None:
    """Drop this process's open index (tests point the setting at a new folder)."""
    with _lock:
        _open.clear()


# --- Queries --------------------------------------------------------------------------------


def _terms(text: str) -> list[tuple[int, str]]:
    """`text`'s indexed words with their positions (a stop word leaves a gap, as in PostgreSQL)."""
    split, indexed = _query_analysers()
    terms = []
    for position, word in enumerate(split.analyze(text)):
        analysed = indexed.analyze(word)
        if analysed:
            terms.append((position, analysed[0]))
    return terms


def parse(query: str) -> list[list[tuple[bool, list[tuple[int, str]]]]]:
    """websearch_to_tsquery's reading of `query`: groups (any may match) of (excluded, terms).

    A term of several words (a "phrase", or a word the tokenizer splits) is a phrase; a term
    made only of stop words is left out, as PostgreSQL leaves it out.
    """
    groups, group = [], []
    for match in WORDS.finditer(query):
        quoted = match.group(2) is not None
        excluded = bool(match.group(1) or match.group(3))
        text = match.group(2) if quoted else match.group(4)
        if not quoted and not excluded and text.lower() == "or":
            if group:
                groups.append(group)
            group = []
            continue
        terms = _terms(text)
        if terms:
            group.append((excluded, [(position - terms[0][0], word) for position, word in terms]))
    if group:
        groups.append(group)
    return groups


def _term_query(schema, kind: str, terms: list[tuple[int, str]]):
    """The term in any of the kind's fields, weighted per field."""
    alternatives = []
    for name, weight in FIELDS[kind]:
        if len(terms) == 1:
            query = tantivy.Query.term_query(schema, name, terms[0][1])
        else:
            query = tantivy.Query.phrase_query(schema, name, terms)
        alternatives.append((tantivy.Occur.Should, tantivy.Query.boost_query(query, weight)))
    return tantivy.Query.boolean_query(alternatives)


def build_query(schema, kind: str, query: str):
    """The Tantivy query for `query` over one kind of document, or None when nothing is sought."""
    groups = []
    for group in parse(query):
        clauses = [
            (
                tantivy.Occur.MustNot if excluded else tantivy.Occur.Must,
                _term_query(schema, kind, terms),
            )
            for excluded, terms in group
        ]
        if all(occur == tantivy.Occur.MustNot for occur, _ in clauses):
            # Only exclusions: every other row of the kind, as PostgreSQL's !'word' matches.
            kind_query = tantivy.Query.term_query(schema, "kind", KIND_CODES[kind])
            clauses.append((tantivy.Occur.Must, kind_query))
        groups.append((tantivy.Occur.Should, tantivy.Query.boolean_query(clauses)))
    if not groups:
        return None
    # Only `kind` documents have the kind's fields: no filter needed (one would make Tantivy
    # score every match instead of skipping blocks that cannot reach the best `limit`).
    return groups[0][1] if len(groups) == 1 else tantivy.Query.boolean_query(groups)


def search(kind: str, query: str, limit: int) -> list[tuple[int, float]]:
    """The `limit` best matches of `query` among `kind` documents: (pk, text relevance) pairs."""
    index = _index()
    tantivy_query = build_query(index.schema, kind, query)
    if tantivy_query is None:
        return []
    searcher = index.searcher()
    hits = searcher.search(tantivy_query, limit, count=False).hits
    if not hits:
        return []
    keys = searcher.fast_field_values("key", [address for _score, address in hits])
    mask = (1 << KEY_SHIFT) - 1
    return [(key & mask, score) for (score, _address), key in zip(hits, keys, strict=True)]


# --- Writes ---------------------------------------------------------------------------------


def _key(kind: str, pk: int) -> int:
    return (KIND_CODES[kind] << KEY_SHIFT) | pk


@contextmanager
def _writer(heap: int = UPDATE_HEAP, threads: int = 1):
    """Tantivy's writer, one process at a time (a file lock beside the index)."""
    index = _index()
    with open(index_path() / ".podindex-write.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            writer = index.writer(heap_size=heap, num_threads=threads)
            try:
                yield writer
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    index.reload()


def _add(writer, doc: Doc) -> None:
    document = tantivy.Document()
    document.add_integer("key", _key(doc.kind, doc.pk))
    document.add_integer("kind", KIND_CODES[doc.kind])
    for name, text in doc.fields.items():
        document.add_text(name, text)
    writer.add_document(document)


def write(docs: list[Doc] = (), removed: list[tuple[str, int]] = ()) -> None:
    """Replace these documents and remove these (kind, pk) in one commit."""
    if not docs and not removed:
        return
    with _writer() as writer:
        for kind, pk in removed:
            writer.delete_documents_by_term("key", _key(kind, pk))
        for doc in docs:
            writer.delete_documents_by_term("key", _key(doc.kind, doc.pk))
            _add(writer, doc)


def write_on_commit(docs: list[Doc] = (), removed: list[tuple[str, int]] = ()) -> None:
    """write() once the current transaction commits, when the engine is on.

    A failure is logged, not raised: the row is written, and `rebuild_search_index` puts the
    index right (until then the row is missing from search, or found by its old words).
    """
    if not enabled() or (not docs and not removed):
        return
    docs, removed = list(docs), list(removed)
    transaction.on_commit(lambda: write(docs, removed), robust=True)


def touches(update_fields, indexed: tuple[str, ...]) -> bool:
    """Whether the engine is on and a save(update_fields=...) writes any of the `indexed`
    columns (None: all of them)."""
    return enabled() and (update_fields is None or not set(update_fields).isdisjoint(indexed))


def rebuild(docs) -> int:
    """Replace the whole index with `docs` (an iterable of Doc) in one commit; returns how many.

    Readers keep the old index until the commit.
    """
    count = 0
    with _writer(REBUILD_HEAP, REBUILD_THREADS) as writer:
        writer.delete_all_documents()
        for doc in docs:
            _add(writer, doc)
            count += 1
    return count
