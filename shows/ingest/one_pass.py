"""feedparser's strict parser, extended to read the podcast: namespace in the same pass."""

import threading
import time
import xml.etree.ElementTree as ET
from contextlib import contextmanager

import feedparser

from shows.ingest.feed import InvalidFeed
from shows.ingest.namespace import ATOM_NS, ITUNES_NS, PODCAST_NAMESPACES

# Where the one-pass parser leaves what it read: on feedparser's feed and entry dicts.
NAMESPACE_KEY = "podindex_namespace"
# The elements the namespace functions (namespace.py) read, by (namespace, name).
_READ_ELEMENTS = frozenset(
    [
        (ns, name)
        for ns in PODCAST_NAMESPACES
        for name in ("guid", "person", "transcript", "chapters")
    ]
    + [(ITUNES_NS, "image"), (ITUNES_NS, "explicit")]
)
_ITEM_ELEMENTS = frozenset([(None, "item"), (ATOM_NS, "entry")])
_CHANNEL_ELEMENTS = frozenset([(None, "channel"), (ATOM_NS, "feed")])


class CpuBudget:
    """The CPU time one parse may take, this thread's only; `check` raises once it is spent."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._until = time.thread_time() + seconds

    def check(self) -> None:
        if time.thread_time() > self._until:
            raise InvalidFeed(
                f"Parsing the feed took more than {self.seconds:g} s of CPU (refused: the "
                "other shows of the batch wait while it parses)."
            )


# The budget of the parse under way (parses take turns: see `one_pass`), checked by the
# parsers every this many elements.
_budget: CpuBudget | None = None
CHECK_EVERY = 64


def _spend(parser) -> None:
    parser.podindex_elements = getattr(parser, "podindex_elements", 0) + 1
    if _budget is not None and not parser.podindex_elements % CHECK_EVERY:
        _budget.check()


class _ContentParams(feedparser.FeedParserDict):
    """feedparser's parameters of the element whose content is read, with plain dict reads.

    Its keys (type, language, base, base64, mode, src) are none that FeedParserDict maps and
    its values are strings and numbers, so reading them as a dict gives the same answers
    without the mapping (read for every element and piece of text: a tenth of the parse), and
    a shallow copy is the deep one feedparser puts on the entry (its general deepcopy: a tenth
    more).
    """

    get = dict.get
    __getitem__ = dict.__getitem__
    __contains__ = dict.__contains__

    def __deepcopy__(self, memo):
        return feedparser.FeedParserDict(self)


class OnePassFeedParser(feedparser.api.StrictFeedParser):
    """feedparser's strict parser, also copying the namespace tags it loses, in the same pass.

    The children of each item (and of the channel) that `item_namespace` and
    `channel_namespace` read are copied, with their attributes and text, into a small
    ElementTree element left on the entry's dict (the feed's dict for the channel), so the very
    functions of the defusedxml pass read them. Nothing else of feedparser's work changes; its
    loose parser (for XML that is not well-formed) is not this class, so its result carries no
    such element and `parse_feed` runs the second pass instead.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._open: list[tuple] = []  # (namespace, name) of the open elements
        self._copy: ET.Element | None = None  # the element whose text is being read
        self._copy_depth = 0
        self._text: list[str] = []
        self._channel = ET.Element("channel")
        dict.__setitem__(self.feeddata, NAMESPACE_KEY, self._channel)
        self.contentparams = _ContentParams()

    def push_content(self, tag, attrs_d, default_content_type, expecting_text):
        super().push_content(tag, attrs_d, default_content_type, expecting_text)
        self.contentparams = _ContentParams(self.contentparams)

    def startElementNS(self, name, qname, attrs):
        _spend(self)
        if name in _READ_ELEMENTS and self._open and self._copy is None:
            parent = self._open[-1]
            if parent in _ITEM_ELEMENTS and self.inentry and self.entries:
                target = dict.get(self.entries[-1], NAMESPACE_KEY)
                if target is None:
                    target = ET.Element("item")
                    dict.__setitem__(self.entries[-1], NAMESPACE_KEY, target)
            elif parent in _CHANNEL_ELEMENTS or (len(self._open) == 1 and parent != (None, "rss")):
                target = self._channel
            else:
                target = None
            if target is not None:
                tag = name[1] if name[0] is None else f"{{{name[0]}}}{name[1]}"
                attributes = {key: value for (ns, key), value in attrs.items() if not ns}
                self._copy = ET.SubElement(target, tag, attributes)
                self._copy_depth, self._text = len(self._open) + 1, []
        self._open.append(name)
        super().startElementNS(name, qname, attrs)

    # No published_parsed/updated_parsed: parse_feed reads the raw strings (feedparser's readings
    # lose zones and misread numeric dates), so its date parsing is skipped in this pass.
    def _end_published(self):
        self.pop("published")

    _end_issued = _end_pubdate = _end_published

    def _end_updated(self):
        self.pop("updated")

    _end_modified = _end_lastbuilddate = _end_updated

    def characters(self, text):
        if self._copy is not None and len(self._open) == self._copy_depth:
            self._text.append(text)
        super().characters(text)

    def endElementNS(self, name, qname):
        if self._copy is not None and len(self._open) == self._copy_depth:
            self._copy.text = "".join(self._text)
            self._copy, self._text = None, []
        if self._open:
            self._open.pop()
        super().endElementNS(name, qname)


class BudgetedLooseParser(feedparser.api.LooseFeedParser):
    """feedparser's loose parser (for XML that is not well-formed), keeping to the budget."""

    def unknown_starttag(self, tag, attrs):
        _spend(self)
        return super().unknown_starttag(tag, attrs)


# feedparser as shipped, and the parsers parse_feed has it use (tests put the first back to
# compare).
FEEDPARSER_STRICT = feedparser.api.StrictFeedParser
FEEDPARSER_LOOSE = feedparser.api.LooseFeedParser
STRICT_PARSER = OnePassFeedParser
_SWAP = threading.Lock()


@contextmanager
def one_pass(budget: CpuBudget | None = None):
    """feedparser.parse builds its parsers from `feedparser.api.StrictFeedParser` and
    `LooseFeedParser`: our subclasses are put there for our own calls only, so any other user
    of feedparser in the process gets feedparser as shipped (the lock keeps two of our parses
    from interleaving the swap; they are CPU-bound under one GIL anyway)."""
    global _budget
    with _SWAP:
        feedparser.api.StrictFeedParser = STRICT_PARSER
        feedparser.api.LooseFeedParser = BudgetedLooseParser
        _budget = budget
        try:
            yield
        finally:
            _budget = None
            feedparser.api.StrictFeedParser = FEEDPARSER_STRICT
            feedparser.api.LooseFeedParser = FEEDPARSER_LOOSE
