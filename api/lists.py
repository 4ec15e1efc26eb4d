"""The lists that are not one show's: categories and rankings, topics, search, newly scored.

Each reads what its page or feed reads (browse.rankings, browse.search, browse.syndication),
so its order and figures are theirs.
"""

from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import urlencode
from ninja import Query, Router

from api import cursor
from api.params import limited, only_params, paged, set_last_modified
from api.presenters import episode_summaries, show_summaries, slug_urls
from api.schemas import (
    CategoryList,
    ListedEpisodePage,
    Problem,
    RankingPage,
    ScoredEpisodePage,
    SearchPage,
    TopicList,
)
from browse import rankings
from browse.rows import EPISODE_ROW, EPISODE_ROW_SHOW
from browse.search import search as site_search
from browse.syndication import NEWLY_SCORED_ORDER, newly_scored
from core.absolute import absolute_url
from core.pagination import MAX_PAGE
from core.search import CANDIDATES
from episodes.models import Episode, Topic
from shows.models import Category

router = Router()
ERRORS = {400: Problem, 404: Problem}
RANKING_FIELDS = (
    *("title", "slug", "author", "artwork_url", "language", "score", "scored_episode_count"),
    *("episode_count", "latest_episode_at", "updated_at"),
)
# A search ranks at most CANDIDATES rows of each kind: a page never needs more.
MAX_SEARCH_LIMIT = 20


def rankings_url(category=None) -> str:
    """The API URL of the overall ranking, or of a category's."""
    query = f"?{urlencode({'category': category.slug})}" if category else ""
    return absolute_url(reverse("api-v1:rankings") + query)


@router.get("/categories", response={200: CategoryList, **ERRORS}, url_name="categories")
def category_list(request, response: HttpResponse):
    """Every category, in the home page's order, with how many shows it ranks."""
    only_params(request)
    ranked = rankings.ranked_per_category()
    page_url = slug_urls("shows:category")
    return {
        "items": [
            {
                "slug": category.slug,
                "name": category.name,
                "ranked_count": ranked.get(category.pk, 0),
                "url": page_url(category.slug),
                "rankings_url": rankings_url(category),
            }
            for category in rankings.categories()
        ]
    }


@router.get("/rankings", response={200: RankingPage, **ERRORS}, url_name="rankings")
def ranking(
    request,
    response: HttpResponse,
    category: str = "",
    cursor_: str | None = Query(None, alias="cursor"),
    limit: int = Query(50, ge=1),
):
    """The ranked shows, best first: overall, or within one category (its page's ranking)."""
    only_params(request, "category", "cursor", "limit")
    found = get_object_or_404(Category, slug=category) if category else None
    shows = (
        rankings.ranked_shows(found)
        .filter(position__isnull=False)
        .only(*RANKING_FIELDS)
        .order_by(*rankings.show_order("score"))
    )
    rows, next_cursor = cursor.page(shows, f"rankings:{category}", cursor_, limited(limit))
    set_last_modified(response, *(show.updated_at for show in rows))
    return paged(
        request,
        show_summaries(rows),
        next_cursor,
        category={"slug": found.slug, "name": found.name} if found else None,
        ranked_count=rankings.ranked_count(found),
        min_episodes=settings.PODINDEX_RANKING_MIN_EPISODES,
    )


@router.get("/topics", response={200: TopicList, **ERRORS}, url_name="topics")
def topic_list(request, response: HttpResponse):
    """Every topic episodes are filed under, by name."""
    only_params(request)
    page_url, episodes_url = slug_urls("episodes:topic"), slug_urls("api-v1:topic_episodes")
    return {
        "items": [
            {
                "slug": topic.slug,
                "name": topic.name,
                "url": page_url(topic.slug),
                "episodes_url": episodes_url(topic.slug),
            }
            for topic in Topic.objects.order_by("name", "pk")
        ]
    }


@router.get(
    "/topics/{slug}/episodes",
    response={200: ListedEpisodePage, **ERRORS},
    url_name="topic_episodes",
)
def topic_episodes(
    request,
    response: HttpResponse,
    slug: str,
    cursor_: str | None = Query(None, alias="cursor"),
    limit: int = Query(50, ge=1),
):
    """Episodes filed under a topic, best scored first, as on the topic's page."""
    only_params(request, "cursor", "limit")
    topic = get_object_or_404(Topic, slug=slug)
    keys, next_cursor = cursor.page(
        rankings.topic_order(topic), f"topic:{topic.pk}", cursor_, limited(limit)
    )
    episodes = listed_episodes(keys)
    set_last_modified(response, *(e.updated_at for e in episodes))
    return paged(request, episode_summaries(episodes), next_cursor)


def listed_episodes(keys: list[int]) -> list:
    """The listed episodes with these keys, in this order, with what a list row gives."""
    rows = (
        Episode.objects.listed()
        .select_related("show")
        .only("updated_at", *EPISODE_ROW, *EPISODE_ROW_SHOW)
        .in_bulk(keys)
    )
    return [rows[pk] for pk in keys if pk in rows]


@router.get("/search", response={200: SearchPage, **ERRORS}, url_name="search")
def search(
    request,
    response: HttpResponse,
    q: str = "",
    cursor_: str | None = Query(None, alias="cursor"),
    limit: int = Query(10, ge=1),
):
    """The site search: shows (first page), episodes and the moments words were said."""
    only_params(request, "q", "cursor", "limit")
    limit = limited(limit, MAX_SEARCH_LIMIT)
    key = f"search:{limit}:{q}"
    number = cursor.decode(key, cursor_) or 1
    if number > MAX_PAGE:
        raise Http404
    # The API lists no people: their queries are left out.
    results = site_search(q, page=number, per_page=limit, people=False)
    next_cursor = cursor.encode(key, number + 1) if results.has_next else None
    # The episodes and the moments' episodes in one list: its URLs are reversed once, not twice.
    summaries = episode_summaries(
        [*results.episodes, *(moment.episode for moment in results.moments)]
    )
    episodes, moment_episodes = (
        summaries[: len(results.episodes)],
        summaries[len(results.episodes) :],
    )
    moments = [
        {
            "episode": episode,
            "start": moment.start,
            "snippet_html": str(moment.snippet),
        }
        for moment, episode in zip(results.moments, moment_episodes, strict=True)
    ]
    return paged(
        request,
        episodes,
        next_cursor,
        query=results.query,
        truncated=results.truncated,
        capped=results.capped,
        cap=CANDIDATES,
        shows=found_shows(results.shows),
        moments=moments,
    )


def found_shows(shows) -> list[dict]:
    """Shows a search found, with what the search page shows of them (its .only())."""
    page_url, api_url = slug_urls("shows:detail"), slug_urls("api-v1:show")
    return [
        {
            "slug": show.slug,
            "title": show.title,
            "author": show.author,
            "artwork_url": show.artwork_url,
            "score": show.score,
            "rank": show.rank,
            "url": page_url(show.slug),
            "api_url": api_url(show.slug),
        }
        for show in shows
    ]


@router.get("/episodes/scored", response={200: ScoredEpisodePage, **ERRORS}, url_name="scored")
def scored_episodes(
    request,
    response: HttpResponse,
    category: str = "",
    topic: str = "",
    min_score: int | None = Query(None, ge=0, le=100),
    cursor_: str | None = Query(None, alias="cursor"),
    limit: int = Query(50, ge=1),
):
    """Newly scored episodes, newest score first: the site RSS feed (/rss/) as JSON."""
    only_params(request, "category", "topic", "min_score", "cursor", "limit")
    found_category = get_object_or_404(Category, slug=category) if category else None
    found_topic = get_object_or_404(Topic, slug=topic) if topic else None
    episodes = (
        newly_scored(category=found_category, topic=found_topic, min_score=min_score)
        .select_related("show")
        .only("scored_at", "updated_at", *EPISODE_ROW, *EPISODE_ROW_SHOW)
        .order_by(*NEWLY_SCORED_ORDER)
    )
    # 250,000 rows deep: the next page seeks past the last row's keys instead of an OFFSET.
    rows, next_cursor = cursor.keyset_page(
        episodes,
        f"scored:{category}:{topic}:{min_score}",
        cursor_,
        limited(limit),
        keys_of=lambda e: [e.scored_at.isoformat(), e.pk],
        after=after_scored,
    )
    set_last_modified(response, *(e.scored_at for e in rows), *(e.updated_at for e in rows))
    return paged(request, scored_summaries(rows), next_cursor)


def after_scored(keys: list):
    """The episodes after ([scored_at, pk]) in NEWLY_SCORED_ORDER."""
    scored_at, pk = datetime.fromisoformat(keys[0]), int(keys[1])
    # The range on scored_at alone lets the scored_at index seek; the OR settles ties.
    return Q(scored_at__lte=scored_at) & (Q(scored_at__lt=scored_at) | Q(pk__lt=pk))


def scored_summaries(episodes) -> list[dict]:
    """Newly scored episodes, each with when it was scored."""
    return [
        {**row, "scored_at": episode.scored_at}
        for row, episode in zip(episode_summaries(episodes), episodes, strict=True)
    ]
