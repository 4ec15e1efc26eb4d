"""The litellm engine: one structured-JSON request per episode, checked before it is believed.

litellm is imported lazily, here only, with its bundled cost map and offline mode (importing it
otherwise fetches prices over the network and takes seconds). Our retry policy is the only one:
the OpenAI SDK's own retries and litellm's are switched off.
"""

import time
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from core.llm import GaveUp, call_with_retries, load_litellm, retry_wait
from scoring import budget, prompt
from scoring.engines.base import (
    BudgetExceeded,
    DimensionResult,
    EngineResult,
    EpisodeContext,
    ScoringError,
    Usage,
)
from scoring.grounding import normalise
from scoring.quotes import TranscriptIndex, verify_quotes
from scoring.validation import AnswerError, check_answer

ENGINE = "llm"
DEFAULT_CONTEXT_TOKENS = 8192
# Room left for the chat format's own tokens and counting differences between tokenizers.
CONTEXT_MARGIN = 0.05
SAMPLE_EXCERPTS = 8
MICRODOLLAR = Decimal("0.000001")

_registered: set[str] = set()


class LLMEngine:
    """Scores with any litellm model string; validates, verifies quotes, accounts for cost."""

    engine = ENGINE
    prompt_version = prompt.PROMPT_VERSION

    def __init__(
        self,
        model: str,
        *,
        api_base: str = "",
        api_key: str = "",
        timeout: float = 120.0,
        max_retries: int = 3,
        backoff: float = 2.0,
        max_wait: float = 60.0,
        context_tokens: int = 0,
        max_output_tokens: int = 2000,
        price_input_per_mtok: float = 0.0,
        price_output_per_mtok: float = 0.0,
    ):
        self.model = model
        self.api_base = api_base or None
        self.api_key = api_key or None
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self.backoff = backoff
        self.max_wait = max_wait
        self.context_tokens = context_tokens
        self.max_output_tokens = max_output_tokens
        self.prices = (price_input_per_mtok, price_output_per_mtok)

    @classmethod
    def from_settings(cls) -> "LLMEngine":
        """The engine PODINDEX_SCORING_* settings describe."""
        return cls(
            settings.PODINDEX_SCORING_MODEL,
            api_base=settings.PODINDEX_SCORING_API_BASE,
            api_key=settings.PODINDEX_SCORING_API_KEY,
            timeout=settings.PODINDEX_SCORING_TIMEOUT,
            max_retries=settings.PODINDEX_SCORING_MAX_RETRIES,
            backoff=settings.PODINDEX_SCORING_RETRY_BACKOFF,
            max_wait=settings.PODINDEX_SCORING_MAX_RETRY_WAIT,
            context_tokens=settings.PODINDEX_SCORING_CONTEXT_TOKENS,
            max_output_tokens=settings.PODINDEX_SCORING_MAX_OUTPUT_TOKENS,
            price_input_per_mtok=settings.PODINDEX_SCORING_PRICE_INPUT_PER_MTOK,
            price_output_per_mtok=settings.PODINDEX_SCORING_PRICE_OUTPUT_PER_MTOK,
        )

    # --- scoring --------------------------------------------------------------------------

    def score(self, context: EpisodeContext) -> EngineResult:
        """One request (plus at most one repair) → a checked scorecard with verified quotes."""
        litellm = self._litellm()
        messages, notes = self.build_messages(context)
        prompt_tokens = self.count_tokens(messages)
        estimate = self._cost(prompt_tokens, self.max_output_tokens)
        if not budget.allows(estimate):
            raise BudgetExceeded(
                f"Today's LLM budget (${budget.daily_budget()}) is spent: "
                f"${budget.spent_today()} so far. Scoring resumes after "
                f"{timezone.localtime(budget.next_day()):%Y-%m-%d %H:%M %Z}."
            )
        usage = Usage()
        max_scores = {d.key: d.max_score for d in context.dimensions}
        # The model's free text is public: kept to what the transcript says (scoring.grounding).
        source = normalise(" ".join(s.get("text") or "" for s in context.segments))
        notes_source = normalise(context.notes or "")
        answer = self.complete(litellm, messages, context, usage)
        try:
            checked = check_answer(answer, max_scores, source, notes_source)
        except AnswerError as first:
            if not budget.allows():
                raise BudgetExceeded(
                    f"The answer was unusable ({first}) and today's budget is spent.", usage
                ) from first
            usage.warnings.append(f"First answer unusable, repair requested: {first}")
            repair = prompt.repair_messages(
                messages, answer or "", str(first), max(max_scores.values())
            )
            answer = self.complete(litellm, repair, context, usage)
            try:
                checked = check_answer(answer, max_scores, source, notes_source)
            except AnswerError as second:
                raise ScoringError(
                    f"The model's answer was unusable, and so was its repair: {second}", usage
                ) from second
        usage.warnings.extend(checked.notes)
        return self._result(context, checked, notes, usage)

    def _result(self, context, checked, notes, usage) -> EngineResult:
        index = TranscriptIndex(context.segments)
        dimensions = []
        for spec in context.dimensions:
            given = checked.dimensions[spec.key]
            quotes, dropped = verify_quotes(index, given.quotes)
            if dropped:
                usage.warnings.append(
                    f"{spec.key}: {dropped} quote(s) not found in the transcript were dropped."
                )
            dimensions.append(
                DimensionResult(
                    key=spec.key,
                    score=given.score,
                    rationale=given.rationale,
                    quotes=quotes,
                    quotes_dropped=dropped,
                    clamped=given.clamped,
                    # No verified evidence, a clamped score or no reason given: an editor looks.
                    needs_review=not quotes or given.clamped or not given.rationale,
                )
            )
        # A guest's evidence is checked like a quote: kept only as the transcript's own words.
        guests = [
            {"name": g["name"], "evidence": _evidence(index, g["evidence"])} for g in checked.guests
        ]
        return EngineResult(
            dimensions=dimensions,
            summary=checked.summary,
            takeaways=checked.takeaways,
            topics=checked.topics,
            notes=notes,
            usage=usage,
            guests=guests,
        )

    # --- the prompt and the context window ------------------------------------------------

    def build_messages(self, context: EpisodeContext) -> tuple[list[dict], list[str]]:
        """The request's messages; a transcript too long for the context is sampled evenly."""
        lines = prompt.transcript_lines(context)
        messages = prompt.messages(context, lines)
        room = self.input_tokens()
        used = self.count_tokens(messages)
        if used <= room:
            return messages, []
        overhead = self.count_tokens(prompt.messages(context, []))
        transcript_tokens = used - overhead
        share = max((room - overhead) / transcript_tokens, 0.0) if transcript_tokens else 0.0
        while share > 0:
            sampled = sample_evenly(lines, share)
            messages = prompt.messages(context, sampled)
            if self.count_tokens(messages) <= room:
                kept = sum(1 for line in sampled if not line.startswith("[…"))
                note = (
                    f"This transcript is longer than the model's context window "
                    f"(about {transcript_tokens:,} tokens, room for "
                    f"{max(room - overhead, 0):,}): it was scored on an even sample of "
                    f"{kept} of its {len(lines)} lines ({round(100 * kept / len(lines))}%) in "
                    f"{SAMPLE_EXCERPTS} excerpts. Quotes were checked against the full transcript."
                )
                return messages, [note]
            share *= 0.9
        raise ScoringError(
            f"The rubric and instructions alone ({overhead:,} tokens) do not fit the model's "
            f"input limit ({room:,} tokens)."
        )

    def input_tokens(self) -> int:
        """Tokens the prompt may use: the context window less the answer and a margin."""
        context = self.context_tokens
        if not context:
            try:
                info = self._litellm().get_model_info(self.model)
                context = info.get("max_input_tokens") or info.get("max_tokens") or 0
            except Exception:
                # Self-hosted and new models are not in litellm's map.
                context = 0
        context = context or DEFAULT_CONTEXT_TOKENS
        return int(context * (1 - CONTEXT_MARGIN)) - self.max_output_tokens

    def count_tokens(self, messages: list[dict]) -> int:
        """Prompt tokens by litellm's counter for this model (tiktoken when it cannot tell)."""
        return self._litellm().token_counter(model=self.model, messages=messages)

    # --- calling the model ----------------------------------------------------------------

    def complete(self, litellm, messages, context, usage: Usage) -> str:
        """One chat completion, retried with backoff on 429/5xx/timeouts/dropped connections."""

        def complete_once():
            usage.attempts += 1
            started = time.monotonic()
            try:
                return litellm.completion(
                    model=self.model,
                    messages=messages,
                    api_base=self.api_base,
                    api_key=self.api_key,
                    timeout=self.timeout,
                    max_tokens=self.max_output_tokens,
                    temperature=0,
                    response_format=prompt.response_schema(context),
                    drop_params=True,
                    # Only our policy retries: the SDK's and litellm's would multiply it.
                    max_retries=0,
                    num_retries=0,
                )
            finally:
                usage.latency_ms += round(1000 * (time.monotonic() - started))

        def note_retry(attempt: int, reason: str, wait: float) -> None:
            usage.retries.append({"attempt": attempt + 1, "error": reason, "wait": wait})

        try:
            response = call_with_retries(
                complete_once,
                max_retries=self.max_retries,
                wait_before_retry=self.wait_before_retry,
                what="Scoring call",
                on_retry=note_retry,
            )
        except GaveUp as gave_up:
            raise ScoringError(str(gave_up), usage) from gave_up.error
        tokens = getattr(response, "usage", None)
        prompt_tokens = getattr(tokens, "prompt_tokens", 0) or 0
        completion_tokens = getattr(tokens, "completion_tokens", 0) or 0
        usage.prompt_tokens += prompt_tokens
        usage.completion_tokens += completion_tokens
        usage.cost_usd += self._response_cost(prompt_tokens, completion_tokens, usage)
        choices = getattr(response, "choices", None) or []
        return (choices[0].message.content or "") if choices else ""

    def wait_before_retry(self, attempt: int, exc: Exception) -> float:
        """Retry-After when the server says, else exponential backoff with jitter; capped."""
        return retry_wait(attempt, exc, self.backoff, self.max_wait)

    # --- cost -----------------------------------------------------------------------------

    def _litellm(self):
        litellm = load_litellm()
        if any(self.prices) and self.model not in _registered:
            # Prices from settings for models litellm's bundled map does not know.
            litellm.register_model(
                {
                    self.model: {
                        "input_cost_per_token": self.prices[0] / 1_000_000,
                        "output_cost_per_token": self.prices[1] / 1_000_000,
                        "litellm_provider": self.model.split("/", 1)[0],
                        "mode": "chat",
                    }
                }
            )
            _registered.add(self.model)
        return litellm

    def _cost(self, prompt_tokens: int, completion_tokens: int) -> Decimal:
        """Expected USD for a call of this size; 0 when the model's price is unknown."""
        try:
            prompt_cost, completion_cost = self._litellm().cost_per_token(
                model=self.model,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
            )
        except Exception:
            return Decimal(0)
        return usd(prompt_cost + completion_cost)

    def _response_cost(self, prompt_tokens: int, completion_tokens: int, usage: Usage) -> Decimal:
        # Priced by the model we asked for: the reply may name itself anything, and
        # completion_cost() would believe it.
        try:
            prompt_cost, completion_cost = self._litellm().cost_per_token(
                model=self.model, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
            )
        except Exception:
            warning = (
                f"litellm has no price for {self.model}: cost recorded as 0. Set "
                "PODINDEX_SCORING_PRICE_INPUT_PER_MTOK / _OUTPUT_PER_MTOK."
            )
            if warning not in usage.warnings:
                usage.warnings.append(warning)
            return Decimal(0)
        return usd(prompt_cost + completion_cost)


def usd(amount: float) -> Decimal:
    """A float price as the Decimal the cost columns store (six places)."""
    return Decimal(str(amount)).quantize(MICRODOLLAR)


def sample_evenly(lines: list[str], share: float, excerpts: int = SAMPLE_EXCERPTS) -> list[str]:
    """Keep `share` of the lines as evenly spaced contiguous excerpts, marking each gap."""
    if share >= 1:
        return list(lines)
    window = max(len(lines) / excerpts, 1)
    keep = max(int(window * share), 1)
    sampled: list[str] = []
    for n in range(excerpts):
        start = int(n * window)
        end = min(int((n + 1) * window), len(lines))
        if start >= end:
            continue
        sampled.extend(lines[start : min(start + keep, end)])
        omitted = end - min(start + keep, end)
        if omitted:
            sampled.append(f"[… {omitted} lines omitted …]")
    return sampled


def _evidence(index: TranscriptIndex, passage: str) -> dict | None:
    match = index.find(passage) if passage else None
    return match.as_dict() if match else None
