"""Who is on an episode, as each source says it: claims, cleaned and bounded, never guessed.

Sources, strongest first: the item's `podcast:person` tags (a channel's tags reach items that
have none of their own at ingestion), the transcript's speaker names (a publisher's voices, the
names our speech recognition heard people introduce themselves with, an editor's), the guests
the scoring model named with transcript evidence, the show's itunes author as host, and an
unambiguous "with Jane Doe, CFO at Acme" in the title or notes. What a source said and we did
not keep is returned as refusals, so the sweep can record it.
"""

import hashlib
import json
import re
from dataclasses import dataclass

from episodes.models import Transcript
from episodes.transcripts.names import usable_names
from people.clean import (
    clean_description,
    clean_image,
    clean_link,
    clean_person_name,
    looks_like_full_name,
)
from people.models import Appearance
from shows.ingest.cleaning import clean_text

Source = Appearance.Source
Role = Appearance.Role
# The strongest claim wins when two sources name one person in one role.
SOURCE_ORDER = [
    Source.EDITOR,
    Source.FEED,
    Source.PUBLISHER_TRANSCRIPT,
    Source.SELF_INTRODUCTION,
    Source.SHOW_FEED,
    Source.MODEL,
    Source.BASELINE,
]
TRANSCRIPT_SOURCES = {
    Transcript.Source.PUBLISHER: Source.PUBLISHER_TRANSCRIPT,
    Transcript.Source.ASR: Source.SELF_INTRODUCTION,
    Transcript.Source.EDITOR: Source.EDITOR,
}
# Bounds: an item with hundreds of tags or a transcript with 300 voices is not a cast list.
MAX_FEED_TAGS = 30
MAX_SPEAKER_NAMES = 20
MAX_MODEL_GUESTS = 10
MAX_BASELINE_GUESTS = 5
MAX_REFUSALS = 30
MAX_NOTES_CHARS = 5000
# "with Jane Doe, CFO at Acme" / "featuring Jane Doe, VP of Sales at Acme": a name of two or
# three capitalised words, then a job title and an organisation. Nothing looser.
_NAME_WORD = r"[A-Z][a-z]+(?:['’-][A-Z]?[a-z]+)?"
_NAMED = rf"(?P<name>{_NAME_WORD}(?:\s{_NAME_WORD}){{1,2}}),\s+"
_DESCRIBED = (
    r"(?P<description>(?:the\s)?(?:[A-Z][\w&/-]*\s?){1,4}(?:\s?[\w&/-]+){0,3}?\s(?:at|of)\s"
    r"[A-Z][\w&'’-]*(?:\s[A-Z][\w&'’-]*){0,3})"
)
_BASELINE = re.compile(rf"\b(?:[Ww]ith|[Ff]eaturing|[Gg]uest:?)\s+{_NAMED}{_DESCRIBED}")
# "Jane Doe, CFO at Acme, explains…" without "with": it describes someone another source
# names, and adds no one.
_DESCRIPTION = re.compile(rf"(?<![\w-]){_NAMED}{_DESCRIBED}")


@dataclass
class Claim:
    """One source's word that a person is on the episode in a role."""

    name: str
    role: str
    source: str
    href: str = ""
    image_url: str = ""
    description: str = ""
    speaker_label: str = ""

    @property
    def key(self) -> str:
        return self.name.casefold()


@dataclass
class Inputs:
    """Everything the claims are read from, for one episode."""

    people: list
    show_author: str
    title: str
    notes_html: str
    transcript_source: str = ""
    speaker_names: dict | None = None
    model_guests: list | None = None

    def digest(self) -> str:
        """A hash of the inputs: the sweep reads an episode again only when it changes."""
        data = json.dumps(self.__dict__, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(data.encode()).hexdigest()


class Refusals(list):
    """What sources said that was not kept: [{source, name, reason}], at most MAX_REFUSALS."""

    def add(self, source: str, value, reason: str) -> None:
        if len(self) < MAX_REFUSALS:
            shown = value if isinstance(value, str) else repr(value)
            self.append({"source": source, "name": " ".join(shown.split())[:80], "reason": reason})


def claims(inputs: Inputs) -> tuple[list[Claim], Refusals]:
    """The episode's people as claims (one per person and role), and what was refused."""
    refused = Refusals()
    found: dict[tuple[str, str], Claim] = {}

    def add(claim: Claim) -> None:
        key = (claim.key, claim.role)
        held = found.get(key)
        if held is None or SOURCE_ORDER.index(claim.source) < SOURCE_ORDER.index(held.source):
            found[key] = claim
            if held is not None:
                _fill(claim, held)
        else:
            _fill(held, claim)

    for claim in _feed_claims(inputs.people, refused):
        add(claim)
    if inputs.show_author and not any(c.role == Role.HOST for c in found.values()):
        name, _ = clean_person_name(inputs.show_author)
        if name and looks_like_full_name(name):
            add(Claim(name=name, role=Role.HOST, source=Source.SHOW_FEED))
    named = {claim.key for claim in found.values()}
    others = [
        *_speaker_claims(inputs, named, refused),
        *_model_claims(inputs.model_guests, refused),
        *_baseline_claims(inputs.title, inputs.notes_html),
    ]
    for claim in others:
        roles = [c for c in found.values() if c.key == claim.key]
        if roles:
            # Already named in a role: this source adds the voice or the description only.
            for held in roles:
                _fill(held, claim)
        else:
            add(claim)
    described = _descriptions(inputs.title, inputs.notes_html)
    for claim in found.values():
        claim.description = claim.description or described.get(claim.key, "")
    return list(found.values()), refused


def _fill(claim: Claim, other: Claim) -> None:
    """Take what the other claim knows and this one does not."""
    for field in ("href", "image_url", "description", "speaker_label"):
        if not getattr(claim, field) and getattr(other, field):
            setattr(claim, field, getattr(other, field))


def _feed_claims(people, refused: Refusals) -> list[Claim]:
    if not isinstance(people, list):
        return []
    if len(people) > MAX_FEED_TAGS:
        refused.add(Source.FEED, f"{len(people)} tags", f"only the first {MAX_FEED_TAGS} read")
    found = []
    for tag in people[:MAX_FEED_TAGS]:
        if not isinstance(tag, dict):
            refused.add(Source.FEED, tag, "not a person tag")
            continue
        name, why = clean_person_name(tag.get("name"))
        if not name:
            refused.add(Source.FEED, tag.get("name"), why)
            continue
        role = clean_text(tag.get("role") if isinstance(tag.get("role"), str) else "", 40)
        role = role.lower() or Role.HOST
        if role not in Role.values:
            refused.add(Source.FEED, name, f"role {role!r} is not one we list")
            continue
        image = tag.get("img")
        if image and not clean_image(image):
            refused.add(Source.FEED, name, "image not https on a public host: not shown")
        found.append(
            Claim(
                name=name,
                role=role,
                source=Source.FEED,
                href=clean_link(tag.get("href")),
                image_url=clean_image(image),
            )
        )
    return found


def _speaker_claims(inputs: Inputs, named: set[str], refused: Refusals) -> list[Claim]:
    source = TRANSCRIPT_SOURCES.get(inputs.transcript_source)
    names = usable_names(inputs.speaker_names)
    if source is None or not names:
        return []
    if len(set(names.values())) > MAX_SPEAKER_NAMES:
        refused.add(source, f"{len(names)} speaker names", "too many voices: none read")
        return []
    firsts = {}
    for key in named:
        firsts.setdefault(key.split()[0], []).append(key)
    found = []
    for label, raw in names.items():
        name, why = clean_person_name(raw)
        if not name:
            refused.add(source, raw, why)
            continue
        key = name.casefold()
        if key not in named and len(name.split()) == 1:
            # "Dana" is whoever the feed calls Dana, if exactly one; alone it is nobody's page.
            matches = firsts.get(key, [])
            if len(matches) != 1:
                refused.add(source, name, "a first name only")
                continue
            key = matches[0]
            name = key
        found.append(Claim(name=name, role=Role.GUEST, source=source, speaker_label=label[:40]))
    return found


def _model_claims(guests, refused: Refusals) -> list[Claim]:
    # scoring.validation kept only names the transcript or notes contain; cleaned again here.
    found = []
    for guest in (guests if isinstance(guests, list) else [])[:MAX_MODEL_GUESTS]:
        raw = guest.get("name") if isinstance(guest, dict) else guest
        name, why = clean_person_name(raw)
        if name and len(name.split()) >= 2:
            found.append(Claim(name=name, role=Role.GUEST, source=Source.MODEL))
        else:
            refused.add(Source.MODEL, raw, why or "a first name only")
    return found


def _baseline_claims(title: str, notes_html: str) -> list[Claim]:
    text = clean_text(f"{title}. {notes_html[:MAX_NOTES_CHARS]}", MAX_NOTES_CHARS)
    found = {}
    for match in _BASELINE.finditer(text):
        name, _ = clean_person_name(match.group("name"))
        if name and name.casefold() not in found:
            found[name.casefold()] = Claim(
                name=name,
                role=Role.GUEST,
                source=Source.BASELINE,
                description=clean_description(match.group("description")),
            )
    return list(found.values())[:MAX_BASELINE_GUESTS]


def _descriptions(title: str, notes_html: str) -> dict[str, str]:
    """Name → "CFO at Acme" where the title or notes say "Name, CFO at Acme"."""
    text = clean_text(f"{title}. {notes_html[:MAX_NOTES_CHARS]}", MAX_NOTES_CHARS)
    described = {}
    for match in _DESCRIPTION.finditer(text):
        description = clean_description(match.group("description"))
        if description:
            described.setdefault(match.group("name").casefold(), description)
    return described
