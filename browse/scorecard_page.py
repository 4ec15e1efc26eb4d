"""What the episode scorecard page shows, assembled in a constant number of queries."""

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch
from django.urls import NoReverseMatch, reverse

from browse.person_page import episode_people
from core.absolute import absolute_url
from episodes.models import Episode
from people.models import Appearance
from scoring.effective import apply_overrides, band
from scoring.models import DimensionScore, EditorialOverride, Scorecard
from scoring.quotes import current_quotes

MORE_FROM_SHOW = 5


def scorecard_page_episodes():
    """Public episodes with everything their page needs prefetched."""
    # A new score held for an editor's review (scoring.outliers): the page says so, and shows
    # none of its figures. An annotation, so the page's query count does not grow.
    held = Scorecard.objects.held().filter(episode=OuterRef("pk"))
    return (
        Episode.objects.listed()
        .annotate(score_held=Exists(held))
        .select_related("show", "transcript")
        .prefetch_related(
            "show__categories",
            "topics",
            Prefetch(
                "scorecards",
                queryset=Scorecard.objects.current()
                .select_related("rubric")
                .prefetch_related(
                    Prefetch(
                        "dimensions",
                        queryset=DimensionScore.objects.select_related("dimension"),
                    )
                ),
                to_attr="current_scorecards",
            ),
            Prefetch(
                "overrides",
                queryset=EditorialOverride.objects.current().select_related("dimension"),
                to_attr="active_overrides",
            ),
            Prefetch(
                "appearances",
                queryset=Appearance.objects.filter(person__hidden=False)
                .select_related("person")
                .only("episode_id", "role", "speaker_label", "person__name", "person__slug")
                .order_by("person__name", "person_id", "role"),
                to_attr="public_appearances",
            ),
        )
    )


def scorecard_page_context(request, episode) -> dict:
    """The template context of an episode fetched with scorecard_page_episodes()."""
    scorecard = episode.current_scorecards[0] if episode.current_scorecards else None
    effective = apply_overrides(scorecard, episode.active_overrides) if scorecard else None
    transcript = getattr(episode, "transcript", None)
    people, voices = episode_people(episode.public_appearances)
    speaker = speaker_names(transcript, voices)
    segments = transcript.segments if transcript else []
    for dimension in effective.dimensions if effective else []:
        # Found again in the transcript as it stands: an editor's correction may have changed
        # the words or who said them since the scorecard was made.
        dimension.quotes = [
            {**q, "speaker_name": speaker(q["speaker"])}
            for q in current_quotes(segments, dimension.quotes)
        ]
    analysis = conversation_analysis(transcript, voices)
    categories = list(episode.show.categories.all())
    return {
        "episode": episode,
        "show": episode.show,
        "scorecard": scorecard,
        "effective": effective,
        "band": band(effective.total) if effective else "",
        "transcript": transcript,
        "speaker_shares": analysis["speakers"],
        "fillers": analysis["fillers"],
        "segments": named_segments(transcript, voices),
        "people": people,
        "jsonld": episode_jsonld(request, episode, effective, scorecard),
        "og_image": episode.show.artwork_url,
        "more_from_show": more_from_show(episode),
        "category": categories[0] if categories else None,
        "topics": episode.topics.all(),
        # Wording that matches the engine, and the bars' own sum under a total override.
        "scored_by": scored_by(scorecard),
        "dimension_sum": sum(d.score for d in effective.dimensions) if effective else None,
        "review_url": staff_review_url(request, episode),
        "score_held": getattr(episode, "score_held", False),
    }


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


def more_from_show(episode):
    """The show's latest other episodes."""
    return (
        Episode.objects.listed()
        .filter(show=episode.show)
        .exclude(pk=episode.pk)
        .only("title", "slug", "published_at", "duration_seconds", "score", "show__slug")
        .select_related("show")
        .order_by("-published_at", "-id")[:MORE_FROM_SHOW]
    )


def episode_jsonld(request, episode, effective, scorecard) -> dict:
    """schema.org PodcastEpisode, with our substance score as a review rating."""
    show = episode.show
    data = {
        "@context": "https://schema.org",
        "@type": "PodcastEpisode",
        "name": episode.title,
        # From SITE_URL, not the request: the page is cached for every visitor.
        "url": absolute_url(episode.get_absolute_url()),
        "partOfSeries": {
            "@type": "PodcastSeries",
            "name": show.title,
            "url": absolute_url(show.get_absolute_url()),
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
    if scorecard and effective:
        data["description"] = scorecard.summary
        data["review"] = {
            "@type": "Review",
            "author": {"@type": "Organization", "name": settings.SITE_NAME},
            "reviewRating": {
                "@type": "Rating",
                "ratingValue": effective.total,
                "bestRating": 100,
                "worstRating": 0,
            },
        }
    return data
