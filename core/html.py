"""HTML from feeds and editors is untrusted: one sanitiser for all of it."""

import re

import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "dl", "dt", "em", "h3", "h4", "h5",
    "h6", "hr", "i", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}


# nh3's time grows with the square of the ampersands in its input (100 KB of "&" takes
# 0.13 s, 400 KB 1.9 s, against well under a millisecond for 100 KB of prose): longer HTML is
# cut to this many characters first. Notes longer than this are not show notes.
MAX_HTML_CHARS = 100_000

# An "&" that starts no character reference: "Q&A", "R&D", "Sales&regulation". HTML parsers
# read the legacy "&reg" of "&regulation" as "®", and feedparser's loose parser writes "&A" as
# "&A;"; escaped first, such an ampersand stays what it was. A numeric reference and the four
# common names without their ";" ("&#39s", "&amp ") are references, as HTML reads them.
NOT_A_REFERENCE = (
    r"&(?!#[0-9]{1,10}|#[xX][0-9A-Fa-f]{1,8}|[A-Za-z][A-Za-z0-9]{0,40};"
    r"|(?:amp|lt|gt|quot)(?![A-Za-z0-9;]))"
)
BARE_AMPERSAND = re.compile(NOT_A_REFERENCE)

# nh3 (html5ever and its serialiser) does work in proportion to the open elements for each new
# one, to an element's attributes for each of its attributes, and to the ampersands of a text
# for each of them: 1 MB of nested <div> took 147 s, 1 MB of "&" 10 s. `clean` bounds all three.
MAX_DEPTH = 100
MAX_ATTRIBUTES = 100
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)([^<>]*)>")
_ATTRIBUTE = re.compile(r"""[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]*))?""")
# Every spelling of an ampersand once bare ones are escaped, and the one character that stands
# for it while nh3 runs (a private-use code point: no text means anything by it).
_AMPERSAND = re.compile(r"&(?:amp;?|AMP;|#0*38(?![0-9]);?|#[xX]0*26(?![0-9A-Fa-f]);?)")
_STAND_IN = "\ue000"
# Elements that never hold others (void), or that the next one of their kind closes, so they
# never make a deep tree: not counted as nesting.
_FLAT_ELEMENTS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup",
    "rb", "rt", "rp",
}  # fmt: skip


def tame_html(html: str) -> str:
    """HTML that any parser reads in time linear in its size, showing the same text.

    Bare ampersands are escaped; start tags nested deeper than MAX_DEPTH are dropped with their
    end tags (their text stays); a tag with more than MAX_ATTRIBUTES attributes loses them all.
    One pass over the tags: nesting is counted, not parsed, which is enough to bound it.
    """
    if "&" in html:
        html = BARE_AMPERSAND.sub("&amp;", html)
    if "<" not in html:
        return html
    parts, position, depth, dropped = [], 0, 0, 0
    for match in _TAG.finditer(html):
        closing, name, attributes = match.groups()
        keep = match.group(0)
        if closing:
            if dropped:
                dropped, keep = dropped - 1, ""
            elif depth:
                depth -= 1
        elif name.lower() not in _FLAT_ELEMENTS and not attributes.endswith("/"):
            if depth >= MAX_DEPTH:
                dropped, keep = dropped + 1, ""
            else:
                depth += 1
        if keep and _crowded(attributes):
            keep = f"<{closing}{name}>"
        if keep is not match.group(0):
            parts.append(html[position : match.start()])
            parts.append(keep)
            position = match.end()
    if not parts:
        return html
    parts.append(html[position:])
    return "".join(parts)


def _crowded(attributes: str) -> bool:
    """Whether a tag's attribute text holds more than MAX_ATTRIBUTES attributes."""
    if len(attributes) <= 2 * MAX_ATTRIBUTES:
        return False
    return sum(1 for _ in _ATTRIBUTE.finditer(attributes)) > MAX_ATTRIBUTES


def clean(html: str, **options) -> str:
    """nh3.clean(html, **options), in time linear in the size of `html`.

    The input is tamed (`tame_html`) and each ampersand handed to nh3 as one plain character,
    put back as "&amp;" in what nh3 returns, as nh3 itself would have written it.
    """
    html = tame_html(html.replace(_STAND_IN, "\ufffd"))
    if "&" in html:
        html = _AMPERSAND.sub(_STAND_IN, html)
    cleaned = nh3.clean(html, **options)
    return cleaned.replace(_STAND_IN, "&amp;") if _STAND_IN in cleaned else cleaned


def sanitize_html(html: str) -> str:
    """Keep harmless formatting and http(s)/mailto links; drop scripts, styles and handlers."""
    if not html:
        return ""
    return clean(
        html[:MAX_HTML_CHARS],
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer ugc",
    )
