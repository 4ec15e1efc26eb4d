"""Version 1 of the API: shows, their episodes, each episode's scorecard, analysis and transcript.

Every endpoint reads the querysets and presenters of the matching page, so a figure here is
the figure on the page. The lists that are not a show's (rankings, topics, search, newly
scored episodes) are in api.lists.
"""

from typing import Literal

from django.db.models import F
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import NinjaAPI, Query
from ninja.errors import ValidationError

from api import cursor, lists, people
from api.http import PROBLEM_TYPE, problem
from api.params import BadParameter, limited, only_params, paged, set_last_modified
from api.presenters import (
    episode_summary,
    episode_urls,
    scorecard_out,
    show_api_url,
    show_summaries,
    show_summary,
    slug_urls,
)
from api.schemas import (
    Analysis,
    EpisodeDetail,
    EpisodePage,
    Problem,
    ShowDetail,
    ShowPage,
    TranscriptPage,
)
from browse import rankings
from browse.person_page import episode_people
from browse.rows import EPISODE_ROW
from browse.scorecard_page import (
    conversation_analysis,
    named_segments,
    scorecard_episode,
    scorecard_figures,
)
from core.absolute import absolute_url
from episodes.models import Episode
from shows.models import Category, Show, ShowCategory

ERRORS = {400: Problem, 404: Problem}
# A transcript's segments are short: more of them fit a page than rows of a list.
MAX_SEGMENTS = 500


class IndexAPI(NinjaAPI):
    """The API, whose schema says that errors come as application/problem+json, as they do,
    and that a key is optional (anonymous use has a lower limit)."""

    def get_openapi_schema(self, **kwargs):
        schema = super().get_openapi_schema(**kwargs)
        schema["components"]["securitySchemes"] = {
            "apiKey": {
                "type": "http",
                "scheme": "bearer",
                "description": "A key from the editors (Authorization: Bearer pi_…).",
            }
        }
        schema["security"] = [{}, {"apiKey": []}]
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
    description=(
        "Read-only: shows, rankings, episodes with their scorecards, analyses and transcripts, "
        "topics, search and newly scored episodes."
    ),
    urls_namespace="api-v1",
)


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
    # As on /shows/?category=: a category that does not exist is not found.
    found = get_object_or_404(Category, slug=category) if category else None
    queryset = rankings.ranked_shows(found).only(*SHOW_FIELDS)
    if language:
        queryset = queryset.filter(language=language)
    if SHOW_SORTS[sort]:
        queryset = queryset.order_by(*rankings.show_order(SHOW_SORTS[sort]))
    else:
        queryset = queryset.order_by(F("score").desc(nulls_last=True), "pk")
    key = f"shows:{category}:{language}:{sort}"
    rows, next_cursor = cursor.page(queryset, key, cursor_, limited(limit))
    set_last_modified(response, *(show.updated_at for show in rows))
    return paged(request, show_summaries(rows), next_cursor)


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
        "dimension_averages": rankings.dimension_rows(found),
        "score_trend": found.score_trend,
        "episodes_url": absolute_url(reverse("api-v1:show_episodes", kwargs={"slug": slug})),
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
    episodes = episodes.order_by(*rankings.episode_order(sort))
    key = f"episodes:{found.pk}:{sort}"
    rows, next_cursor = cursor.page(episodes, key, cursor_, limited(limit))
    urls = episode_urls(found.slug)
    set_last_modified(response, found.updated_at, *(e.updated_at for e in rows))
    return paged(request, [episode_summary(e, urls) for e in rows], next_cursor)


@api.get(
    "/shows/{show_slug}/episodes/{slug}",
    response={200: EpisodeDetail, **ERRORS},
    url_name="episode",
)
def episode(request, response: HttpResponse, show_slug: str, slug: str):
    """One episode and its full scorecard: what its page shows, as data."""
    only_params(request)
    # The quotes are found again in the transcript's segments; its analysis is not shown here.
    found = scorecard_episode(show_slug, slug, "analysis")
    if found is None:
        raise Http404
    transcript = getattr(found, "transcript", None)
    figures = scorecard_figures(found, transcript, voices_of(found))
    scorecard, overrides = figures["scorecard"], figures["overrides"]
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
        "score_held": found.score_held,
        "scorecard": scorecard_out(figures),
        "analysis_url": sub_resource_url("api-v1:episode_analysis", found),
        "transcript_url": sub_resource_url("api-v1:episode_transcript", found),
    }


def sub_resource_url(name: str, episode) -> str:
    """The API URL of one of an episode's sub-resources (its analysis, its transcript)."""
    return absolute_url(reverse(name, args=[episode.show.slug, episode.slug]))


def voices_of(episode) -> dict:
    """Transcript label → the person whose voice it is, from the episode's appearances."""
    return episode_people(episode.public_appearances)[1]


def transcribed_episode(show_slug: str, slug: str, unread: str) -> Episode:
    """A listed episode with its people and transcript, less the transcript's column `unread`;
    404 without a transcript."""
    found = scorecard_episode(show_slug, slug, unread)
    if found is None:
        raise Http404
    if getattr(found, "transcript", None) is None:
        raise Http404
    return found


def episode_ref(episode) -> dict:
    """The episode a sub-resource belongs to."""
    return {
        "slug": episode.slug,
        "title": episode.title,
        "api_url": episode_urls(episode.show.slug)[1](episode.slug),
    }


def analysis_out(analysis: dict) -> dict:
    """Speaker shares and fillers, each speaker with the page of the person it is (if any)."""
    person_url = slug_urls("people:detail")
    return {
        "speakers": [
            {
                **{k: v for k, v in row.items() if k != "person"},
                "person_url": person_url(row["person"].slug) if row["person"] else None,
            }
            for row in analysis["speakers"]
        ],
        "fillers": analysis["fillers"],
    }


@api.get(
    "/shows/{show_slug}/episodes/{slug}/analysis",
    response={200: Analysis, **ERRORS},
    url_name="episode_analysis",
)
def episode_analysis(request, response: HttpResponse, show_slug: str, slug: str):
    """An episode's conversation analysis: who did the talking, and the filler words."""
    only_params(request)
    found = transcribed_episode(show_slug, slug, unread="segments")
    transcript = found.transcript
    set_last_modified(response, transcript.updated_at)
    return {
        "episode": episode_ref(found),
        "word_count": transcript.word_count,
        **analysis_out(conversation_analysis(transcript, voices_of(found))),
    }


@api.get(
    "/shows/{show_slug}/episodes/{slug}/transcript",
    response={200: TranscriptPage, **ERRORS},
    url_name="episode_transcript",
)
def episode_transcript(
    request,
    response: HttpResponse,
    show_slug: str,
    slug: str,
    cursor_: str | None = Query(None, alias="cursor"),
    limit: int = Query(100, ge=1),
):
    """An episode's transcript: timed segments with who said them, a page at a time."""
    only_params(request, "cursor", "limit")
    transcript = (found := transcribed_episode(show_slug, slug, unread="analysis")).transcript
    segments = [
        {
            "index": index,
            "start": segment.get("start"),
            "end": segment.get("end"),
            "speaker": segment.get("speaker") or "",
            "speaker_name": segment["name"],
            "text": segment.get("text") or "",
        }
        for index, segment in enumerate(named_segments(transcript, voices_of(found)))
    ]
    # An editor's correction changes the hash: a cursor into the old text is not reused.
    key = f"transcript:{transcript.pk}:{transcript.content_hash}"
    rows, next_cursor = cursor.page(segments, key, cursor_, limited(limit, MAX_SEGMENTS))
    set_last_modified(response, transcript.updated_at)
    return paged(
        request,
        rows,
        next_cursor,
        episode=episode_ref(found),
        source=transcript.source,
        language=transcript.language,
        word_count=transcript.word_count,
    )


api.add_router("", lists.router)
api.add_router("", people.router)
