"""People: the ranking of guests and hosts, and one person, as their pages show them.

Each reads the people pages' own querysets and presenters (browse.views.people,
browse.person_page), so its figures are theirs.
"""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Query, Router

from api import cursor
from api.lists import listed_episodes
from api.params import limited, only_params, paged, set_last_modified
from api.presenters import episode_summaries, slug_urls
from api.schemas import PersonDetail, PersonPage, Problem
from browse import person_page
from browse.views.people import ranked_people
from core.absolute import absolute_url
from people.models import Person, PersonCategory
from shows.models import Category

router = Router()
ERRORS = {400: Problem, 404: Problem}
# The newest episodes a person's resource lists (their page pages through all of them).
EPISODES = 20


def episode_api_url(show_slug: str, slug: str) -> str:
    """The API URL of an episode."""
    return slug_urls("api-v1:episode", show_slug=show_slug)(slug)


def person_figures(ranking) -> dict:
    """A person's stored figures (people.ranking), or none yet."""
    return {
        "score": ranking.score if ranking else None,
        "scored_count": ranking.scored_count if ranking else 0,
        "guest_count": ranking.guest_count if ranking else 0,
        "host_count": ranking.host_count if ranking else 0,
    }


@router.get("/people", response={200: PersonPage, **ERRORS}, url_name="people")
def people(
    request,
    response: HttpResponse,
    category: str = "",
    cursor_: str | None = Query(None, alias="cursor"),
    limit: int = Query(50, ge=1),
):
    """Ranked guests and hosts, best first, overall or in one category (as /people/)."""
    only_params(request, "category", "cursor", "limit")
    found = get_object_or_404(Category, slug=category) if category else None
    # /people/'s default order ("Best score"): by place in the list, then by person.
    rows = ranked_people(found).order_by("position", "person_id")
    rows, next_cursor = cursor.page(rows, f"people:{category}", cursor_, limited(limit))
    page_url, api_url = slug_urls("people:detail"), slug_urls("api-v1:person")
    return paged(
        request,
        [
            {
                "slug": row.person.slug,
                "name": row.person.name,
                "description": row.person.description,
                "image_url": person_page.https_only(row.person.image_url),
                "rank": row.position,
                **person_figures(row),
                "url": page_url(row.person.slug),
                "api_url": api_url(row.person.slug),
            }
            for row in rows
        ],
        next_cursor,
        min_appearances=settings.PODINDEX_PEOPLE_MIN_APPEARANCES,
    )


@router.get("/people/{slug}", response={200: PersonDetail, **ERRORS}, url_name="person")
def person(request, response: HttpResponse, slug: str):
    """A person: who they are, their figures and places, topics, best quotes, latest episodes."""
    only_params(request)
    found = get_object_or_404(Person.objects.visible().select_related("ranking"), slug=slug)
    ranking = getattr(found, "ranking", None)
    placements = (
        PersonCategory.objects.filter(person=found, rank__isnull=False)
        .select_related("category")
        .order_by("category")
        if ranking and ranking.rank
        else []
    )
    episodes = listed_episodes(person_page.person_episode_order(found)[:EPISODES])
    set_last_modified(response, found.updated_at)
    return {
        "slug": found.slug,
        "name": found.name,
        "description": found.description,
        "image_url": person_page.https_only(found.image_url),
        "website": person_page.web_link(found.website),
        "rank": ranking.rank if ranking else None,
        **person_figures(ranking),
        "url": slug_urls("people:detail")(found.slug),
        "api_url": slug_urls("api-v1:person")(found.slug),
        "placements": [
            {"category": {"slug": p.category.slug, "name": p.category.name}, "rank": p.rank}
            for p in placements
        ],
        "topics": person_page.person_topics(found),
        "quotes": [
            {
                "text": q.get("text", ""),
                "start": q.get("start"),
                "dimension": q["dimension"],
                "url": absolute_url(q["url"]),
                "episode": {
                    "slug": q["episode"].slug,
                    "title": q["episode"].title,
                    "api_url": episode_api_url(q["episode"].show.slug, q["episode"].slug),
                },
            }
            for q in person_page.person_quotes(found)
        ],
        "latest_episodes": episode_summaries(episodes),
    }
