"""Version 1 of the API: shows, their episodes and each episode's scorecard.

Every endpoint reads the querysets and presenters of the matching page, so a figure here is
the figure on the page.
"""

from collections.abc import Callable
from typing import Literal
from urllib.parse import quote

from django.db.models import F
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import http_date, urlencode
from ninja import NinjaAPI, Query
from ninja.errors import ValidationError

from api import cursor
from api.http import PROBLEM_TYPE, problem
from api.schemas import (
    EpisodeDetail,
    EpisodePage,
    Problem,
    ShowDetail,
    ShowPage,
)
from browse.rows import EPISODE_ROW
from browse.scorecard_page import scorecard_page_context, scorecard_page_episodes
from browse.views.shows import _dimension_rows, _show_order
from core.absolute import absolute_url
from shows.models import Category, Show, ShowCategory

MAX_LIMIT = 100
ERRORS = {400: Problem, 404: Problem}


class IndexAPI(NinjaAPI):
    """The API, whose schema says that errors come as application/problem+json, as they do."""

    def get_openapi_schema(self, **kwargs):
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                for status, response in operation["responses"].items():
                    if int(status) >= 400 and "content" in response:
                        response["content"] = {
                            PROBLEM_TYPE: response["content"]["application/json"]
                        }
        return schema


api = IndexAPI(
    title="The B2B Podcast Index API",
    version="1",
    description="Read-only: shows, their episodes and each episode's scorecard.",
    urls_namespace="api-v1",
)


class BadParameter(ValueError):
    """A query parameter the endpoint does not know, or a value it cannot use."""


@api.exception_handler(ValidationError)
def on_validation_error(request, exc):
    first = exc.errors[0] if exc.errors else {}
    where = ".".join(str(part) for part in first.get("loc", ()))
    return problem(400, f"{where}: {first.get('msg', 'invalid value')}")


@api.exception_handler(BadParameter)
@api.exception_handler(cursor.BadCursor)
def on_bad_parameter(request, exc):
    return problem(400, str(exc))


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return problem(404, "No such resource.")


def only_params(request, *allowed: str) -> None:
    """Refuse parameters the endpoint does not read: a typo should not pass for a filter."""
    unknown = sorted(set(request.GET) - set(allowed))
    if unknown:
        raise BadParameter(f"Unknown parameter: {', '.join(unknown)}.")


def limited(limit: int) -> int:
    """A page size within bounds: large requests are capped, not refused."""
    return min(limit, MAX_LIMIT)


def next_url(request, next_cursor: str | None) -> str | None:
    """The absolute URL of the next page: the same query with the next cursor."""
    if next_cursor is None:
        return None
    query = {k: v for k, v in request.GET.items() if k != "cursor"} | {"cursor": next_cursor}
    return absolute_url(f"{request.path}?{urlencode(query)}")


def set_last_modified(response: HttpResponse, *moments) -> None:
    """Last-Modified from the newest of the given datetimes (those that are set)."""
    known = [m for m in moments if m is not None]
    if known:
        response["Last-Modified"] = http_date(max(known).timestamp())


SLUG_MARK = "0-slug-0"


def slug_urls(name: str, **kwargs) -> Callable[[str], str]:
    """Absolute URLs of route `name` by slug: one reverse() for a whole list, not one per row."""
    template = absolute_url(reverse(name, kwargs={**kwargs, "slug": SLUG_MARK}))
    return lambda slug: template.replace(SLUG_MARK, quote(slug, safe=""))


def show_api_url(slug: str) -> str:
    return slug_urls("api-v1:show")(slug)


def show_summary(show, page_url: Callable[[str], str], api_url: Callable[[str], str]) -> dict:
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


# The page's "score" order ranks first by position; the API names it for what it is.
SHOW_SORTS = {"rank": "score", "score": None, "recent": "recent"}
SHOW_FIELDS = (
    *("title", "slug", "author", "artwork_url", "language", "score", "scored_episode_count"),
    *("episode_count", "latest_episode_at", "updated_at"),
)


@api.get("/shows", response={200: ShowPage, **ERRORS}, url_name="shows")
def shows(
    request,
    response: HttpResponse,
    category: str = "",
    language: str = Query("", max_length=20),
    sort: Literal["rank", "score", "recent"] = "rank",
    cursor_: str | None = Query(None, alias="cursor"),
    limit: int = Query(50, ge=1),
):
    """Active shows, ranked like /shows/ (by rank, by score or by most recent episode)."""
    only_params(request, "category", "language", "sort", "cursor", "limit")
    queryset = Show.objects.active().only(*SHOW_FIELDS)
    if category:
        # As on /shows/?category=: a category that does not exist is not found.
        found = get_object_or_404(Category, slug=category)
        queryset = queryset.filter(showcategory__category=found).annotate(
            position=F("showcategory__rank")
        )
    else:
        queryset = queryset.annotate(position=F("rank"))
    if language:
        queryset = queryset.filter(language=language)
    if SHOW_SORTS[sort]:
        queryset = queryset.order_by(*_show_order(SHOW_SORTS[sort]))
    else:
        queryset = queryset.order_by(F("score").desc(nulls_last=True), "pk")
    key = f"shows:{category}:{language}:{sort}"
    rows, next_cursor = cursor.page(queryset, key, cursor_, limited(limit))
    set_last_modified(response, *(show.updated_at for show in rows))
    page_url, api_url = slug_urls("shows:detail"), slug_urls("api-v1:show")
    return {
        "items": [show_summary(show, page_url, api_url) for show in rows],
        "next_cursor": next_cursor,
        "next": next_url(request, next_cursor),
    }


def listed_show(slug: str):
    """The active show with this slug; a moved or duplicate feed redirects to its canonical."""
    show = get_object_or_404(Show.objects.select_related("canonical"), slug=slug)
    if show.canonical_id:
        return HttpResponsePermanentRedirect(show_api_url(show.canonical.slug))
    if not show.active:
        raise Http404
    return show


@api.get("/shows/{slug}", response={200: ShowDetail, 301: None, **ERRORS}, url_name="show")
def show(request, response: HttpResponse, slug: str):
    """One show: score, rank, categories, dimension averages and monthly trend."""
    only_params(request)
    found = listed_show(slug)
    if isinstance(found, HttpResponse):
        return found
    found.position = found.rank
    placements = ShowCategory.objects.filter(show=found).select_related("category")
    set_last_modified(response, found.updated_at)
    return {
        **show_summary(found, slug_urls("shows:detail"), slug_urls("api-v1:show")),
        "description": found.description,
        "website_url": found.website_url,
        "feed_url": found.feed_url,
        "placements": [
            {"category": {"slug": p.category.slug, "name": p.category.name}, "rank": p.rank}
            for p in placements.order_by("category")
        ],
        "dimension_averages": _dimension_rows(found),
        "score_trend": found.score_trend,
        "episodes_url": absolute_url(reverse("api-v1:show_episodes", kwargs={"slug": slug})),
    }


def episode_urls(show_slug: str) -> tuple[Callable[[str], str], Callable[[str], str]]:
    """The page and API URLs of a show's episodes, by episode slug."""
    return (
        slug_urls("episodes:detail", show_slug=show_slug),
        slug_urls("api-v1:episode", show_slug=show_slug),
    )


def episode_summary(episode, urls: tuple[Callable[[str], str], Callable[[str], str]]) -> dict:
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


@api.get(
    "/shows/{slug}/episodes",
    response={200: EpisodePage, 301: None, **ERRORS},
    url_name="show_episodes",
)
def show_episodes(
    request,
    response: HttpResponse,
    slug: str,
    sort: Literal["date", "score"] = "date",
    cursor_: str | None = Query(None, alias="cursor"),
    limit: int = Query(50, ge=1),
):
    """A show's listed episodes, newest or best scored first, as on its page."""
    only_params(request, "sort", "cursor", "limit")
    found = listed_show(slug)
    if isinstance(found, HttpResponse):
        return found
    episodes = found.episodes.listed().only("show_id", "updated_at", *EPISODE_ROW)
    if sort == "score":
        episodes = episodes.order_by(
            F("score").desc(nulls_last=True), F("published_at").desc(nulls_last=True), "-pk"
        )
    else:
        episodes = episodes.order_by(F("published_at").desc(nulls_last=True), "-pk")
    key = f"episodes:{found.pk}:{sort}"
    rows, next_cursor = cursor.page(episodes, key, cursor_, limited(limit))
    urls = episode_urls(found.slug)
    set_last_modified(response, found.updated_at, *(e.updated_at for e in rows))
    return {
        "items": [episode_summary(e, urls) for e in rows],
        "next_cursor": next_cursor,
        "next": next_url(request, next_cursor),
    }


def override_out(override) -> dict | None:
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


@api.get(
    "/shows/{show_slug}/episodes/{slug}",
    response={200: EpisodeDetail, **ERRORS},
    url_name="episode",
)
def episode(request, response: HttpResponse, show_slug: str, slug: str):
    """One episode and its full scorecard: what its page shows, as data."""
    only_params(request)
    found = get_object_or_404(scorecard_page_episodes(), show__slug=show_slug, slug=slug)
    context = scorecard_page_context(request, found)
    scorecard = context["scorecard"]
    overrides = found.active_overrides
    set_last_modified(
        response,
        found.updated_at,
        scorecard.created_at if scorecard else None,
        max((o.created_at for o in overrides), default=None),
    )
    return {
        **episode_summary(found, episode_urls(found.show.slug)),
        "show": {
            "slug": found.show.slug,
            "title": found.show.title,
            "api_url": show_api_url(found.show.slug),
        },
        "audio_url": found.audio_url,
        "score_held": context["score_held"],
        "scorecard": scorecard_out(context),
    }
