"""The offline baseline scorer: transparent transcript features → rubric scores, no model.

Deterministic and fast, so the site and the tests work anywhere. Every formula is in FORMULAS
(rendered on the methodology page by templates/scoring/_baseline_formulas.html), quotes are
real sentences of the transcript, the summary and takeaways are extracted sentences, and topics
are the transcript's most frequent key phrases.
"""

import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass

from episodes.transcripts.analysis import count_words, filler_counts
from scoring.engines.base import DimensionResult, EngineResult, EpisodeContext
from scoring.quotes import TranscriptIndex, quote_words

ENGINE = "baseline"
# Part of the cache key: bump when a formula or feature changes so episodes are re-scored.
VERSION = "baseline-1"

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_TOKEN = re.compile(r"[$€£]?[^\W_]+(?:['’.,-][^\W_]+)*%?")
_DIGITS = re.compile(r"\d")
# "..., right?" and "..., you know?" are tics, not questions.
_TAG_QUESTION = re.compile(
    r"(?:,|^)\s*(?:right|you know|yeah|okay|ok|no|isn't it|don't you think)\?$", re.IGNORECASE
)


def wordset(text: str) -> frozenset[str]:
    """The whitespace-separated words of a text, as a set."""
    return frozenset(text.split())


NUMBER_WORDS = wordset(
    "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred thousand million billion trillion dozen half quarter twice double triple"
)
MEASURE_WORDS = wordset(
    "percent percentage dollars dollar euros pounds revenue arr mrr margin cac ltv churn "
    "million billion trillion quarter year-over-year roi"
)
# Capitalised words that are not names: sentence openers ASR capitalises, pronouns, days.
COMMON_CAPS = wordset(
    "i i'm i've i'd i'll okay ok yeah yes no so and but or well um uh oh hey hi thanks thank "
    "the a an it this that what when where why how who which is are was were we you they he she "
    "my our your their there here now then just right like mr mrs ms dr monday tuesday "
    "wednesday thursday friday saturday sunday"
)
STOPWORDS = wordset(
    """a about above after again against all almost also am an and any are aren't as at be
    because been before being below between both but by can can't cannot could couldn't did
    didn't do does doesn't doing don't down during each even ever every few for from further get
    gets getting go goes going gone got gotta had hadn't has hasn't have haven't having he he'd
    he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm i've if in
    into is isn't it it's its itself just kind know let let's like lot lots make makes made many
    may me maybe mean might more most much must mustn't my myself need no nor not now of off oh
    ok okay on once one only or other ought our ours ourselves out over own pretty quite rather
    re really right said same say says see seem seems shan't she she'd she'll she's should
    shouldn't so some something sort still such sure take talk talking tell than that that's the
    their theirs them themselves then there there's these they they'd they'll they're they've
    thing things think this those though through to too uh um under until up upon us use used
    very want was wasn't way we we'd we'll we're we've well were weren't what what's when when's
    where where's whether which while who who's whom why why's will with won't would wouldn't
    yeah yes yet you you'd you'll you're you've your yours yourself yourselves actually
    basically literally going gonna wanna got bit get lot also across around again already
    always another anything back big come comes coming different doing done else enough etc
    everybody everyone everything first good great guess happen happens having hear heard
    important interesting look looking looks new next people point put saying seen start started
    stuff talked time times today try trying two work working year years"""
)

FIRST_HAND = re.compile(
    r"\b(?:(?:i|we) (?:built|ran|run|launched|founded|started|hired|fired|sold|raised|shipped|"
    r"grew|scaled|led|managed|migrated|cut|tested|tried|learned|lost|spent|closed|negotiated|"
    r"implemented|deployed|rolled out|measured|rebuilt|decided|made the call|changed|doubled|"
    r"tripled|halved|priced|repriced)|our (?:team|company|customers|revenue|product|platform|"
    r"board|pipeline|numbers|churn|margin|sales team|engineers)|when i was (?:at|running|the)|"
    r"at my (?:company|last company|startup)|in my experience|my team|we learned|i learned|"
    r"the mistake (?:i|we) made|what we did)\b",
    re.IGNORECASE,
)
SECOND_HAND = re.compile(
    r"\b(?:(?:we|i) (?:heard|read|saw a report)|they said|they told us|people (?:say|are saying|"
    r"were saying|talk about)|according to|reportedly|apparently|i've heard|we spoke to|"
    r"folks are talking|what we heard|the word is)\b",
    re.IGNORECASE,
)
CONTRARIAN = re.compile(
    r"\b(?:counterintuitive(?:ly)?|contrary to|the opposite|most people (?:think|assume|believe)|"
    r"conventional wisdom|i disagree|that's wrong|is wrong|a myth|overrated|underrated|"
    r"the real (?:reason|problem|question|cost)|first principles|nobody talks about|"
    r"the mistake|instead of|isn't actually|is not actually|turns out|surprising(?:ly)?|"
    r"we were wrong|the non-obvious|unpopular)\b",
    re.IGNORECASE,
)
CLICHE = re.compile(
    r"\b(?:at the end of the day|game[- ]changer|low[- ]hanging fruit|move the needle|"
    r"building the plane|paradigm shift|double[- ]click|circle back|synergy|best practices|"
    r"it depends|the new oil|secret sauce|table stakes|north star|boil the ocean|win[- ]win|"
    r"thought leader(?:ship)?|outside the box|all you can eat|perfect storm|tip of the iceberg|"
    r"journey|rocket ship|wild west|silver bullet|sticker shock)\b",
    re.IGNORECASE,
)
FOLLOW_UP = re.compile(
    r"^(?:\w+, )?(?:why|how (?:did|do|does|would|exactly)|what (?:happened|did|would|made|was)|"
    r"can you (?:give|walk|unpack|say more)|could you|walk me|give me an example|"
    r"so (?:you're|you are) saying|but (?:isn't|doesn't|what|how|why)|really|what about|"
    r"where did|who)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Term:
    """weight × min(feature, cap): one contribution to a dimension's score."""

    feature: str
    weight: float
    cap: float


@dataclass(frozen=True)
class Formula:
    """A dimension's score: base + Σ terms, rounded and held within 0–20."""

    dimension: str
    base: float
    terms: tuple[Term, ...]

    def apply(self, features: dict[str, float]) -> tuple[int, float]:
        raw = self.base + sum(t.weight * min(features[t.feature], t.cap) for t in self.terms)
        return max(0, min(20, math.floor(raw + 0.5))), raw


# Feature → what it measures; all rates are per 1,000 words of transcript.
FEATURES: dict[str, str] = {
    "specifics": "numbers, percentages, money and named entities per 1,000 words "
    "(each distinct name counted at most three times)",
    "measures": "percentages, currency and business-metric words per 1,000 words",
    "fillers": "filler words per 1,000 words (the conversation analysis list)",
    "repetition": "percentage of three-word sequences that repeat an earlier one",
    "diversity": "moving-average type-token ratio over 100-word windows, as a percentage",
    "first_hand": "first-hand experience markers per 1,000 words "
    "(“we built”, “our customers”, “when I was at”, “in my experience”)",
    "second_hand": "second-hand reporting markers per 1,000 words "
    "(“we heard”, “they said”, “according to”, “people are saying”)",
    "contrarian": "contrarian or first-principles markers per 1,000 words "
    "(“counterintuitive”, “most people think”, “the real reason”, “turns out”)",
    "cliches": "stock phrases per 1,000 words (“at the end of the day”, “game changer”)",
    "questions": "the host's questions per 1,000 words",
    "follow_ups": "percentage of the host's questions that probe (why, how did, what happened, "
    "give me an example, pushback)",
    "host_share_gap": "distance in percentage points of the host's share of words from 30%",
    "host_turn_words": "the host's average words per turn",
}

FORMULAS: tuple[Formula, ...] = (
    Formula(
        "insight_density",
        9.0,
        (
            Term("specifics", 0.25, 30),
            Term("first_hand", 0.6, 6),
            Term("contrarian", 0.8, 4),
            Term("fillers", -0.12, 60),
            Term("repetition", -0.25, 20),
            Term("cliches", -1.0, 4),
        ),
    ),
    Formula(
        "originality",
        -10.0,
        (
            Term("diversity", 0.3, 80),
            Term("contrarian", 2.0, 4),
            Term("first_hand", 0.4, 6),
            Term("cliches", -1.5, 4),
        ),
    ),
    Formula(
        "guest_caliber",
        8.5,
        (
            Term("first_hand", 2.0, 6),
            Term("measures", 0.4, 10),
            Term("second_hand", -2.0, 3),
            Term("fillers", -0.05, 100),
        ),
    ),
    Formula(
        "specificity_evidence",
        0.0,
        (
            Term("specifics", 0.25, 40),
            Term("measures", 0.8, 10),
        ),
    ),
    Formula(
        "conversational_craft",
        9.0,
        (
            Term("questions", 0.6, 10),
            Term("follow_ups", 0.06, 60),
            Term("host_share_gap", -0.15, 40),
            Term("host_turn_words", -0.03, 150),
        ),
    ),
)
FORMULAS_BY_KEY = {f.dimension: f for f in FORMULAS}


@dataclass
class Sentence:
    text: str
    speaker: str
    segment: int
    words: int


def split_sentences(segments: list[dict]) -> list[Sentence]:
    """The transcript's sentences, each with its speaker and segment."""
    sentences = []
    for index, segment in enumerate(segments):
        for part in _SENTENCE_END.split((segment.get("text") or "").strip()):
            part = part.strip()
            if part:
                sentences.append(Sentence(part, segment.get("speaker") or "", index, 0))
    for sentence in sentences:
        sentence.words = count_words(sentence.text)
    return sentences


def is_question(sentence: str) -> bool:
    """A real question, not a tag such as "..., right?"."""
    return sentence.endswith("?") and not _TAG_QUESTION.search(sentence)


def _per_1k(count: float, words: int) -> float:
    return 1000 * count / words if words else 0.0


def _entities(sentence: str) -> list[str]:
    """Capitalised words that are not the sentence's first word or a common opener."""
    tokens = _TOKEN.findall(sentence)
    return [
        t
        for position, t in enumerate(tokens)
        if position > 0 and t[0].isupper() and t.lower().strip("$€£%") not in COMMON_CAPS
    ]


def _mattr(words: list[str], window: int = 100) -> float:
    """Moving-average type-token ratio: vocabulary variety independent of length."""
    if len(words) <= window:
        return len(set(words)) / len(words) if words else 0.0
    counts = Counter(words[:window])
    total = len(counts)
    for i in range(window, len(words)):
        counts[words[i]] += 1
        leaving = words[i - window]
        counts[leaving] -= 1
        if not counts[leaving]:
            del counts[leaving]
        total += len(counts)
    return total / (len(words) - window + 1) / window


def _host(sentences: list[Sentence]) -> str | None:
    """The speaker who asks the most questions (the first to speak, on a tie)."""
    asked = Counter(s.speaker for s in sentences if is_question(s.text))
    speakers = list(dict.fromkeys(s.speaker for s in sentences))
    if len(speakers) < 2:
        return None
    if not asked:
        return speakers[0]
    order = {label: i for i, label in enumerate(speakers)}
    return min(asked, key=lambda label: (-asked[label], order[label]))


def measure(segments: list[dict]) -> dict[str, float]:
    """The transcript features the formulas read (see FEATURES)."""
    sentences = split_sentences(segments)
    text = " ".join(s.get("text") or "" for s in segments)
    words = quote_words(text)
    total = len(words) or 1
    tokens = [t.lower() for t in _TOKEN.findall(text)]

    numbers = sum(1 for t in tokens if _DIGITS.search(t) or t in NUMBER_WORDS)
    measures = sum(1 for t in tokens if t in MEASURE_WORDS or t[0] in "$€£" or t.endswith("%"))
    entity_mentions = Counter(e for s in sentences for e in _entities(s.text))
    entities = sum(min(n, 3) for n in entity_mentions.values())

    trigrams = list(zip(words, words[1:], words[2:], strict=False))
    repeated = len(trigrams) - len(set(trigrams))

    host = _host(sentences)
    host_sentences = [s for s in sentences if s.speaker == host]
    host_questions = [s for s in host_sentences if is_question(s.text)]
    host_words = sum(s.words for s in host_sentences)
    host_turns = sum(
        1
        for i, seg in enumerate(segments)
        if (seg.get("speaker") or "") == host
        and (i == 0 or (segments[i - 1].get("speaker") or "") != host)
    )
    return {
        "words": len(words),
        "specifics": _per_1k(numbers + measures + entities, total),
        "measures": _per_1k(measures, total),
        "fillers": _per_1k(sum(f["count"] for f in filler_counts(segments)), total),
        "repetition": 100 * repeated / len(trigrams) if trigrams else 0.0,
        "diversity": 100 * _mattr(words),
        "first_hand": _per_1k(len(FIRST_HAND.findall(text)), total),
        "second_hand": _per_1k(len(SECOND_HAND.findall(text)), total),
        "contrarian": _per_1k(len(CONTRARIAN.findall(text)), total),
        "cliches": _per_1k(len(CLICHE.findall(text)), total),
        "questions": _per_1k(len(host_questions), total) if host else 0.0,
        "follow_ups": (
            100 * sum(1 for q in host_questions if FOLLOW_UP.match(q.text)) / len(host_questions)
            if host_questions
            else 0.0
        ),
        "host_share_gap": abs(100 * host_words / total - 30) if host else 30.0,
        "host_turn_words": host_words / host_turns if host_turns else 0.0,
    }


RATIONALES = {
    "insight_density": "{specifics:.0f} specifics and {fillers:.0f} filler words per 1,000 "
    "words; {repetition:.0f}% of three-word phrases repeat earlier ones.",
    "originality": "Vocabulary variety of {diversity:.0f}%, {contrarian:.1f} contrarian or "
    "first-principles markers and {cliches:.1f} stock phrases per 1,000 words.",
    "guest_caliber": "{first_hand:.1f} first-hand experience markers against {second_hand:.1f} "
    "second-hand reports per 1,000 words.",
    "specificity_evidence": "{specifics:.0f} numbers, figures and names per 1,000 words, "
    "{measures:.1f} of them money, percentages or business metrics.",
    "conversational_craft": "The host asks {questions:.1f} questions per 1,000 words, "
    "{follow_ups:.0f}% of them probing, in turns of {host_turn_words:.0f} words on average.",
}
NOTE = (
    "Scored by the offline baseline scorer from transcript features (formulas on the "
    "methodology page); no language model read this episode."
)
_LEADING_TIC = re.compile(
    r"^(?:(?:so|and|but|yeah|well|um|uh|ah|okay|oh|like|right|now)\b[,.]?\s+)+", re.IGNORECASE
)
_INNER_TIC = re.compile(r",?\s+\b(?:uh|um|ah|er|erm)\b,?(?=\s)", re.IGNORECASE)
QUOTE_MIN_WORDS, QUOTE_MAX_WORDS = 8, 45


def _sentence_signals(sentence: Sentence) -> dict[str, float]:
    tokens = [t.lower() for t in _TOKEN.findall(sentence.text)]
    numbers = sum(1 for t in tokens if _DIGITS.search(t) or t in NUMBER_WORDS)
    measures = sum(1 for t in tokens if t in MEASURE_WORDS or t[0] in "$€£" or t.endswith("%"))
    fillers = sum(f["count"] for f in filler_counts([{"text": sentence.text}]))
    return {
        "specifics": numbers + measures + 0.5 * len(set(_entities(sentence.text))),
        "measures": measures,
        "first_hand": len(FIRST_HAND.findall(sentence.text)),
        "contrarian": len(CONTRARIAN.findall(sentence.text)),
        "fillers": fillers,
        "question": 1.0 if is_question(sentence.text) else 0.0,
        "follow_up": 1.0 if FOLLOW_UP.match(sentence.text) else 0.0,
    }


# How each dimension ranks candidate quotes: evidence of what the dimension rewards.
def _quote_weight(key: str, s: dict[str, float], by_host: bool) -> float:
    if key == "conversational_craft":
        return (3 * s["question"] + 2 * s["follow_up"] - 0.5 * s["fillers"]) if by_host else -1
    if s["question"]:
        return -1
    guest = 0.0 if by_host else 1.0
    if key == "insight_density":
        return s["specifics"] + 2 * s["first_hand"] + 2 * s["contrarian"] - s["fillers"] + guest
    if key == "originality":
        return 4 * s["contrarian"] + s["first_hand"] - s["fillers"] + guest
    if key == "guest_caliber":
        return (4 * s["first_hand"] + s["measures"] - s["fillers"]) if not by_host else -1
    return 2 * s["measures"] + s["specifics"] - s["fillers"] + guest


def _keywords(sentences: list[Sentence]) -> Counter:
    words = (w for s in sentences for w in quote_words(s.text))
    return Counter(w for w in words if w not in STOPWORDS and len(w) > 2 and not w.isdigit())


def _tidy(sentence: str) -> str:
    """A spoken sentence made readable as a takeaway: leading and inner tics removed."""
    text = _INNER_TIC.sub("", _LEADING_TIC.sub("", sentence)).strip()
    return text[:1].upper() + text[1:]


# Words that are evidence but not subjects: units of time and count, and vague verbs.
NOT_TOPICS = (
    NUMBER_WORDS
    | MEASURE_WORDS
    | wordset(
        "day days week weeks month months year years hour hours minute minutes second seconds "
        "feel felt job jobs lot part kind way place case ones net minus plus per percent "
        "thank thanks welcome show episode podcast guest host today week yesterday tomorrow "
        "question questions answer talk talking call called calls number numbers"
    )
)


TOPIC_WORD_PATTERN = r"[^\W\d_]+(?:['’-][^\W\d_]+)*"


def _topic_word(token: str) -> bool:
    lower = token.lower()
    return (
        lower not in STOPWORDS and lower not in NOT_TOPICS and (len(token) > 2 or token.isupper())
    )


def _topic_key(word: str) -> str:
    """Singular-ish lower case, so "costs" and "Cost" are one topic."""
    word = word.lower()
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def topics_of(sentences: list[Sentence], limit: int = 6) -> list[str]:
    """The transcript's key phrases: repeated two-word phrases first, then frequent words."""
    words: Counter = Counter()
    pairs: Counter = Counter()
    spellings: dict[str, Counter] = {}
    # People are not topics: the speakers' names come up whenever they address each other.
    names = {
        _topic_key(part)
        for speaker in {sentence.speaker for sentence in sentences}
        for part in re.findall(TOPIC_WORD_PATTERN, speaker or "")
    }
    for sentence in sentences:
        tokens = re.findall(TOPIC_WORD_PATTERN, sentence.text)
        content = [t if _topic_word(t) and _topic_key(t) not in names else None for t in tokens]
        for t in content:
            if t:
                words[_topic_key(t)] += 1
                spellings.setdefault(_topic_key(t), Counter())[t] += 1
        for a, b in itertools.pairwise(content):
            if a and b and _topic_key(a) != _topic_key(b):
                key = f"{_topic_key(a)} {_topic_key(b)}"
                pairs[key] += 1
                spellings.setdefault(key, Counter())[f"{a} {b}"] += 1
    chosen: list[str] = []
    for key, count in sorted(pairs.items(), key=lambda item: (-item[1], item[0])):
        if count < 3 or len(chosen) >= limit // 2:
            break
        chosen.append(key)
    for key, count in sorted(words.items(), key=lambda item: (-item[1], item[0])):
        if count < 3 or len(chosen) >= limit:
            break
        if not any(key in c.split() for c in chosen):
            chosen.append(key)
    names = []
    for key in chosen:
        spelling = spellings[key].most_common(1)[0][0]
        names.append(spelling if any(c.isupper() for c in spelling) else spelling.title())
    return names


class BaselineEngine:
    """Scores from transcript features with published formulas; no network, no model."""

    engine = ENGINE
    model = ""
    prompt_version = VERSION

    def score(self, context: EpisodeContext) -> EngineResult:
        """Score an episode from its transcript alone."""
        features = measure(context.segments)
        sentences = split_sentences(context.segments)
        host = _host(sentences)
        index = TranscriptIndex(context.segments)
        # Introductions and sign-offs (the first and last 5% of sentences) are not evidence.
        edge = len(sentences) // 20
        candidates = [
            (i, s, _sentence_signals(s))
            for i, s in enumerate(sentences)
            if QUOTE_MIN_WORDS <= s.words <= QUOTE_MAX_WORDS and edge <= i < len(sentences) - edge
        ]
        used: set[int] = set()
        dimensions = []
        for spec in context.dimensions:
            formula = FORMULAS_BY_KEY.get(spec.key)
            score = formula.apply(features)[0] if formula else 0
            score = min(score, spec.max_score)
            quotes = self._quotes(spec.key, candidates, host, used, index)
            rationale = RATIONALES.get(spec.key, "").format(**features)
            dimensions.append(
                DimensionResult(
                    key=spec.key,
                    score=score,
                    rationale=rationale,
                    quotes=quotes,
                    needs_review=not quotes or formula is None,
                )
            )
        summary, takeaways = self._summary(sentences, candidates, host)
        return EngineResult(
            dimensions=dimensions,
            summary=summary,
            takeaways=takeaways,
            topics=topics_of(sentences),
            notes=[NOTE],
        )

    def _quotes(self, key, candidates, host, used, index) -> list[dict]:
        ranked = sorted(
            (
                (_quote_weight(key, signals, s.speaker == host), -i, i)
                for i, s, signals in candidates
                if i not in used
            ),
            reverse=True,
        )
        quotes = []
        for weight, _, i in ranked:
            if weight <= 0 or len(quotes) == 2:
                break
            match = index.find(candidates_text(candidates, i))
            if match is not None:
                used.add(i)
                quotes.append(match.as_dict())
        quotes.sort(key=lambda q: (q["start"] is None, q["start"] or 0))
        return quotes

    def _summary(self, sentences, candidates, host) -> tuple[str, list[str]]:
        keywords = _keywords(sentences)
        top = dict(keywords.most_common(25))

        def centrality(s: Sentence) -> float:
            words = quote_words(s.text)
            return sum(top.get(w, 0) for w in words) / (len(words) ** 0.5 or 1)

        statements = [(i, s, sig) for i, s, sig in candidates if not sig["question"]]
        central = sorted(
            (c for c in statements if c[1].words >= 12), key=lambda c: (-centrality(c[1]), c[0])
        )[:3]
        summary = " ".join(_tidy(s.text) for _, s, _ in sorted(central, key=lambda c: c[0]))
        in_summary = {i for i, _, _ in central}
        substantive = sorted(
            (c for c in statements if c[0] not in in_summary),
            key=lambda c: (
                -(c[2]["specifics"] + 2 * c[2]["first_hand"] + 2 * c[2]["contrarian"])
                - centrality(c[1]) / 10
                + c[2]["fillers"]
                + (3 if c[1].speaker == host else 0),
                c[0],
            ),
        )[:5]
        takeaways = [_tidy(s.text) for _, s, _ in sorted(substantive, key=lambda c: c[0])]
        return summary, takeaways


def candidates_text(candidates, position: int) -> str:
    for i, sentence, _ in candidates:
        if i == position:
            return sentence.text
    return ""
