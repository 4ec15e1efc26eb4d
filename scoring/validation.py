"""Checking a model's answer (pydantic): shape, types, ranges and sizes.

What can be fixed safely is fixed and said (an out-of-range score is clamped and flagged, extra
takeaways are cut, text the transcript does not support is dropped: scoring.grounding); what
cannot (not JSON, another schema, a score of "high", a missing dimension, an empty summary)
raises AnswerError so the caller can ask once for a repair.
"""

import json
import math
import re
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from scoring import grounding

MAX_TAKEAWAYS = 5
MAX_TOPICS = 8
MAX_QUOTES_ASKED = 6  # more than this many "quotes" is not evidence but a dump
MAX_RATIONALE_CHARS = 1200
MAX_SUMMARY_CHARS = 3000
MAX_ITEM_CHARS = 500
MAX_TOPIC_CHARS = 60
MAX_GUESTS = 10
MAX_GUEST_NAME_CHARS = 100

_FENCE = re.compile(r"^\s*```[a-zA-Z]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)


class AnswerError(ValueError):
    """The answer cannot be used as it is."""


def _text(value) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return " ".join(value.split())


class DimensionAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    score: float
    rationale: str = ""
    quotes: list[str] = Field(default_factory=list)

    @field_validator("score", mode="before")
    @classmethod
    def _number(cls, value):
        # bool is an int to Python, not a score to us; "15" and 14.6 are fine, "high" is not.
        if isinstance(value, bool):
            raise ValueError("must be a number, not true/false")
        if isinstance(value, str):
            value = value.strip()
            if not re.fullmatch(r"-?\d+(?:\.\d+)?", value):
                raise ValueError(f"must be a number, not {value[:40]!r}")
            value = float(value)
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @field_validator("rationale", mode="before")
    @classmethod
    def _rationale(cls, value):
        return _text(value)

    @field_validator("quotes", mode="before")
    @classmethod
    def _quotes(cls, value):
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise ValueError("must be a list of strings")
        return [_text(q) for q in value if isinstance(q, str) and q.strip()][:MAX_QUOTES_ASKED]


class Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    dimensions: dict[str, DimensionAnswer]
    summary: str
    takeaways: list[str]
    topics: list[str]
    # [(name, evidence)]. Optional: an answer without guests names none, and is not repaired.
    guests: list[tuple[str, str]] = Field(default_factory=list)

    @field_validator("summary", mode="before")
    @classmethod
    def _summary(cls, value):
        text = _text(value)
        if not text:
            raise ValueError("must not be empty")
        return text[:MAX_SUMMARY_CHARS]

    @field_validator("takeaways", "topics", mode="before")
    @classmethod
    def _strings(cls, value):
        if not isinstance(value, list):
            raise ValueError("must be a list of strings")
        return [_text(v) for v in value if isinstance(v, str) and v.strip()]

    @field_validator("guests", mode="before")
    @classmethod
    def _guests(cls, value):
        # Whatever is not {"name": text, "evidence": text} names nobody.
        if not isinstance(value, list):
            return []
        guests = []
        for guest in value[: MAX_GUESTS * 3]:
            if isinstance(guest, dict) and isinstance(guest.get("name"), str):
                evidence = guest.get("evidence")
                guests.append(
                    (_text(guest["name"]), _text(evidence) if isinstance(evidence, str) else "")
                )
        return guests


@dataclass
class CheckedDimension:
    key: str
    score: int
    rationale: str
    quotes: list[str]
    clamped: bool = False


@dataclass
class CheckedAnswer:
    dimensions: dict[str, CheckedDimension]
    summary: str
    takeaways: list[str]
    topics: list[str]
    notes: list[str] = field(default_factory=list)
    # [{"name", "evidence"}]: guests the transcript or notes name (with `source` only).
    guests: list[dict] = field(default_factory=list)


def extract_json(content: str | None):
    """The JSON object in a model's reply, tolerating a markdown fence or a preamble."""
    text = (content or "").strip()
    if not text:
        raise AnswerError("the answer was empty")
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    start = text.find("{")
    if start < 0:
        raise AnswerError("the answer is not JSON (no object found)")
    try:
        value, _ = json.JSONDecoder().raw_decode(text[start:])
    except json.JSONDecodeError as exc:
        raise AnswerError(f"the answer is not valid JSON ({exc.msg} at char {exc.pos})") from exc
    if not isinstance(value, dict):
        raise AnswerError("the answer is not a JSON object")
    return value


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors()[:6]:
        where = ".".join(str(p) for p in error["loc"]) or "answer"
        problems.append(f"{where}: {error['msg']}")
    return "; ".join(problems)


def _unique(items: list[str], limit: int, max_chars: int) -> list[str]:
    seen, kept = set(), []
    for item in items:
        item = item[:max_chars].strip()
        if item and item.casefold() not in seen:
            seen.add(item.casefold())
            kept.append(item)
    return kept[:limit]


def check_answer(
    content: str | None, max_scores: dict[str, int], source: str | None = None, show_notes: str = ""
) -> CheckedAnswer:
    """Validate a model's reply against the rubric; raise AnswerError if it cannot be used.

    With `source` (the transcript, grounding.normalise()d) the free text is kept to what it
    supports, and the guests to the names it or the `show_notes` (normalised too) contain.
    """
    data = extract_json(content)
    try:
        answer = Answer.model_validate(data)
    except ValidationError as exc:
        raise AnswerError(f"the answer does not match the schema: {_describe(exc)}") from exc
    missing = [key for key in max_scores if key not in answer.dimensions]
    if missing:
        raise AnswerError("the answer is missing rubric dimensions: " + ", ".join(missing))

    notes: list[str] = []
    dimensions = {}
    for key, maximum in max_scores.items():
        given = answer.dimensions[key]
        score = math.floor(given.score + 0.5)
        clamped = not 0 <= score <= maximum
        dimensions[key] = CheckedDimension(
            key=key,
            score=min(max(score, 0), maximum),
            rationale=given.rationale[:MAX_RATIONALE_CHARS],
            quotes=given.quotes,
            clamped=clamped,
        )
        if clamped:
            notes.append(
                f"The model scored {key} {given.score:g}, outside 0–{maximum}: held at "
                f"{dimensions[key].score} and flagged for review."
            )
    takeaways = _unique(answer.takeaways, MAX_TAKEAWAYS, MAX_ITEM_CHARS)
    if len(answer.takeaways) > MAX_TAKEAWAYS:
        notes.append(
            f"The model gave {len(answer.takeaways)} takeaways; the first {MAX_TAKEAWAYS} are kept."
        )
    checked = CheckedAnswer(
        dimensions=dimensions,
        summary=answer.summary,
        takeaways=takeaways,
        topics=_unique(answer.topics, MAX_TOPICS, MAX_TOPIC_CHARS),
        notes=notes,
    )
    if source is not None:
        _keep_to_source(checked, source)
        checked.guests = _named_guests(answer.guests, f"{source} {show_notes}", checked.notes)
    return checked


def _named_guests(guests: list[tuple[str, str]], source: str, notes: list[str]) -> list[dict]:
    """The guests whose names the transcript or notes contain, like quotes: no name made up."""
    kept, unnamed, seen = [], [], set()
    for name, evidence in guests:
        if not name or name.casefold() in seen:
            continue
        if len(name) > MAX_GUEST_NAME_CHARS or not grounding.names(name, source):
            unnamed.append(name)
            continue
        seen.add(name.casefold())
        kept.append({"name": name, "evidence": evidence[:MAX_ITEM_CHARS]})
    if unnamed:
        notes.append(
            "Guests the transcript and notes do not name were dropped: "
            + ", ".join(repr(n[:60]) for n in unnamed[:5])
        )
    return kept[:MAX_GUESTS]


def _keep_to_source(checked: CheckedAnswer, source: str) -> None:
    """Drop the links, markup and topics the transcript does not support, saying what went."""
    summary, dropped = grounding.keep_supported_sentences(checked.summary, source)
    if not summary:
        raise AnswerError(
            "the summary carries links or markup that are not in the transcript; "
            "summarise the episode in plain sentences"
        )
    dropped += [t for t in checked.takeaways if grounding.foreign_bits(t, source)]
    checked.summary = summary
    checked.takeaways = [t for t in checked.takeaways if not grounding.foreign_bits(t, source)]
    for dimension in checked.dimensions.values():
        dimension.rationale, gone = grounding.keep_supported_sentences(dimension.rationale, source)
        dropped += gone
    if dropped:
        checked.notes.append(
            f"{len(dropped)} sentence(s) with links or markup that are not in the transcript "
            "were dropped: " + " | ".join(d[:120] for d in dropped[:3])
        )
    stems = grounding.vocabulary(source)
    unsupported = [t for t in checked.topics if not grounding.topic_is_supported(t, stems)]
    if unsupported:
        checked.topics = [t for t in checked.topics if t not in unsupported]
        checked.notes.append(
            "Topics not drawn from the transcript's words were dropped: "
            + ", ".join(repr(t[:60]) for t in unsupported)
        )
