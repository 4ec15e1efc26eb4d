"""Scoring one episode end to end: engine, checks, one transaction, denormalised figures.

A run is recorded before anything else happens, so every attempt, failed or not, is visible in
the admin with what it cost. A failed run never touches the current scorecard or overrides.
"""

import html
import logging
import time

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.html import strip_tags

from episodes.models import Episode, Transcript
from episodes.transcripts.analysis import segments_hash
from scoring import budget
from scoring.engines import (
    BudgetExceeded,
    DimensionSpec,
    EngineResult,
    EpisodeContext,
    ScoringError,
    get_engine,
)
from scoring.engines.llm import ENGINE as LLM_ENGINE
from scoring.models import DimensionScore, Rubric, Scorecard, ScoringRun
from scoring.outliers import reasons_to_hold
from scoring.services import scores_changed
from scoring.topics import existing_topics, topic_named

logger = logging.getLogger(__name__)

# Fewer words than this is a trailer or a broken transcript, not an episode to judge.
MIN_WORDS = 50


def run_scoring(episode_id: int, *, force: bool = False) -> ScoringRun:
    """Score an episode with the configured engine and record the run; never raises on bad input."""
    episode = Episode.objects.select_related("show").get(pk=episode_id)
    rubric = Rubric.objects.active().prefetch_related("dimensions").first()
    if rubric is None:
        raise ImproperlyConfigured("No active rubric: publish one in the admin before scoring.")
    engine = get_engine()
    run = ScoringRun.objects.create(
        episode=episode,
        engine=engine.engine,
        model=engine.model,
        rubric_version=rubric.version,
        prompt_version=engine.prompt_version,
    )
    transcript = Transcript.objects.filter(episode=episode).first()
    if transcript is None or not transcript.segments:
        return _finish(run, ScoringRun.Outcome.NO_TRANSCRIPT, "The episode has no transcript.")
    if transcript.content_hash != segments_hash(transcript.segments) or not transcript.analysis:
        transcript.save()  # recomputes hash, word count and conversation analysis

    current = Scorecard.objects.filter(episode=episode, rubric=rubric, is_current=True).first()
    # A score held for review (or rejected) is an answer to the same question too: asking
    # again would pay for it again, and a worker retrying pending episodes would loop.
    decided = Scorecard.objects.decided().filter(episode=episode, is_current=False)
    if current is not None:
        decided = decided.filter(created_at__gt=current.created_at)
    decided = decided.order_by("-created_at", "-pk").first()
    for known in (current, decided):
        if not force and known and _unchanged(known, transcript, engine):
            run.scorecard = known
            _finish(run, ScoringRun.Outcome.CACHED)
            scores_changed([episode.pk])
            return run
    if transcript.word_count < MIN_WORDS:
        return _finish(
            run,
            ScoringRun.Outcome.FAILED,
            f"The transcript has {transcript.word_count} words; at least {MIN_WORDS} are needed.",
        )

    # Only a paid model spends the budget; the show's share is checked before the call.
    refusal = budget.show_refusal(episode.show) if engine.engine == LLM_ENGINE else ""
    if refusal:
        return _finish(run, ScoringRun.Outcome.BUDGET, refusal)
    started = time.monotonic()
    try:
        context = build_context(episode, transcript, rubric)
        result = engine.score(context)
    except BudgetExceeded as exc:
        return _finish(run, ScoringRun.Outcome.BUDGET, str(exc), usage=exc.usage)
    except ScoringError as exc:
        return _finish(run, ScoringRun.Outcome.FAILED, str(exc), usage=exc.usage)
    except Exception as exc:
        # An engine bug must not take the worker down or leave the run "running" forever.
        logger.exception("Scoring episode %s crashed", episode.pk)
        return _finish(run, ScoringRun.Outcome.FAILED, f"{type(exc).__name__}: {exc}")
    if not result.usage.latency_ms:
        result.usage.latency_ms = round(1000 * (time.monotonic() - started))

    with transaction.atomic():
        # Serialise concurrent scorings of one episode: one current scorecard at a time.
        Episode.objects.select_for_update().filter(pk=episode.pk).exists()
        held = reasons_to_hold(episode, rubric, engine.engine, result, context)
        if held:
            result.usage.warnings.append("Held for an editor's review: " + " ".join(held))
        scorecard = _write_scorecard(episode, rubric, transcript, engine, result, held=held)
        run.scorecard = scorecard
        _finish(run, ScoringRun.Outcome.OK, usage=result.usage)
    scores_changed([episode.pk])
    return run


def _unchanged(scorecard: Scorecard, transcript: Transcript, engine) -> bool:
    """Whether re-scoring would ask the same question of the same engine about the same words."""
    return (
        scorecard.transcript_hash == transcript.content_hash
        and scorecard.engine == engine.engine
        and scorecard.model == engine.model
        and scorecard.prompt_version == engine.prompt_version
    )


def build_context(episode: Episode, transcript: Transcript, rubric: Rubric) -> EpisodeContext:
    """What the engine may read: transcript, episode metadata and the rubric's dimensions."""
    people = [p for p in episode.people or [] if isinstance(p, dict) and p.get("name")]
    guests = [p["name"] for p in people if (p.get("role") or "").lower() == "guest"]
    hosts = [p["name"] for p in people if (p.get("role") or "host").lower() == "host"]
    if not hosts and episode.show.author:
        hosts = [episode.show.author]
    return EpisodeContext(
        title=episode.title,
        show_title=episode.show.title,
        segments=transcript.segments,
        dimensions=[
            DimensionSpec(d.key, d.name, d.description, d.max_score)
            for d in rubric.dimensions.all()
        ],
        notes=html.unescape(strip_tags(episode.notes_html or "")).strip(),
        guests=guests,
        hosts=hosts,
        speaker_names=transcript.names,
        duration_seconds=episode.duration_seconds,
    )


def _write_scorecard(
    episode, rubric, transcript, engine, result: EngineResult, held: list[str] = ()
) -> Scorecard:
    """The new scorecard: current, or held for review (not current) when `held` says why."""
    # A newer score replaces one still waiting for an editor.
    Scorecard.objects.filter(episode=episode, rubric=rubric, hold=Scorecard.Hold.HELD).update(
        hold=Scorecard.Hold.SUPERSEDED
    )
    if not held:
        Scorecard.objects.filter(episode=episode, rubric=rubric, is_current=True).update(
            is_current=False
        )
    usage = result.usage
    scorecard = Scorecard.objects.create(
        episode=episode,
        rubric=rubric,
        is_current=not held,
        hold=Scorecard.Hold.HELD if held else Scorecard.Hold.NONE,
        held_reasons=list(held),
        held_topics=list(result.topics) if held else [],
        held_at=timezone.now() if held else None,
        engine=engine.engine,
        model=engine.model,
        prompt_version=engine.prompt_version,
        total=result.total,
        summary=result.summary,
        takeaways=result.takeaways,
        guests=result.guests,
        notes=result.notes,
        transcript_hash=transcript.content_hash,
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        cost_usd=usage.cost_usd,
        latency_ms=usage.latency_ms,
        quotes_dropped=result.quotes_dropped,
        needs_review=result.needs_review,
    )
    by_key = {d.key: d for d in rubric.dimensions.all()}
    DimensionScore.objects.bulk_create(
        DimensionScore(
            scorecard=scorecard,
            dimension=by_key[d.key],
            score=d.score,
            rationale=d.rationale,
            quotes=d.quotes,
            needs_review=d.needs_review,
            clamped=d.clamped,
        )
        for d in result.dimensions
    )
    if held:
        # Topic pages and the sitemap list every topic: a held scorecard creates none (its
        # names wait in held_topics until it is released) and touches no episode's topics.
        scorecard.topics.set(existing_topics(result.topics))
        return scorecard
    topics = [t for t in (topic_named(name) for name in result.topics) if t is not None]
    scorecard.topics.set(topics)
    episode.topics.set(topics)
    return scorecard


def _finish(run: ScoringRun, outcome: str, error: str = "", usage=None) -> ScoringRun:
    run.outcome = outcome
    run.error = error
    run.finished_at = timezone.now()
    if usage is not None:
        run.prompt_tokens = usage.prompt_tokens
        run.completion_tokens = usage.completion_tokens
        run.cost_usd = usage.cost_usd
        run.latency_ms = usage.latency_ms
        run.attempts = usage.attempts
        run.retries = usage.retries
        run.warnings = usage.warnings
    run.save()
    if outcome == ScoringRun.Outcome.FAILED:
        logger.warning("Scoring episode %s failed: %s", run.episode_id, error)
    return run
