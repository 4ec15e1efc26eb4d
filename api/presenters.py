"""Rows as the API writes them, from the objects the pages' querysets load."""

from collections.abc import Callable
from urllib.parse import quote

from django.urls import reverse

from core.absolute import absolute_url

SLUG_MARK = "0-slug-0"
SHOW_MARK = "0-show-0"


def slug_urls(name: str, **kwargs) -> Callable[[str], str]:
    """Absolute URLs of route `name` by slug: one reverse() for a whole list, not one per row."""
    template = absolute_url(reverse(name, kwargs={**kwargs, "slug": SLUG_MARK}))
    return lambda slug: template.replace(SLUG_MARK, quote(slug, safe=""))


def show_api_url(slug: str) -> str:
    """The API URL of a show."""
    return slug_urls("api-v1:show")(slug)


def show_summary(show, page_url: Callable[[str], str], api_url: Callable[[str], str]) -> dict:
    """A show in a list, with `position` (its rank in that list) as its rank."""
    return {
        "slug": show.slug,
        "title": show.title,
        "author": show.author,
        "artwork_url": show.artwork_url,
        "language": show.language,
        "score": show.score,
        "rank": show.position,
        "scored_episode_count": show.scored_episode_count,
        "episode_count": show.episode_count,
        "latest_episode_at": show.latest_episode_at,
        "url": page_url(show.slug),
        "api_url": api_url(show.slug),
    }


def show_summaries(shows) -> list[dict]:
    """Shows in a list, linked to their pages and resources."""
    page_url, api_url = slug_urls("shows:detail"), slug_urls("api-v1:show")
    return [show_summary(show, page_url, api_url) for show in shows]


def episode_urls(show_slug: str) -> tuple[Callable[[str], str], Callable[[str], str]]:
    """The page and API URLs of a show's episodes, by episode slug."""
    return (
        slug_urls("episodes:detail", show_slug=show_slug),
        slug_urls("api-v1:episode", show_slug=show_slug),
    )


def episode_summary(episode, urls: tuple[Callable[[str], str], Callable[[str], str]]) -> dict:
    """An episode in its show's list."""
    page_url, api_url = urls
    return {
        "slug": episode.slug,
        "title": episode.title,
        "published_at": episode.published_at,
        "duration_seconds": episode.duration_seconds,
        "score": episode.score,
        "url": page_url(episode.slug),
        "api_url": api_url(episode.slug),
    }


def episode_summaries(episodes) -> list[dict]:
    """Episodes of any shows in one list, each with its show (loaded with EPISODE_ROW_SHOW)."""
    page = absolute_url(reverse("episodes:detail", args=[SHOW_MARK, SLUG_MARK]))
    api = absolute_url(reverse("api-v1:episode", args=[SHOW_MARK, SLUG_MARK]))
    show_api = slug_urls("api-v1:show")

    def url(template, show_slug):
        return lambda slug: template.replace(SHOW_MARK, quote(show_slug, safe="")).replace(
            SLUG_MARK, quote(slug, safe="")
        )

    return [
        {
            **episode_summary(e, (url(page, e.show.slug), url(api, e.show.slug))),
            "show": {"slug": e.show.slug, "title": e.show.title, "api_url": show_api(e.show.slug)},
        }
        for e in episodes
    ]


def override_out(override) -> dict | None:
    """An editor's override, with the reason shown beside it."""
    if override is None:
        return None
    return {"score": override.score, "reason": override.reason, "created_at": override.created_at}


def scorecard_out(context) -> dict | None:
    """The public scorecard of a scorecard page's context, overrides applied."""
    scorecard, effective = context["scorecard"], context["effective"]
    if scorecard is None:
        return None
    return {
        "total": effective.total,
        "band": context["band"],
        "model_total": effective.model_total,
        "engine": scorecard.engine,
        "model": scorecard.model,
        "rubric_version": scorecard.rubric.version,
        "summary": scorecard.summary,
        "scored_at": scorecard.created_at,
        "total_override": override_out(effective.total_override),
        "dimensions": [
            {
                "key": d.key,
                "name": d.name,
                "max_score": d.max_score,
                "score": d.score,
                "model_score": d.model_score,
                "rationale": d.rationale,
                "quotes": [
                    {
                        "text": q.get("text", ""),
                        "speaker": q.get("speaker", ""),
                        "speaker_name": q.get("speaker_name", ""),
                        "start": q.get("start"),
                        "verified": bool(q.get("verified")),
                    }
                    for q in d.quotes
                ],
                "override": override_out(d.override),
            }
            for d in effective.dimensions
        ],
    }
