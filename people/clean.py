"""Cleaning what sources say about people: a name is kept only if it reads as a person's name.

Names come from feeds, transcripts, episode notes and a model, all untrusted. A value is made
plain text first (markup, entities and controls gone) and then refused, not cut, when it is
not a name: an email, a URL, a sentence, an instruction to a model, a label such as
"Speaker 1", or text too long to be a name. Cutting a 2,000-character string to 100 would make
up a name no source gave.
"""

import ipaddress
import re
from urllib.parse import urlsplit

from shows.ingest.cleaning import clean_text, clean_url

MAX_NAME_CHARS = 100
MAX_NAME_WORDS = 6
MAX_DESCRIPTION_CHARS = 200
# Letters (any script), with the marks names carry between them: O'Brien, Jean-Luc, J. R.
_NAME = re.compile(r"[^\W\d_]+(?:[.'’-][^\W\d_]*)*\.?", re.UNICODE)
# Labels and placeholders, not people.
_NOT_NAMES = {
    "host",
    "co-host",
    "cohost",
    "guest",
    "guests",
    "speaker",
    "unknown",
    "narrator",
    "announcer",
    "interviewer",
    "interviewee",
    "moderator",
    "audience",
    "audience member",
    "everyone",
    "both",
    "all",
    "music",
    "intro",
    "outro",
    "ad",
    "sponsor",
    "crosstalk",
    "inaudible",
}
# Words that speak to a model or a program: no person is called "Ignore Previous Instructions".
_INSTRUCTION_WORDS = {
    "ignore",
    "disregard",
    "instruction",
    "instructions",
    "prompt",
    "system",
    "assistant",
    "score",
    "rubric",
    "override",
    "jailbreak",
    "llm",
    "gpt",
    "chatgpt",
    "ai",
}
# A show's author that is a company, not its host.
_ORGANISATION_WORDS = {
    "inc",
    "inc.",
    "llc",
    "ltd",
    "ltd.",
    "gmbh",
    "corp",
    "corp.",
    "co.",
    "company",
    "media",
    "network",
    "networks",
    "podcast",
    "podcasts",
    "studios",
    "studio",
    "group",
    "productions",
    "partners",
    "radio",
    "news",
    "team",
    "the",
    "and",
    "&",
}


def clean_person_name(value) -> tuple[str, str]:
    """(name, "") when the value reads as a person's name, else ("", why it was refused)."""
    if not isinstance(value, str):
        return "", "not text"
    if len(value) > MAX_NAME_CHARS * 10:
        return "", "too long to be a name"
    text = clean_text(value, MAX_NAME_CHARS * 10)
    if not text:
        return "", "empty"
    if len(text) > MAX_NAME_CHARS:
        return "", "too long to be a name"
    if "@" in text:
        return "", "an email address"
    if "://" in text or re.search(r"\bwww\.|\.(?:com|io|net|org|co|ai|fm)\b", text, re.I):
        return "", "a web address"
    words = text.split()
    if len(words) > MAX_NAME_WORDS:
        return "", "too many words to be a name"
    if not all(_NAME.fullmatch(word) for word in words):
        return "", "characters no name has"
    folded = text.casefold()
    if folded in _NOT_NAMES or folded.rstrip("s") in _NOT_NAMES:
        return "", "a label, not a name"
    if _INSTRUCTION_WORDS & {w.strip(".").casefold() for w in words}:
        return "", "reads as an instruction, not a name"
    return text, ""


def looks_like_full_name(name: str) -> bool:
    """Two to four words, none of a company's: enough to tell a person from an organisation."""
    words = name.split()
    return 2 <= len(words) <= 4 and not _ORGANISATION_WORDS & {w.casefold() for w in words}


def clean_description(value) -> str:
    """A short plain-text description ("CFO at Acme"), or "" when there is none to keep."""
    if not isinstance(value, str):
        return ""
    text = clean_text(value, MAX_DESCRIPTION_CHARS * 10)
    if len(text) > MAX_DESCRIPTION_CHARS or "@" in text or "://" in text:
        return ""
    return text


def clean_link(value) -> str:
    """An http(s) URL to link to (a website, a podcast:person href), or ""."""
    return clean_url(value if isinstance(value, str) else "")


def clean_image(value) -> str:
    """An https image URL on a public host name, or "": we only show it, never fetch it.

    A plain-http image would be mixed content, and one at a private or loopback address says
    the feed is probing someone's network.
    """
    url = clean_link(value)
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        return ""
    host = (parts.hostname or "").strip("[]").rstrip(".").lower()
    if not host or host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        # Only names with a dot: a bare "intranet" is not on the public web.
        return url if "." in host else ""
    return url if address.is_global else ""
