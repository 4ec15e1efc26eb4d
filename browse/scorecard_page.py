"""What the episode scorecard page shows, assembled in a constant number of queries.

The page's costly parts (the scorecard with its quotes found again in the transcript, the
conversation analysis and the transcript itself) are rendered once and cached under a digest
of what they are made from (`fragment_key`): the current scorecard's id, the episode's newest
override row (the override log is append-only), the transcript's identity and words, and the
few episode and show values they print. A write to any of these changes the key; a write to
anything else (another episode, a ranking refresh) leaves the fragments warm, unlike the
whole-page cache, which every write empties. Like that cache they keep a rubric dimension's name
as it was when they were built (its edits send no signal) for FRAGMENT_SECONDS at most.
"""

import hashlib
import json
from functools import cache as memoize
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, OuterRef, Prefetch, Subquery
from django.template.loader import get_template, render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe

from browse.person_page import episode_people
from browse.rankings import categories
from core.absolute import absolute_url
from core.page_cache import FRAGMENT_SECONDS, carries_session
from core.paths import slug_path
from core.prepared import PreparedQuery
from episodes.models import Episode, Topic
from people.models import Appearance
from scoring.effective import apply_overrides, band
from scoring.models import DimensionScore, EditorialOverride, Scorecard
from scoring.quotes import current_quotes
from shows.models import Category, ShowCategory

MORE_FROM_SHOW = 5
PAGE_TEMPLATE = "episodes/episode_detail.html"
# The template's {% partialdef %}s cached as the page's fragments.
FRAGMENTS = ("score", "noted", "analysis", "transcript")
# Transcript columns only the fragments read: the page loads them when it builds them.
TRANSCRIPT_TEXT = ("segments", "analysis")


def scorecard_episodes():
    """Public episodes with what their scorecard is read with: whether a new score is held, the
    current scorecard's id, the show, the transcript and the people whose voices it holds."""
    # Annotations rather than prefetches, so each costs no round trip: a new score held for an
    # editor's review (scoring.outliers: the page says so and shows none of its figures) and
    # the current scorecard's id.
    held = Scorecard.objects.held().filter(episode=OuterRef("pk"))
    current = Scorecard.objects.current().filter(episode=OuterRef("pk")).order_by("-created_at")
    return (
        Episode.objects.listed()
        .annotate(
            score_held=Exists(held),
            current_scorecard_id=Subquery(current.values("pk")[:1]),
        )
        .select_related("show", "transcript")
        # Only search reads them, and they are as long as the text they index.
        .defer("search_vector", "transcript__search_vector")
        .prefetch_related(
            Prefetch("appearances", queryset=public_appearances(), to_attr="public_appearances")
        )
    )


def public_appearances():
    """Appearances of visible people, with what the page and the API show of them."""
    return (
        Appearance.objects.filter(person__hidden=False)
        .select_related("person")
        .only("episode_id", "role", "speaker_label", "person__name", "person__slug")
        .order_by("person__name", "person_id", "role")
    )


def episode_page_episode(show_slug: str, slug: str):
    """The listed episode at these slugs with everything its page shows but the fragments'
    sources, or None: scorecard_episodes() with the newest override row's id (the fragments'
    key) and the show's first category, its people and topics, less the transcript's words."""
    found = _PAGE_EPISODE(show_slug, slug)
    if not found:
        return None
    episode = found[0]
    episode.public_appearances = _PUBLIC_APPEARANCES(episode.pk)
    episode.page_topics = _TOPICS(episode.pk)
    return episode


def scorecard_episode(show_slug: str, slug: str, *unread: str):
    """The listed episode at these slugs as scorecard_episodes() reads it, less the transcript's
    columns `unread`, or None: one prepared query, and its people another."""
    found = _scorecard_episode_query(unread)(show_slug, slug)
    if not found:
        return None
    episode = found[0]
    episode.public_appearances = _PUBLIC_APPEARANCES(episode.pk)
    return episode


@memoize
def _scorecard_episode_query(unread: tuple) -> PreparedQuery:
    def build(show_slug, slug):
        episodes = without_transcript_columns(scorecard_episodes, *unread)
        # Its people are a prepared query of their own (scorecard_episode).
        return episodes.prefetch_related(None).filter(show__slug=show_slug, slug=slug)[:1]

    return PreparedQuery(build, str, str)


def _page_episodes(show_slug, slug):
    newest_override = EditorialOverride.objects.filter(episode=OuterRef("pk")).order_by("-pk")
    first_category = ShowCategory.objects.filter(show=OuterRef("show")).order_by(
        *(f"category__{field}" for field in Category._meta.ordering)
    )
    return (
        scorecard_episodes()
        .annotate(
            newest_override_id=Subquery(newest_override.values("pk")[:1]),
            category_id=Subquery(first_category.values("category")[:1]),
        )
        .defer(*(f"transcript__{name}" for name in TRANSCRIPT_TEXT))
        # Its people and topics are prepared queries of their own (episode_page_episode).
        .prefetch_related(None)
        .filter(show__slug=show_slug, slug=slug)[:1]
    )


def _other_episodes(show_id, episode_id):
    return (
        Episode.objects.listed()
        .filter(show=show_id)
        .exclude(pk=episode_id)
        .order_by("-published_at", "-id")
        .values("title", "slug", "published_at", "duration_seconds", "score")[:MORE_FROM_SHOW]
    )


# Compiled once per process (core.prepared): the page's four queries took 4.4 ms of its 7 ms
# of CPU at 250k episodes, most of it turning them into SQL; 1.1 ms prepared.
_PAGE_EPISODE = PreparedQuery(_page_episodes, str, str)
_PUBLIC_APPEARANCES = PreparedQuery(
    lambda episode_id: public_appearances().filter(episode=episode_id), int
)
_TOPICS = PreparedQuery(lambda episode_id: Topic.objects.filter(episodes=episode_id), int)
_MORE_FROM_SHOW = PreparedQuery(_other_episodes, int, int)
# A scorecard's figures (the page's fragments on a miss, and the API's episode on each call).
_DIMENSION_SCORES = PreparedQuery(
    lambda scorecard_id: DimensionScore.objects.filter(scorecard=scorecard_id).select_related(
        "scorecard__rubric", "dimension"
    ),
    int,
)
_OVERRIDES = PreparedQuery(
    lambda episode_id: (
        EditorialOverride.objects.current().filter(episode=episode_id).select_related("dimension")
    ),
    int,
)


def without_transcript_columns(episodes, *transcript_fields):
    """The queryset `episodes()` with the transcript's columns `transcript_fields` deferred."""
    # A copy of one queryset built per process: resolving its subqueries took a fifth of the
    # page's time, and the queryset depends on nothing but the code.
    return _without_transcript_columns(episodes, transcript_fields).all()


@memoize
def _without_transcript_columns(episodes, transcript_fields):
    return episodes().defer(*(f"transcript__{name}" for name in transcript_fields))


def transcript_text(episode):
    """The episode's transcript with its words and analysis loaded (one query), or None."""
    transcript = getattr(episode, "transcript", None)
    if transcript is not None and transcript.get_deferred_fields() & set(TRANSCRIPT_TEXT):
        transcript.refresh_from_db(fields=TRANSCRIPT_TEXT)
    return transcript


def current_scorecard(episode):
    """The episode's current scorecard and its dimension scores, in one query; (None, [])."""
    if episode.current_scorecard_id is None:
        return None, []
    dimensions = _DIMENSION_SCORES(episode.current_scorecard_id)
    if not dimensions:  # a scorecard without dimension scores: its own query
        scorecard = Scorecard.objects.select_related("rubric").get(pk=episode.current_scorecard_id)
        return scorecard, []
    scorecard = dimensions[0].scorecard
    for row in dimensions:
        row.scorecard = scorecard
    return scorecard, dimensions


def scorecard_figures(episode, transcript, voices) -> dict:
    """The current scorecard, its overrides and its effective scores, the quotes found again
    in `transcript` and named by `voices`: the page's score and the API's scorecard."""
    scorecard, dimension_scores = current_scorecard(episode)
    overrides = _OVERRIDES(episode.pk) if scorecard else []
    effective = apply_overrides(scorecard, overrides, dimension_scores) if scorecard else None
    speaker = speaker_names(transcript, voices)
    segments = transcript.segments if transcript else []
    for dimension in effective.dimensions if effective else []:
        # Found again in the transcript as it stands: an editor's correction may have changed
        # the words or who said them since the scorecard was made.
        dimension.quotes = [
            {**q, "speaker_name": speaker(q["speaker"])}
            for q in current_quotes(segments, dimension.quotes)
        ]
    return {
        "scorecard": scorecard,
        "overrides": overrides,
        "effective": effective,
        "band": band(effective.total) if effective else "",
    }


def scorecard_page_context(request, episode) -> dict:
    """Everything the page shows, computed: the fragments' source."""
    transcript = transcript_text(episode)
    _, voices = episode_people(episode.public_appearances)
    figures = scorecard_figures(episode, transcript, voices)
    scorecard, effective = figures["scorecard"], figures["effective"]
    analysis = conversation_analysis(transcript, voices)
    return {
        **page_context(request, episode),
        **figures,
        "transcript": transcript,
        "speaker_shares": analysis["speakers"],
        "fillers": analysis["fillers"],
        "segments": named_segments(transcript, voices),
        # Wording that matches the engine, and the bars' own sum under a total override.
        "scored_by": scored_by(scorecard),
        "dimension_sum": sum(d.score for d in effective.dimensions) if effective else None,
    }


def page_context(request, episode) -> dict:
    """What the page shows around its fragments: read afresh for every view."""
    people, _ = episode_people(episode.public_appearances)
    return {
        "episode": episode,
        "show": episode.show,
        # Each shown more than once: reversed once.
        "episode_url": episode.get_absolute_url(),
        "show_url": episode.show.get_absolute_url(),
        "people": people,
        "og_image": episode.show.artwork_url,
        # Read when the page's template reaches it: building the fragments does not.
        "more_from_show": SimpleLazyObject(lambda: more_from_show(episode)),
        "category": next((c for c in categories() if c.pk == episode.category_id), None),
        "topics": episode.page_topics,
        "review_url": staff_review_url(request, episode),
        "score_held": getattr(episode, "score_held", False),
    }


def episode_page_context(request, episode) -> dict:
    """The episode page's context: its fragments cached under what they show, the rest fresh."""
    # Editors always get them afresh (as whole pages): a scorecard changed in place, outside the
    # pipeline's new rows, shows to them at once and to visitors within FRAGMENT_SECONDS.
    keep = not carries_session(request)
    key = fragment_key(episode) if keep else None
    fragments = cache.get(key) if keep else None
    if fragments is None:
        fragments = build_fragments(request, episode)
        if keep:
            cache.set(key, fragments, FRAGMENT_SECONDS)
    total, summary = fragments["total"], fragments["summary"]
    around = page_context(request, episode)
    return {
        **around,
        "fragments": {name: mark_safe(fragments[name]) for name in FRAGMENTS},  # noqa: S308
        "scored": total is not None,
        "total": total,
        "summary": summary,
        "transcript": getattr(episode, "transcript", None),
        "jsonld": episode_jsonld(
            episode, total, summary, around["episode_url"], around["show_url"]
        ),
    }


def build_fragments(request, episode) -> dict:
    """The page's fragments rendered afresh, with the figures the page's head repeats."""
    context = scorecard_page_context(request, episode)
    effective = context["effective"]
    return {
        **{
            name: render_to_string(f"{PAGE_TEMPLATE}#{name}", context, request)
            for name in FRAGMENTS
        },
        "total": effective.total if effective else None,
        "summary": context["scorecard"].summary if effective else "",
    }


def fragment_key(episode) -> str:
    """The cache key of an episode's fragments: a digest of everything they are made from."""
    transcript = getattr(episode, "transcript", None)
    values = [
        episode.pk,
        episode.current_scorecard_id,
        episode.newest_override_id,
        episode.duration_seconds,
        episode.show.title,
        # The people whose voices the quotes, shares and transcript name and link to.
        sorted(
            (label, person.pk, person.name, person.slug)
            for label, person in episode_people(episode.public_appearances)[1].items()
        ),
        [
            transcript.pk,
            transcript.updated_at.isoformat(),
            transcript.content_hash,
            transcript.speaker_names,
        ]
        if transcript
        else None,
        settings.SITE_NAME,
        fragment_salt(),
    ]
    digest = hashlib.blake2b(json.dumps(values, default=str).encode(), digest_size=16)
    return f"podindex:episode-fragments:{digest.hexdigest()}"


@memoize
def fragment_salt() -> str:
    """A digest of the page's template and of this module: a new release builds anew."""
    sources = [Path(get_template(PAGE_TEMPLATE).origin.name), Path(__file__)]
    return hashlib.blake2b(b"".join(p.read_bytes() for p in sources), digest_size=8).hexdigest()


def speaker_names(transcript, voices=None):
    """label → the name a speaker is shown by: the person whose voice it is (`voices`, from
    episode_people), else the transcript's own name for it."""
    voices = voices or {}
    display_name = transcript.display_name if transcript else str

    def name(label):
        return voices[label].name if label in voices else display_name(label)

    return name


def conversation_analysis(transcript, voices=None) -> dict:
    """Who did the talking (word shares, with the names shown and, where the voice is a
    person's, that person) and the filler-word counts."""
    analysis = transcript.analysis if transcript else {}
    voices = voices or {}
    name = speaker_names(transcript, voices)
    return {
        "speakers": [
            {**row, "name": name(row["label"]), "person": voices.get(row["label"])}
            for row in analysis.get("speakers", [])
        ],
        "fillers": analysis.get("fillers", []),
    }


def named_segments(transcript, voices=None) -> list[dict]:
    """A transcript's segments, each with the name its speaker is shown by (and the person,
    where the voice is known to be theirs)."""
    if transcript is None:
        return []
    voices = voices or {}
    name = speaker_names(transcript, voices)
    return [
        {
            **segment,
            "name": name(segment.get("speaker", "")),
            "person": voices.get(segment.get("speaker", "")),
        }
        for segment in transcript.segments
    ]


def scored_by(scorecard) -> str:
    """Who produced the scores readers see before any correction."""
    if scorecard is None:
        return ""
    return "Our baseline scorer" if scorecard.is_baseline else "Our model"


def staff_review_url(request, episode) -> str:
    """The editors' review screen, for staff only.

    Only a request that carries a session can be staff, and core.page_cache neither serves nor
    stores those: a page with the link is never cached, and checking the user of a request
    without a session (which would mark the page "Vary: Cookie") never happens.
    """
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return ""
    user = getattr(request, "user", None)
    if user is None or not user.is_active or not user.is_staff:
        return ""
    try:
        return reverse("admin:episodes_episode_review", args=[episode.pk])
    except NoReverseMatch:  # the editors' desk is not installed
        return ""


def more_from_show(episode) -> list[dict]:
    """The show's latest other episodes: their titles, URLs, dates, durations and scores."""
    rows = _MORE_FROM_SHOW(episode.show_id, episode.pk)
    for row in rows:
        # Episode.get_absolute_url's URL, without an Episode (rows are dicts: half the cost).
        row["url"] = slug_path("episodes:detail", show_slug=episode.show.slug, slug=row["slug"])
    return rows


def episode_jsonld(
    episode, total: int | None, summary: str, episode_url: str, show_url: str
) -> dict:
    """schema.org PodcastEpisode, with our substance score (if any) as a review rating;
    `episode_url` and `show_url` are the episode's and its show's paths."""
    show = episode.show
    data = {
        "@context": "https://schema.org",
        "@type": "PodcastEpisode",
        "name": episode.title,
        # From SITE_URL, not the request: the page is cached for every visitor.
        "url": absolute_url(episode_url),
        "partOfSeries": {
            "@type": "PodcastSeries",
            "name": show.title,
            "url": absolute_url(show_url),
        },
    }
    if episode.published_at:
        data["datePublished"] = episode.published_at.date().isoformat()
    if episode.duration_seconds:
        data["timeRequired"] = f"PT{max(1, round(episode.duration_seconds / 60))}M"
    if episode.audio_url:
        data["associatedMedia"] = {
            "@type": "MediaObject",
            "contentUrl": absolute_url(episode.audio_url),
        }
    if total is not None:
        data["description"] = summary
        data["review"] = {
            "@type": "Review",
            "author": {"@type": "Organization", "name": settings.SITE_NAME},
            "reviewRating": {
                "@type": "Rating",
                "ratingValue": total,
                "bestRating": 100,
                "worstRating": 0,
            },
        }
    return data
