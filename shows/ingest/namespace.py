"""The podcast: namespace (and itunes image/explicit), read from ElementTree elements.

feedparser loses the text and repeats of Podcasting 2.0 tags (`podcast:person` names, all but
the last `podcast:transcript`). The functions here read them from elements: those the one-pass
parser copied (one_pass.py), or, for XML that is not well-formed, a whole second pass over the
bytes with defusedxml (no entity expansion, no network), repairing what it can.
"""

import re
import xml.etree.ElementTree as ET
from html.entities import name2codepoint

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from shows.ingest.cleaning import clean_text, clean_url
from shows.ingest.feed import InvalidFeed

PODCAST_NAMESPACES = (
    "https://podcastindex.org/namespace/1.0",
    "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
)
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
ATOM_NS = "http://www.w3.org/2005/Atom"
_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}
_ENTITY = re.compile(r"&(#?[A-Za-z0-9]+);?")
# More undeclared namespace prefixes than this is not a feed worth repairing.
MAX_UNDECLARED_PREFIXES = 50


def transcript(get, base: str = "") -> dict | None:
    """A `podcast:transcript` link from its attributes (`get`), or None without a usable URL."""
    url = clean_url(get("url"), base)
    if not url:
        return None
    return {
        "url": url,
        "type": clean_text(get("type"), 100).lower(),
        "language": clean_text(get("language"), 20),
        "rel": clean_text(get("rel"), 40),
    }


def namespace_pass(body: bytes, base: str = "") -> dict | None:
    """Read podcast:* (and itunes image/explicit) with a safe XML parser; None if unreadable.

    Raises InvalidFeed for entity declarations: no real feed needs them and they are how
    entity-expansion ("billion laughs") attacks work.
    """
    try:
        root = _safe_parse(body)
    except InvalidFeed:
        raise
    except (ET.ParseError, ValueError, LookupError, RecursionError):
        return None
    channel = root.find("channel")
    if channel is None:
        channel = root
    items = channel.findall("item") or channel.findall(f"{{{ATOM_NS}}}entry")
    extra = channel_namespace(channel, base)
    extra["items"] = [item_namespace(item, base) for item in items]
    return extra


def channel_namespace(channel: ET.Element, base: str = "") -> dict:
    """The namespace fields of the channel element."""
    return {
        "guid": _podcast_text(channel, "guid"),
        "image": _itunes_image(channel),
        "explicit": _itunes_text(channel, "explicit"),
        "people": _people(channel, base),
    }


def _safe_parse(body: bytes) -> ET.Element:
    # Whitespace before "<?xml" is a fatal error to expat but common in real feeds.
    stripped = body.lstrip(b" \t\r\n") if body[:1].isspace() else body
    try:
        return SafeET.fromstring(stripped)
    except DefusedXmlException as exc:
        raise InvalidFeed(
            "The feed declares XML entities (refused: entity expansion is an attack vector)."
        ) from exc
    except (ET.ParseError, ValueError):
        pass
    # Second chance for the usual breakage: undeclared HTML entities and namespace prefixes,
    # encodings expat lacks (multi-byte ones).
    text = _decode(stripped)
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    text = _ENTITY.sub(_fix_entity, text)
    text = _declare_prefixes(text)
    try:
        return SafeET.fromstring(text)
    except DefusedXmlException as exc:
        raise InvalidFeed("The feed declares XML entities (refused).") from exc


def _decode(body: bytes) -> str:
    declared = re.match(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']", body)
    for encoding in ((declared.group(1).decode() if declared else None), "utf-8"):
        if encoding:
            try:
                return body.decode(encoding)
            except (LookupError, UnicodeDecodeError):
                continue
    return body.decode("utf-8", errors="replace")


def _declare_prefixes(text: str) -> str:
    """Declare namespace prefixes a feed uses without declaring (itunes: is the usual one)."""
    used = set(re.findall(r"</?([A-Za-z_][\w.-]*):[A-Za-z_]", text))
    used |= set(re.findall(r"\s([A-Za-z_][\w.-]*):[A-Za-z_][\w.-]*\s*=", text))
    declared = set(re.findall(r"xmlns:([A-Za-z_][\w.-]*)\s*=", text))
    missing = used - declared - {"xml", "xmlns"}
    root = re.search(r"<[A-Za-z_][\w:.-]*", text)
    if not missing or root is None or len(missing) > MAX_UNDECLARED_PREFIXES:
        return text
    known = {"itunes": ITUNES_NS, "podcast": PODCAST_NAMESPACES[0], "atom": ATOM_NS}
    declarations = "".join(
        f' xmlns:{p}="{known.get(p, "urn:undeclared:" + p)}"' for p in sorted(missing)
    )
    return text[: root.end()] + declarations + text[root.end() :]


def _fix_entity(match: re.Match) -> str:
    name = match.group(1)
    if match.group(0).endswith(";"):
        if name in _XML_ENTITIES or name.startswith("#"):
            return match.group(0)
        if name in name2codepoint:
            return f"&#{name2codepoint[name]};"
    return "&amp;" + match.group(0)[1:]


def _podcast(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for ns in PODCAST_NAMESPACES for child in element.findall(f"{{{ns}}}{name}")]


def _podcast_text(element: ET.Element, name: str) -> str:
    found = _podcast(element, name)
    return (found[0].text or "").strip() if found else ""


def _itunes_text(element: ET.Element, name: str) -> str | None:
    found = element.find(f"{{{ITUNES_NS}}}{name}")
    return None if found is None else (found.text or "").strip()


def _itunes_image(element: ET.Element) -> str:
    found = element.find(f"{{{ITUNES_NS}}}image")
    return "" if found is None else (found.get("href") or "").strip()


def _people(element: ET.Element, base: str = "") -> list[dict]:
    people = []
    for person in _podcast(element, "person"):
        name = clean_text(person.text, 200)
        if name:
            people.append(
                {
                    "name": name,
                    "role": clean_text(person.get("role") or "host", 50).lower(),
                    "group": clean_text(person.get("group") or "cast", 50).lower(),
                    "href": clean_url(person.get("href"), base),
                    "img": clean_url(person.get("img"), base),
                }
            )
    return people


def item_namespace(item: ET.Element, base: str = "") -> dict:
    """The namespace fields of one item element (with its GUID, to align it by)."""
    chapters = _podcast(item, "chapters")
    guid = item.find("guid")
    if guid is None:
        guid = item.find(f"{{{ATOM_NS}}}id")
    return {
        "id": (guid.text or "").strip() if guid is not None else "",
        "guid": _podcast_text(item, "guid"),
        "explicit": _itunes_text(item, "explicit"),
        "image": _itunes_image(item),
        "transcripts": [
            t for t in (transcript(e.get, base) for e in _podcast(item, "transcript")) if t
        ],
        "people": _people(item, base),
        "chapters": clean_url(chapters[0].get("url"), base) if chapters else "",
    }


def align(entries, extras: list[dict]) -> list[dict]:
    """Pair feedparser's entries with the namespace pass's items: by position, else by GUID."""
    if len(extras) == len(entries):
        return extras
    by_id = {extra["id"]: extra for extra in extras if extra["id"]}
    return [by_id.get((entry.get("id") or "").strip(), {}) for entry in entries]
