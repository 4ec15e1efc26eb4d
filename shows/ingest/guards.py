"""What is done to a feed's bytes before any XML parser sees them.

Entity declarations are refused: feedparser's loose parser expands the entities it finds in
the prolog (even inside a comment, even after a line of junk that makes the strict parsers
fail), once per reference: 310 KB became 4.9 GB. No real feed declares entities, so any prolog
with `<!ENTITY` or a DOCTYPE internal subset is refused. Character references to characters XML
cannot carry are dropped, and bare ampersands escaped.
"""

import re

from core.html import NOT_A_REFERENCE
from core.text import xml_safe
from shows.ingest.feed import InvalidFeed

# Declarations that define entities: refused wherever a parser could act on them.
_DECLARES_ENTITY = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)
_ELEMENT_START = re.compile(rb"<\w")
# Numeric character references; the ones to characters XML cannot carry are dropped before
# parsing (feedparser's loose parser raised UnicodeEncodeError on &#xD800;).
_CHARREF = re.compile(rb"&#(?:[xX]([0-9A-Fa-f]{1,8})|([0-9]{1,10}));")
_BARE_AMPERSAND_BYTES = re.compile(NOT_A_REFERENCE.encode())
# feedparser's strict parser looks each attribute up among the element's others: its time
# grows with the square of one element's attributes (20,000 took 3.9 s, 100,000 took 92 s).
# No feed needs this many on one element; counted as "=" signs, which is at least as many.
MAX_ATTRIBUTES = 100
_CROWDED_ELEMENT = re.compile(rb"<[A-Za-z_](?:[^<>=]*=){%d}" % (MAX_ATTRIBUTES + 1))


def refuse_entity_declarations(data: bytes) -> None:
    """Raise InvalidFeed when the prolog declares entities or has a DOCTYPE internal subset.

    Scans everything before the root element, linearly: processing instructions are skipped,
    comments are searched too (feedparser's DOCTYPE rewrite reads `<!ENTITY` lines inside
    them), and the scan stops at the first element start outside a comment, which is at or
    after where feedparser's own prolog ends. An internal subset after the root element is
    not well-formed for expat, and feedparser takes entities only from its prolog.
    """
    refused = InvalidFeed(
        "The feed declares XML entities (refused: entity expansion is an attack vector)."
    )
    position, size = 0, len(data)
    while position < size:
        start = data.find(b"<", position)
        if start < 0:
            return
        if data.startswith(b"<!--", start):
            end = data.find(b"-->", start + 4)
            if _DECLARES_ENTITY.search(data, start, size if end < 0 else end):
                raise refused
            if end < 0:
                return
            position = end + 3
        elif data.startswith(b"<?", start):
            end = data.find(b"?>", start + 2)
            if end < 0:
                return
            position = end + 2
        elif data.startswith(b"<!", start):
            keyword = data[start + 2 : start + 12].lstrip().upper()
            if keyword.startswith(b"ENTITY"):
                raise refused
            if keyword.startswith(b"DOCTYPE"):
                close, subset = data.find(b">", start), data.find(b"[", start)
                if subset >= 0 and (close < 0 or subset < close):
                    raise InvalidFeed(
                        "The feed declares XML entities or other markup in its DOCTYPE "
                        "(refused: entity expansion is an attack vector)."
                    )
            position = start + 2
        elif _ELEMENT_START.match(data, start):
            return
        else:
            position = start + 1


def refuse_crowded_elements(data: bytes) -> None:
    """Raise InvalidFeed when a tag has more than MAX_ATTRIBUTES attributes (one linear scan)."""
    if _CROWDED_ELEMENT.search(data):
        raise InvalidFeed(
            f"An element of the feed has more than {MAX_ATTRIBUTES} attributes (refused: "
            "no feed needs them, and they cost the parser time in their square)."
        )


def escape_bare_ampersands(data: bytes) -> bytes:
    """The feed with each "&" that starts no reference written "&amp;", outside CDATA sections.

    An unescaped "&" makes a feed ill-formed, and feedparser's loose parser then turns "Q&A"
    into "Q&A;". Escaped, it reads as the "&" the publisher meant, whichever parser runs. One
    pass of find and a bounded pattern: linear in the feed's size.
    """
    if b"&" not in data:
        return data
    parts, position = [], 0
    while True:
        start = data.find(b"<![CDATA[", position)
        parts.append(
            _BARE_AMPERSAND_BYTES.sub(b"&amp;", data[position : None if start < 0 else start])
        )
        if start < 0:
            break
        end = data.find(b"]]>", start + 9)
        if end < 0:
            parts.append(data[start:])
            break
        parts.append(data[start : end + 3])
        position = end + 3
    return b"".join(parts)


def drop_illegal_charrefs(data: bytes) -> bytes:
    """The bytes without numeric character references to characters XML cannot carry."""
    return _CHARREF.sub(_drop_illegal_charref, data)


def _drop_illegal_charref(match: re.Match) -> bytes:
    hexa, decimal = match.groups()
    code = int(hexa, 16) if hexa else int(decimal)
    if code > 0x10FFFF or xml_safe(chr(code)) == "":
        return b""
    return match.group(0)
