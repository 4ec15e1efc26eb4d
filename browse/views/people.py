"""People pages: the ranking of guests and hosts, and one person's page.

A hidden person answers 404 here, as in every list, feed, sitemap and search.
"""

from functools import lru_cache

from django.conf import settings
from django.db.models import F
from django.http import Http404
from django.views.decorators.http import require_GET

from browse import person_page
from browse.rankings import categories, category_or_404
from browse.rows import PERSON_ROW
from core.htmx import render_page
from core.page_cache import cached_by_version, public_page
from core.pagination import paginate, paginate_rows
from core.paths import slug_path
from core.prepared import PreparedQuery
from people.models import Person, PersonCategory, PersonRanking

PEOPLE_PER_PAGE = 50
APPEARANCES_PER_PAGE = 20
SORTS = {
    "score": "Best score",
    "appearances": "Most scored episodes",
    "recent": "Most recent episode",
}
ROLES = {"": "Guests and hosts", "guest": "Guests", "host": "Hosts"}
# What a person's page shows of their stored figures beside their name.
PROFILE_FIGURES = ("score", "scored_count", "guest_count", "host_count", "rank")


def ranked_people(category=None):
    """Ranked, visible people with their place in the list (overall, or in `category`)."""
    people = (
        PersonRanking.objects.filter(rank__isnull=False, person__hidden=False)
        .select_related("person")
        .only(*PERSON_ROW)
    )
    if category:
        # The join that filters also supplies the rank within the category.
        return people.filter(
            person__category_ranks__category=category, person__category_ranks__rank__isnull=False
        ).annotate(position=F("person__category_ranks__rank"))
    return people.annotate(position=F("rank"))


@public_page
@require_GET
def person_list(request):
    """The best guests and hosts by the substance of the episodes they are on."""
    slug = request.GET.get("category", "")
    category = category_or_404(slug) if slug else None
    role = request.GET.get("role", "")
    if role not in ROLES:
        role = ""
    sort = request.GET.get("sort", "")
    if sort not in SORTS:
        sort = "score"
    page = paginate_rows(
        lambda offset, limit: _people_query(bool(category), role, sort, offset, limit)(
            *([category.pk] if category else [])
        ),
        request.GET.get("page"),
        PEOPLE_PER_PAGE,
    )
    for row in page:
        row.image_url = person_page.https_only(row.person.image_url)
    return render_page(
        request,
        "people/person_list.html",
        {
            "category": category,
            "categories": categories(),
            "role": role,
            "roles": ROLES,
            "role_label": ROLES[role],
            "sort": sort,
            "sort_label": SORTS[sort],
            "sorts": SORTS,
            "page_obj": page,
            "min_appearances": settings.PODINDEX_PEOPLE_MIN_APPEARANCES,
            "ranked_count": (
                cached_by_version(
                    f"people:count:{category.pk if category else ''}",
                    lambda: _ranked_count(category),
                )
                if page.number == 1
                else None
            ),
        },
        partials=["people"],
    )


@lru_cache(maxsize=256)
def _people_query(in_category: bool, role: str, sort: str, offset: int, limit: int):
    """The people ranking's rows of one shape and slice, compiled once per process
    (core.prepared): called with the category's id when the shape has one."""

    def build(*category):
        people = ranked_people(*category)
        if role == "guest":
            people = people.filter(guest_count__gt=0)
        elif role == "host":
            people = people.filter(host_count__gt=0)
        if sort == "appearances":
            people = people.order_by("-scored_count", "person_id")
        elif sort == "recent":
            people = people.order_by("-latest_appearance_at", "person_id")
        else:
            people = people.order_by("position", "person_id")
        return people[offset : offset + limit]

    return PreparedQuery(build, *[int] * in_category)


def _ranked_count(category) -> int:
    """How many people are ranked (overall or in the category), over the rank indexes: a
    hidden person loses their rank at the next re-rank (the list leaves them out at once)."""
    if category:
        return PersonCategory.objects.filter(category=category, rank__isnull=False).count()
    return PersonRanking.objects.filter(rank__isnull=False).count()


_VISIBLE_PERSON = PreparedQuery(
    lambda slug: Person.objects.visible().select_related("ranking").filter(slug=slug), str
)


@public_page
@require_GET
def person_detail(request, slug):
    """Who a person is, their appearances, the topics they speak on and their best quotes."""
    person = next(iter(_VISIBLE_PERSON(slug)), None)
    if person is None:
        raise Http404("No Person matches the given query.")
    # No figures yet (no listed appearance scored): RelatedObjectDoesNotExist is an AttributeError.
    ranking = getattr(person, "ranking", None)
    page = paginate(
        person_page.person_episode_order(person), request.GET.get("page"), APPEARANCES_PER_PAGE
    )
    page.object_list = person_page.appearance_rows(person, page.object_list)
    topics = person_page.person_topics(person)
    # Shared by every page of theirs and made from content that bumps the version when it
    # changes (scorecards, transcripts, appearances, ranks): kept until it does, as plain values.
    placements = (
        cached_by_version(f"person:placement-values:{person.pk}", lambda: _placements(person))
        if ranking and ranking.rank
        else []
    )
    quotes = (
        cached_by_version(f"person:quote-values:{person.pk}", lambda: _quotes(person))
        if page.number == 1
        else []
    )
    feed_url = slug_path("people:rss", slug=person.slug)
    return render_page(
        request,
        "people/person_detail.html",
        {
            "person": person,
            "ranking": ranking,
            "page_obj": page,
            "feed_url": feed_url,
            # The header, score, topics and quotes: rendered from these plain values alone and
            # cached under a digest of them (browse.templatetags.browse.person_profile).
            "profile": {
                "person": {"name": person.name, "description": person.description},
                "image_url": person_page.https_only(person.image_url),
                "website": person_page.web_link(person.website),
                "feed_url": feed_url,
                "ranking": ranking and {name: getattr(ranking, name) for name in PROFILE_FIGURES},
                "placements": placements,
                # Each with its page's path: a regular has a dozen of them.
                "topics": [
                    {
                        "name": topic["name"],
                        "episodes": topic["episodes"],
                        "url": slug_path("episodes:topic", slug=topic["slug"]),
                    }
                    for topic in topics
                ],
                "quotes": quotes,
                "min_appearances": settings.PODINDEX_PEOPLE_MIN_APPEARANCES,
            },
            "jsonld": person_page.person_jsonld(person, topics),
            "og_image": person_page.https_only(person.image_url),
        },
        partials=["appearances"],
    )


def _placements(person) -> list[dict]:
    """The categories a ranked person has a rank in, with that rank: {slug, name, rank}."""
    return [
        {"slug": slug, "name": name, "rank": rank}
        for slug, name, rank in PersonCategory.objects.filter(person=person, rank__isnull=False)
        .order_by("category")
        .values_list("category__slug", "category__name", "rank")
    ]


def _quotes(person) -> list[dict]:
    """Their best quotes as the page shows them: {text, url, title, show_title, start,
    dimension}."""
    return [
        {
            "text": quote["text"],
            "url": quote["url"],
            "title": quote["episode"].title,
            "show_title": quote["episode"].show.title,
            "start": quote.get("start"),
            "dimension": quote["dimension"],
        }
        for quote in person_page.person_quotes(person)
    ]
