"""Text in a transcript that speaks to the scorer rather than to the listener.

The prompt tells the model that the transcript is data, but a model may obey it anyway. A
transcript (or a speaker name, or the show notes) that addresses an AI, names our rubric's
dimensions, asks for a score or tells the model what to write is rare in honest speech and a
strong sign of an attempt: its scorecard is held for an editor (scoring.outliers), whatever
the score. The phrases are specific on purpose; an honest episode that trips one waits for a
click.
"""

import re
from dataclasses import dataclass

from scoring.grounding import normalise

_AI = (
    r"(?:ai|a\.i\.|llm|llms|language models?|models?|chatbots?|assistants?|gpt|chatgpt|claude"
    r"|gemini|scorers?|graders?|evaluators?|scoring (?:model|system|engine|editor|ai|bot))"
)
_ASKS = [
    # Overriding the instructions.
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+)?(?:(?:of\s+)?(?:the|your"
    r"|my|these|those)\s+)?(?:previous|prior|above|earlier|preceding|original|system|scoring"
    r"|given)\s+(?:instructions?|prompts?|rubric|guidelines|rules|directions)\b",
    r"\b(?:ignore|disregard)\s+(?:the|your)\s+(?:instructions|rubric|system prompt)\b",
    r"\bnew\s+instructions\s*:",
    # Speaking to a model.
    rf"\b(?:attention|note|message|instructions?|reminder)\s+(?:to|for)\s+(?:the\s+|any\s+|all\s+)?{_AI}\b",
    rf"\b(?:dear|hey|hello)\s+{_AI}\b",
    r"\b(?:if\s+)?you\s+are\s+(?:an?\s+)?(?:ai|llm|language model|scoring|grader|evaluator)\b",
    rf"\b{_AI}\s+(?:reading|scoring|grading|rating|evaluating|judging)\s+(?:this|the)\b",
    # Asking for a score.
    r"\b(?:give|assign|award|output|return)\s+(?:this\s+(?:episode|podcast|show|transcript)|it"
    r"|us|the\s+episode)?\s*(?:an?\s+)?(?:score|total|rating|grade)?\s*(?:of\s+)?\d{1,3}\s*"
    r"(?:/|out\s+of)\s*(?:100|20)\b",
    r"\b(?:give|assign|award|output|return|deserves?)\s+(?:\w+\s+){0,4}?(?:a\s+)?(?:perfect"
    r"|maximum|max|highest|full|top)\s+(?:possible\s+)?(?:score|marks|rating|points)\b",
    r"\b(?:score|rate|grade)\s+(?:this|the)\s+(?:episode|podcast|show|transcript|conversation)"
    r"\s+(?:a\s+|at\s+|as\s+)?(?:\d{1,3}|perfect|maximum|highly)\b",
    r"\b(?:20|twenty|maximum|max|full marks)\s+(?:\w+\s+){0,3}?(?:on|for|in|across)\s+(?:every"
    r"|each|all)\s+(?:rubric\s+)?(?:dimensions?|criteria)\b",
    r"\b(?:every|each|all)\s+(?:rubric\s+)?dimensions?\s+(?:\w+\s+){0,3}?(?:20|twenty|maximum"
    r"|max)\b",
    r"\"(?:score|total|dimensions|takeaways|topics|summary)\"\s*:",
    # Telling the model what to write.
    r"\b(?:in|to)\s+your\s+(?:summary|takeaways|topics|answer|response|output|scorecard|json)\b",
    r"\b(?:add|include|list|use)\s+(?:the\s+)?(?:topic|takeaway)s?\s+(?:of\s+)?[\"“']",
    # Chat-template and prompt-fence tokens.
    r"<\|[a-z_]{2,20}\|>|\[/?inst\]|<</?sys>>|(?:<<<|‹‹‹)\s*(?:transcript|notes)"
    r"|(?:transcript|notes)\s*(?:>>>|›››)",
]


# Between the words of a rubric name: spaces, an underscore (the key) or "&" / "and".
_JOIN = r"(?:\s*(?:&|and)\s*|[\s_]+)"


def _rubric_names(dimensions) -> list[str]:
    """The rubric's own words that no guest says by chance: multi-word names and keys."""
    names = []
    for dimension in dimensions:
        for name in (dimension.name, dimension.key.replace("_", " ")):
            words = re.findall(r"\w+", normalise(name))
            if len(words) >= 2:
                names.append(r"\b" + _JOIN.join(map(re.escape, words)) + r"\b")
    return names


@dataclass(frozen=True)
class Address:
    """One passage that speaks to the scorer: where it is and what it says."""

    where: str
    excerpt: str


def find_addresses(context, limit: int = 3) -> list[Address]:
    """Passages of the transcript, speaker names and notes that speak to the scorer."""
    pattern = re.compile("|".join(_ASKS + _rubric_names(context.dimensions)))
    places = [
        (f"the transcript at {_clock(s.get('start'), n)}", s.get("text") or "")
        for n, s in enumerate(context.segments)
    ]
    places += [("a speaker name", name) for name in (context.speaker_names or {}).values()]
    places += [("the show notes", context.notes or "")]
    found = []
    for where, text in places:
        folded = normalise(str(text))
        match = pattern.search(folded)
        if match:
            start, end = max(match.start() - 40, 0), min(match.end() + 40, len(folded))
            found.append(Address(where, folded[start:end].strip()))
            if len(found) >= limit:
                break
    return found


def _clock(seconds, index: int) -> str:
    """m:ss of a segment, or its position when the transcript has no times."""
    if not isinstance(seconds, int | float):
        return f"segment {index + 1}"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"
