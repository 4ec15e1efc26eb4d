"""What the episode scorecard page shows, assembled in a constant number of queries."""

from django.conf import settings
from django.db.models import Prefetch

from episodes.models import Episode
from scoring.effective import apply_overrides, band
from scoring.models import DimensionScore, EditorialOverride, Scorecard

MORE_FROM_SHOW = 5


def scorecard_page_episodes():
    """Public episodes with everything their page needs prefetched."""
    return (
        Episode.objects.listed()
        .select_related("show", "transcript")
        .prefetch_related(
            "show__categories",
            "topics",
            Prefetch(
                "scorecards",
                queryset=Scorecard.objects.filter(is_current=True, rubric__is_active=True)
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
                queryset=EditorialOverride.objects.filter(is_active=True).select_related(
                    "dimension"
                ),
                to_attr="active_overrides",
            ),
        )
    )


def scorecard_page_context(request, episode) -> dict:
    """The template context of an episode fetched with scorecard_page_episodes()."""
    scorecard = episode.current_scorecards[0] if episode.current_scorecards else None
    effective = apply_overrides(scorecard, episode.active_overrides) if scorecard else None
    transcript = getattr(episode, "transcript", None)
    speaker = transcript.display_name if transcript else str
    for dimension in effective.dimensions if effective else []:
        dimension.quotes = [
            {**q, "speaker_name": speaker(q.get("speaker") or "")} for q in dimension.quotes
        ]
    analysis = transcript.analysis if transcript else {}
    categories = list(episode.show.categories.all())
    return {
        "episode": episode,
        "show": episode.show,
        "scorecard": scorecard,
        "effective": effective,
        "band": band(effective.total) if effective else "",
        "transcript": transcript,
        "speaker_shares": [
            {**row, "name": speaker(row["label"])} for row in analysis.get("speakers", [])
        ],
        "fillers": analysis.get("fillers", []),
        "segments": [
            {**segment, "name": speaker(segment.get("speaker", ""))}
            for segment in (transcript.segments if transcript else [])
        ],
        "jsonld": episode_jsonld(request, episode, effective, scorecard),
        "og_image": episode.show.artwork_url,
        "more_from_show": more_from_show(episode),
        "category": categories[0] if categories else None,
        "topics": episode.topics.all(),
    }


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
        "url": request.build_absolute_uri(episode.get_absolute_url()),
        "partOfSeries": {
            "@type": "PodcastSeries",
            "name": show.title,
            "url": request.build_absolute_uri(show.get_absolute_url()),
        },
    }
    if episode.published_at:
        data["datePublished"] = episode.published_at.date().isoformat()
    if episode.duration_seconds:
        data["timeRequired"] = f"PT{max(1, round(episode.duration_seconds / 60))}M"
    if episode.audio_url:
        data["associatedMedia"] = {"@type": "MediaObject", "contentUrl": episode.audio_url}
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
