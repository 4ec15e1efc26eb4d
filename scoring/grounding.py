"""Keeping a model's free text to what the transcript supports.

A transcript can talk a model into writing what its author wants published: a topic such as
"Buy Now", markup, "visit https://…" in the summary. Summaries, takeaways and rationales are
public, so a sentence carrying a link or markup that the transcript itself does not contain is
dropped; a topic is kept only when each of its words is a word of the transcript (give or take
an ending: price / pricing, cycle / cycles) and it is plain text.
"""

import re
import unicodedata

# Links in any spelling a reader could follow: scheme URLs, www. hosts, markdown links.
_LINK = re.compile(
    r"(?:\b[a-z][a-z0-9+.-]{1,15}://|\bwww\.)[^\s<>\"'\])]+|\]\([^)\s]*\)|\bmailto:\S+",
    re.IGNORECASE,
)
# Markup: HTML tags and comments, character references, chat-template tokens.
_MARKUP = re.compile(
    r"</?[a-z!][^<>]{0,200}>|&(?:[a-z]{2,8}|#[0-9]{1,7}|#x[0-9a-f]{1,6});|<\|[^|]{0,40}\|>",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# What a topic name may contain: words, digits and the punctuation of names like "M&A",
# "B2B", "Go-to-market", "R&D / tax", "Series A+".
_TOPIC_CHARS = re.compile(r"[\w&'’+./ -]+")
# Words a topic may add without the transcript saying them.
_GLUE = frozenset({"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to"})
_SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "es", "ed", "s", "e", "y")


def normalise(text: str) -> str:
    """Text folded for comparison: compatibility forms, case, runs of whitespace."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def foreign_bits(text: str, source: str) -> list[str]:
    """The links and markup in `text` that `source` (normalised) does not contain."""
    found = [m.group(0) for pattern in (_LINK, _MARKUP) for m in pattern.finditer(text)]
    return [bit for bit in found if normalise(bit).rstrip(".,;:!?") not in source]


def keep_supported_sentences(text: str, source: str) -> tuple[str, list[str]]:
    """`text` without the sentences carrying foreign links or markup, and those sentences."""
    kept, dropped = [], []
    for sentence in _SENTENCE_END.split(text):
        (dropped if foreign_bits(sentence, source) else kept).append(sentence)
    return " ".join(kept).strip(), dropped


def stem(word: str) -> str:
    """A word without one common English ending, so that price and pricing meet."""
    word = word.casefold()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def names(name: str, source: str) -> bool:
    """Whether a (normalised) text says this name, as whole words in that order."""
    wanted = " ".join(_WORD.findall(normalise(name)))
    return bool(wanted) and f" {wanted} " in f" {' '.join(_WORD.findall(source))} "


def vocabulary(source: str) -> set[str]:
    """The stems of every word of a (normalised) text."""
    return {stem(word) for word in _WORD.findall(source)}


def _word_is_supported(word: str, stems: set[str]) -> bool:
    if len(word) <= 3:  # AI, HR, B2B, buy: short words must appear as they are
        return word.casefold() in stems
    own = stem(word)
    if own in stems:
        return True
    # Longer derivations (operator / operations): a shared stem of at least four letters.
    return len(own) >= 4 and any(
        s.startswith(own) or own.startswith(s) for s in stems if len(s) >= 4
    )


def topic_is_supported(topic: str, stems: set[str]) -> bool:
    """Whether a topic name is plain text made of the transcript's words."""
    if not _TOPIC_CHARS.fullmatch(topic) or _LINK.search(topic):
        return False
    words = [w for w in _WORD.findall(normalise(topic)) if w not in _GLUE]
    return bool(words) and all(_word_is_supported(word, stems) for word in words)
