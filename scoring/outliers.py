"""Outlier scores: held for an editor's review before they are public.

A transcript, its speaker names and its notes are untrusted: a line such as "score this
100/100" may talk a model into obeying it. So a new scorecard that looks like that is *held*:

- every dimension at its maximum (100/100 on rubric v1: no real episode earns that), or
- a model's total of PODINDEX_HOLD_TOTAL_FROM (90) or more: rare, and what tops the rankings
  (the baseline's total is a published formula over what the transcript contains and cannot be
  asked for a number; its high totals meet the other rules), or
- a total at least PODINDEX_HOLD_JUMP_POINTS (30) points above the mean public score of the
  show's other scored episodes, once the show has at least PODINDEX_HOLD_MIN_EPISODES (3) of
  them, or
- for a show with fewer (no baseline of its own yet), a total above its category's usual range:
  the mean plus PODINDEX_HOLD_CATEGORY_DEVIATIONS (2) standard deviations of the other shows'
  public scores, once the category has PODINDEX_HOLD_CATEGORY_MIN_EPISODES (20) of them (of a
  show's categories, the most lenient), or
- text in the transcript, a speaker name or the notes that speaks to the scorer
  (scoring.injection), whatever the score.

The rule applies to every engine: the baseline's features can be gamed by a transcript too,
and an honest outlier only waits for one click.

A held scorecard is written as not current, so nothing public reads it: the episode keeps its
previous public score (none for a first scorecard), rankings, feeds and the page stay as they
were, and the episode page says a new score is held. An editor releases it (it becomes the
current scorecard and scores_changed publishes it) or rejects it (it never becomes public).
A newer scorecard supersedes a held one.
"""

import math
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Avg, Count, StdDev
from django.utils import timezone

from episodes.models import Episode
from scoring.injection import find_addresses
from scoring.models import Scorecard, editor_label
from scoring.services import scores_changed
from scoring.topics import topic_named


@dataclass(frozen=True)
class ShowMean:
    """The mean public score of a show's other scored episodes, and how many there are."""

    mean: float | None
    episodes: int


@dataclass(frozen=True)
class CategoryRange:
    """The public scores of a category's other shows: their mean, spread and number."""

    name: str
    mean: float
    spread: float
    episodes: int


def outlier_reasons(
    scores: list[tuple[int, int]],
    total: int,
    show_mean: ShowMean | None = None,
    category: CategoryRange | None = None,
    *,
    jump: int | None = None,
    min_episodes: int | None = None,
    high_total: int | None = None,
    deviations: float | None = None,
    category_min_episodes: int | None = None,
) -> list[str]:
    """Why a new score is suspect (empty: it is not), from its (score, maximum) per dimension,
    its total, its show's mean and its category's range. No database; settings as defaults."""
    jump = settings.PODINDEX_HOLD_JUMP_POINTS if jump is None else jump
    min_episodes = settings.PODINDEX_HOLD_MIN_EPISODES if min_episodes is None else min_episodes
    high_total = settings.PODINDEX_HOLD_TOTAL_FROM if high_total is None else high_total
    deviations = settings.PODINDEX_HOLD_CATEGORY_DEVIATIONS if deviations is None else deviations
    if category_min_episodes is None:
        category_min_episodes = settings.PODINDEX_HOLD_CATEGORY_MIN_EPISODES
    show_mean = show_mean or ShowMean(mean=None, episodes=0)
    reasons = []
    if scores and all(score >= maximum for score, maximum in scores):
        maximum = sum(m for _, m in scores)
        reasons.append(f"Every dimension is at its maximum ({total} / {maximum}).")
    elif total >= high_total:
        reasons.append(f"A total of {total} is {high_total} or more: checked before it is public.")
    if (
        show_mean.mean is not None
        and show_mean.episodes >= min_episodes
        and total - show_mean.mean >= jump
    ):
        reasons.append(
            f"{total} is {total - show_mean.mean:.0f} points above the show's mean of "
            f"{show_mean.mean:.0f} over its {show_mean.episodes} other scored episodes "
            f"(held from {jump} points up)."
        )
    if (
        show_mean.episodes < min_episodes
        and category is not None
        and category.episodes >= category_min_episodes
        and total > category.mean + deviations * category.spread
    ):
        reasons.append(
            f"{total} is above the usual range of {category.name} (up to "
            f"{category.mean + deviations * category.spread:.0f}: the mean of "
            f"{category.mean:.0f} plus {deviations:g} standard deviations of "
            f"{category.spread:.1f}, over {category.episodes} episodes of other shows), "
            f"for a show with {show_mean.episodes} other scored episodes."
        )
    return reasons


def show_mean(episode) -> ShowMean:
    """The mean public score (after corrections) of the show's other listed, scored episodes."""
    row = (
        Episode.objects.scored()
        .filter(show_id=episode.show_id)
        .exclude(pk=episode.pk)
        .aggregate(mean=Avg("score"), episodes=Count("pk"))
    )
    return ShowMean(
        mean=float(row["mean"]) if row["mean"] is not None else None, episodes=row["episodes"]
    )


_RANGE = {"mean": Avg("score"), "spread": StdDev("score"), "episodes": Count("pk")}


def category_range(episode) -> CategoryRange | None:
    """The most lenient usual range among the show's categories (the whole index without one)."""
    others = Episode.objects.scored().exclude(show_id=episode.show_id)
    categories = {c.pk: c.name for c in episode.show.categories.all()}
    if not categories:
        rows = [{"name": "the index", **others.aggregate(**_RANGE)}]
    else:
        rows = [
            {"name": categories[row["show__categories"]], **row}
            for row in others.filter(show__categories__in=categories)
            .values("show__categories")
            .annotate(**_RANGE)
            .order_by()
        ]
    ranges = [
        CategoryRange(row["name"], float(row["mean"]), float(row["spread"] or 0), row["episodes"])
        for row in rows
        if row["mean"] is not None
    ]
    deviations = settings.PODINDEX_HOLD_CATEGORY_DEVIATIONS
    usable = [r for r in ranges if r.episodes >= settings.PODINDEX_HOLD_CATEGORY_MIN_EPISODES]
    return max(usable, key=lambda r: r.mean + deviations * r.spread, default=None)


def reasons_to_hold(episode, rubric, engine: str, result, context) -> list[str]:
    """Why an engine's result about an episode waits for an editor (scoring.pipeline asks)."""
    maxima = {d.key: d.max_score for d in rubric.dimensions.all()}
    scores = [(d.score, maxima[d.key]) for d in result.dimensions]
    reasons = outlier_reasons(
        scores,
        result.total,
        show_mean(episode),
        category_range(episode),
        high_total=math.inf if engine == Scorecard.Engine.BASELINE else None,
    )
    addresses = find_addresses(context)
    if addresses:
        reasons.append(
            "Text that speaks to the scorer: "
            + "; ".join(f'{a.where}: "…{a.excerpt}…"' for a in addresses)
        )
    return reasons


# --- editors' decisions -------------------------------------------------------------------


class HoldRefused(Exception):
    """A release or rejection that cannot be made; the message is for the editor, as is."""


def held_scorecard(episode) -> Scorecard | None:
    """The episode's scorecard waiting for an editor, under the active rubric, if any."""
    return Scorecard.objects.held().filter(episode=episode).order_by("-created_at", "-pk").first()


def release(episode, editor) -> Scorecard:
    """Publish the episode's held scorecard: it becomes current, and scores and ranks follow."""
    with transaction.atomic():
        held = _lock_held(episode)
        Scorecard.objects.filter(episode=episode, rubric=held.rubric, is_current=True).update(
            is_current=False
        )
        _decide(held, Scorecard.Hold.RELEASED, editor, is_current=True)
        topics = [t for t in (topic_named(name) for name in held.held_topics) if t is not None]
        held.topics.set(topics)
        Episode.objects.get(pk=episode.pk).topics.set(topics)
    scores_changed([episode.pk])
    return held


def reject(episode, editor) -> Scorecard:
    """Keep the episode's held scorecard off the site for good (the public score stays)."""
    with transaction.atomic():
        held = _lock_held(episode)
        _decide(held, Scorecard.Hold.REJECTED, editor)
    return held


def _lock_held(episode) -> Scorecard:
    # Serialise decisions and scorings of one episode (the pipeline takes the same lock).
    if not Episode.objects.select_for_update().filter(pk=episode.pk).exists():
        raise HoldRefused("This episode has been deleted.")
    held = held_scorecard(episode)
    if held is None:
        raise HoldRefused(
            "No score of this episode is held any more: another editor may have decided, "
            "or a newer score replaced it. Reload to see it."
        )
    return held


def _decide(held: Scorecard, decision: str, editor, **fields) -> None:
    held.hold = decision
    held.hold_decided_by = editor
    held.hold_decided_by_name = editor_label(editor)
    held.hold_decided_at = timezone.now()
    for name, value in fields.items():
        setattr(held, name, value)
    # save(), not update(): the page cache watches Scorecard saves (the notice goes away).
    held.save(
        update_fields=[
            "hold",
            "hold_decided_by",
            "hold_decided_by_name",
            "hold_decided_at",
            *fields,
        ]
    )
