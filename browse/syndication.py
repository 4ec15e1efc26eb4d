"""RSS of newly scored episodes (site-wide, filtered, per show/category/topic) and OPML export.

Every feed works in a podcast app (audio enclosures, iTunes duration and artwork) as well as
in a news reader (score, summary, a link to the scorecard), and answers conditional GETs
with 304 from an ETag and Last-Modified computed from the very items it would send.

As apps read them: every link and image is absolute and built from SITE_URL (never from the
request's Host), text is escaped exactly once (by the XML writer), artwork is a raster image
(our SVG demo art is served as its PNG rendition), enclosures carry the length the source
feed gave, and whatever a feed stored (control characters, say) cannot make a feed fail.
"""

import hashlib
import pickle
import re
from dataclasses import dataclass, field
from functools import cache as memoize
from functools import cached_property, lru_cache
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.syndication.views import Feed
from django.core.cache import cache
from django.db.models import OuterRef, Q, Subquery
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.templatetags.static import static
from django.urls import reverse
from django.utils.feedgenerator import Enclosure, Rss201rev2Feed
from django.utils.html import format_html
from django.utils.http import http_date
from django.utils.xmlutils import SimplerXMLGenerator
from django.views.decorators.http import condition, require_GET

from browse.rankings import category_or_404, topic_or_404
from core.absolute import absolute_url
from core.page_cache import public_page
from core.prepared import PreparedQuery
from core.text import xml_safe
from episodes.models import Episode
from people.models import Appearance, Person
from scoring.effective import band
from scoring.models import Scorecard
from shows.models import Show, ShowCategory, active_show_q

FEED_ITEMS = 50
# What an item is made from (item_key digests these, so a changed value builds it anew).
ITEM_FIELDS = (
    "pk",
    "title",
    "slug",
    "score",
    "scored_at",
    "updated_at",
    "published_at",
    "audio_url",
    "audio_size",
    "audio_type",
    "duration_seconds",
    "image_url",
    "show__title",
    "show__slug",
    "show__author",
    "show__artwork_url",
)
# Built items are kept an hour: enough to outlive bursts of scoring, bounded for crawlers.
RSS_ITEM_SECONDS = 60 * 60
# This module's source: a change to how items are written invalidates every cached item.
ITEM_SALT = hashlib.blake2b(Path(__file__).read_bytes(), digest_size=8).hexdigest()
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
# The content hash manifest storage puts in a static file's name ("art.0123456789ab.svg").
_STATIC_HASH = re.compile(r"\.[0-9a-f]{12}(?=\.svg$)")


class InvalidFilter(ValueError):
    """A query-string filter the feed cannot honour; its message is shown to the subscriber."""


def podcast_artwork(url: str) -> str:
    """Artwork a podcast app can show: an absolute URL of a raster image, or "".

    Apps show JPEG and PNG, not SVG: our own SVG art (the demo shows') is served as the PNG
    rendition beside it in static/ (same name, 1400 px square); an SVG with no rendition, or
    from another site, is left out rather than sent to apps that cannot draw it.
    """
    url = xml_safe(url).strip()
    if not url:
        return ""
    if urlsplit(url).path.lower().endswith(".svg"):
        url = _png_rendition(url)
    return absolute_url(url) if url else ""


@memoize
def _png_rendition(svg_url: str) -> str:
    if not svg_url.startswith(settings.STATIC_URL):
        return ""
    name = _STATIC_HASH.sub("", svg_url[len(settings.STATIC_URL) :])
    png = name[: -len(".svg")] + ".png"
    return static(png) if finders.find(png) else ""


def _slug(request, name: str) -> str:
    """A slug from the query string; a NUL in it (no database stores one) is a 404."""
    value = request.GET.get(name, "")
    if "\x00" in value:
        raise Http404(f"No such {name}.")
    return value


def parse_min_score(raw: str | None) -> int | None:
    """`min_score` as an integer 0–100; None when absent; InvalidFilter otherwise."""
    if raw is None or raw.strip() == "":
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        raise InvalidFilter(
            f"min_score must be a whole number from 0 to 100, not {raw[:40]!r}."
        ) from None
    if not 0 <= value <= 100:
        raise InvalidFilter(f"min_score must be from 0 to 100, not {value}.")
    return value


@dataclass
class FeedSpec:
    """What one feed request lists: its channel metadata and its episodes (feed_items)."""

    title: str
    link: str
    description: str
    items: list
    image: str = ""
    key: list = field(default_factory=list)

    @cached_property
    def last_modified(self):
        stamps = [s for e in self.items for s in (e.scored_at, e.updated_at) if s]
        return max(stamps) if stamps else None

    @cached_property
    def etag(self) -> str:
        parts = [self.title, self.link, *map(str, self.key)]
        for e in self.items:
            parts.append(f"{e.pk}:{e.score}:{e.scored_at}:{e.updated_at}:{e.show.title}")
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


# What a feed may filter its scored episodes by, and the kind of value each takes.
FEED_FILTERS = {
    "category": (int, lambda value: Q(show__showcategory__category=value)),
    "topic": (int, lambda value: Q(topics=value)),
    "show": (str, lambda value: Q(show__slug=value)),
    "person": (
        int,
        lambda value: Q(pk__in=Appearance.objects.filter(person=value).values("episode_id")),
    ),
}


def feed_items(min_score: int | None = None, **filters) -> list:
    """The newest FEED_ITEMS scored episodes matching `filters` (FEED_FILTERS: None is no
    filter) and scoring `min_score` or more, with their show and current summary."""
    filters = {name: value for name, value in filters.items() if value is not None}
    return _items_query(tuple(filters), min_score)(*filters.values())


@lru_cache(maxsize=256)
def _items_query(names: tuple[str, ...], min_score: int | None) -> PreparedQuery:
    """The feed items filtered by these FEED_FILTERS, compiled once per process (core.prepared).
    A minimum score (0-100) is written into the SQL: a marker would overflow its column."""

    def build(*values):
        episodes = Episode.objects.scored()
        for name, value in zip(names, values, strict=True):
            episodes = episodes.filter(FEED_FILTERS[name][1](value))
        if min_score is not None:
            episodes = episodes.filter(score__gte=min_score)
        return (_feed_items() & episodes).order_by(*NEWLY_SCORED_ORDER)[:FEED_ITEMS]

    return PreparedQuery(build, *(FEED_FILTERS[name][0] for name in names))


@memoize
def _feed_items():
    """An item's columns and current summary, built once per process (copied by `&`): resolving
    the summary's current-scorecard subquery cost about 1 ms of CPU on every feed request."""
    summary = Scorecard.objects.current().filter(episode=OuterRef("pk")).values("summary")[:1]
    return (
        Episode.objects.select_related("show")
        .only(*ITEM_FIELDS)
        .annotate(current_summary=Subquery(summary))
    )


def item_values(episode) -> list:
    """Everything an episode's <item> is made from."""
    show = episode.show
    values = [getattr(episode, name) for name in ITEM_FIELDS if not name.startswith("show__")]
    return [*values, show.title, show.slug, show.author, show.artwork_url, episode.current_summary]


def _digest(values) -> str:
    # Pickled, not repr()'d: as cheap again for the same bytes from the same values.
    return hashlib.blake2b(
        pickle.dumps((values, ITEM_SALT, settings.SITE_URL, settings.STATIC_URL), protocol=5),
        digest_size=16,
    ).hexdigest()


def item_key(episode) -> str:
    """The cache key of one episode's <item>: a digest of everything the item is made from."""
    return "podindex:rss-item:" + _digest(item_values(episode))


def items_key(episodes) -> str:
    """The cache key of a feed's <item>s, in order: a digest of everything they are made from."""
    return "podindex:rss-items:" + _digest([item_values(episode) for episode in episodes])


class PodcastRssFeed(Rss201rev2Feed):
    """RSS 2.0 with the iTunes namespace, so podcast apps show artwork and durations.

    An item's XML depends only on its episode's values, so each is cached under a digest of
    them (`item_key`): after a scoring burst only the items that changed are built again.
    `cached_items` lists the feed's items in order as (key, XML or None); the items to build
    are in `self.items`, in the same order. All of them together are cached too, under
    `items_key`: an unchanged feed is one read, not one per item.
    """

    cached_items: list | None = None
    items_key: str | None = None
    # The newest item date of the whole feed (items taken from the cache are not in self.items).
    latest_item_date = None

    def latest_post_date(self):
        if self.cached_items is None:
            return super().latest_post_date()
        return self.latest_item_date or super().latest_post_date()

    def write_items(self, handler):
        if self.cached_items is None:
            super().write_items(handler)
            return
        to_build = iter(self.items)
        built = {}
        written = []
        for key, xml in self.cached_items:
            if xml is None:
                xml = built[key] = self._item_xml(next(to_build))
            # Raw, already-escaped XML: ignorableWhitespace is the writer's unescaped write.
            handler.ignorableWhitespace(xml)
            written.append(xml)
        if self.items_key and len(written) > 1:
            built[self.items_key] = "".join(written)
        if built:
            cache.set_many(built, RSS_ITEM_SECONDS)

    def _item_xml(self, item) -> str:
        out = StringIO()
        writer = SimplerXMLGenerator(out, "utf-8", short_empty_elements=True)
        writer.startElement("item", self.item_attributes(item))
        self.add_item_elements(writer, item)
        writer.endElement("item")
        return out.getvalue()

    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:itunes": ITUNES_NS}

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        if self.feed.get("image"):
            handler.addQuickElement("itunes:image", attrs={"href": self.feed["image"]})

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("duration"):
            handler.addQuickElement("itunes:duration", str(item["duration"]))
        if item.get("image"):
            handler.addQuickElement("itunes:image", attrs={"href": item["image"]})


class ScoredEpisodesFeed(Feed):
    """The syndication framework's view of a FeedSpec."""

    feed_type = PodcastRssFeed

    def get_object(self, request, spec):
        self.request = request
        return spec

    def title(self, spec):
        return xml_safe(spec.title)

    def link(self, spec):
        return absolute_url(spec.link)

    def feed_url(self, spec):
        return absolute_url(self.request.path)

    def description(self, spec):
        return xml_safe(spec.description)

    def feed_extra_kwargs(self, spec):
        image = podcast_artwork(spec.image)
        return {"image": image} if image else {}

    def get_feed(self, obj, request):
        """The feed, with only the items missing from the item cache built anew."""
        whole_key = items_key(obj.items)
        whole = cache.get(whole_key) if len(obj.items) > 1 else None
        if whole is not None:
            self.to_build = []
            cached_items = [(whole_key, whole)]
        else:
            keys = [item_key(episode) for episode in obj.items]
            cached = cache.get_many(keys)
            self.to_build = [e for e, k in zip(obj.items, keys, strict=True) if k not in cached]
            cached_items = [(key, cached.get(key)) for key in keys]
        feed = super().get_feed(obj, request)
        feed.cached_items = cached_items
        feed.items_key = whole_key
        dates = [self.item_pubdate(episode) for episode in obj.items]
        feed.latest_item_date = max((date for date in dates if date), default=None)
        return feed

    def items(self, spec):
        return self.to_build

    def item_title(self, episode):
        # Plain text: the XML writer escapes it, once (apps show "CFO's", not "CFO&#x27;s").
        return xml_safe(episode.title)

    def item_description(self, episode):
        return format_html(
            "<p><strong>Substance score {} / 100</strong> ({}) · {}</p>{}"
            '<p><a href="{}">Read the scorecard</a></p>',
            episode.score,
            band(episode.score),
            xml_safe(episode.show.title),
            format_html("<p>{}</p>", xml_safe(episode.current_summary))
            if episode.current_summary
            else "",
            absolute_url(episode.get_absolute_url()),
        )

    def item_link(self, episode):
        return absolute_url(episode.get_absolute_url())

    def item_pubdate(self, episode):
        return episode.published_at or episode.scored_at

    def item_author_name(self, episode):
        return xml_safe(episode.show.author) or None

    def item_enclosures(self, episode):
        url = absolute_url(xml_safe(episode.audio_url).strip())
        if not url:
            return []
        # The length the source feed gave; RSS requires the attribute, 0 says "unknown".
        return [
            Enclosure(
                url,
                str(episode.audio_size or 0),
                xml_safe(episode.audio_type).strip() or "audio/mpeg",
            )
        ]

    def item_extra_kwargs(self, episode):
        return {
            "duration": episode.duration_seconds or "",
            "image": podcast_artwork(episode.image_url)
            or podcast_artwork(episode.show.artwork_url),
        }


def serve_feed(request, spec: FeedSpec) -> HttpResponse:
    """Render `spec` as RSS, answering If-None-Match / If-Modified-Since with 304."""

    @condition(etag_func=lambda r: spec.etag, last_modified_func=lambda r: spec.last_modified)
    def view(request):
        response = ScoredEpisodesFeed()(request, spec=spec)
        # One source of truth for Last-Modified: the one the 304 check compared against.
        if spec.last_modified:
            response.headers["Last-Modified"] = http_date(spec.last_modified.timestamp())
        else:
            del response.headers["Last-Modified"]
        response.headers["Cache-Control"] = "public, max-age=300"
        return response

    return view(request)


def _bad_request(exc):
    return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")


# Newest score first: the site feed's order, and the API's (which pages on by these keys).
NEWLY_SCORED_ORDER = ("-scored_at", "-pk")


def newly_scored(category=None, topic=None, min_score: int | None = None):
    """The site feed's episodes: scored ones, filtered by category, topic and minimum score."""
    episodes = Episode.objects.scored()
    if category is not None:
        episodes = episodes.filter(show__showcategory__category=category)
    if topic is not None:
        episodes = episodes.filter(topics=topic)
    if min_score is not None:
        episodes = episodes.filter(score__gte=min_score)
    return episodes


@public_page
@require_GET
def site_feed(request):
    """Newly scored episodes site-wide, filterable by category, topic and min_score."""
    try:
        min_score = parse_min_score(request.GET.get("min_score"))
    except InvalidFilter as exc:
        return _bad_request(exc)
    title = "Newly scored B2B podcast episodes"
    key = [min_score]
    category = topic = None
    if slug := _slug(request, "category"):
        category = category_or_404(slug)
        title = f"Newly scored B2B {category.name} episodes"
        key.append(category.slug)
    if slug := _slug(request, "topic"):
        topic = topic_or_404(slug)
        title += f" on {topic.name}"
        key.append(topic.slug)
    items = feed_items(
        category=category.pk if category else None,
        topic=topic.pk if topic else None,
        min_score=min_score,
    )
    if min_score is not None:
        title += f" scoring {min_score} or more"
    spec = FeedSpec(
        title=f"{title} — {settings.SITE_NAME}",
        link=reverse("home"),
        description="Episodes as we score them for substance, with the score and a summary.",
        items=items,
        key=key,
    )
    return serve_feed(request, spec)


def _scored_feed(request, filters, *, title, link, description, image=""):
    """Serve newly scored episodes of one category, topic or person (min_score may filter)."""
    try:
        min_score = parse_min_score(request.GET.get("min_score"))
    except InvalidFilter as exc:
        return _bad_request(exc)
    spec = FeedSpec(
        title=title,
        link=link,
        description=description,
        items=feed_items(**filters, min_score=min_score),
        image=image,
        key=[min_score],
    )
    return serve_feed(request, spec)


@public_page
@require_GET
def show_feed(request, slug):
    """A show's newly scored episodes."""
    try:
        min_score = parse_min_score(request.GET.get("min_score"))
    except InvalidFilter as exc:
        get_object_or_404(Show.objects.active(), slug=slug)
        return _bad_request(exc)
    # The items bring their show along (what the channel shows of it): only a show with no
    # item to list is read on its own.
    items = feed_items(show=slug, min_score=min_score)
    show = items[0].show if items else get_object_or_404(Show.objects.active(), slug=slug)
    spec = FeedSpec(
        title=f"{show.title} — scored by {settings.SITE_NAME}",
        link=show.get_absolute_url(),
        description=f"Episodes of {show.title} with their substance scores.",
        items=items,
        image=show.artwork_url,
        key=[min_score],
    )
    return serve_feed(request, spec)


@public_page
@require_GET
def category_feed(request, slug):
    """Newly scored episodes of the shows in one category."""
    category = category_or_404(slug)
    return _scored_feed(
        request,
        {"category": category.pk},
        title=f"The best B2B {category.name} podcast episodes — {settings.SITE_NAME}",
        link=category.get_absolute_url(),
        description=f"Newly scored B2B {category.name} episodes with their substance scores.",
    )


@public_page
@require_GET
def topic_feed(request, slug):
    """Newly scored episodes filed under one topic."""
    topic = topic_or_404(slug)
    return _scored_feed(
        request,
        {"topic": topic.pk},
        title=f"B2B podcast episodes on {topic.name} — {settings.SITE_NAME}",
        link=topic.get_absolute_url(),
        description=f"Newly scored episodes about {topic.name}, with their substance scores.",
    )


_VISIBLE_PERSON = PreparedQuery(lambda slug: Person.objects.visible().filter(slug=slug), str)


@public_page
@require_GET
def person_feed(request, slug):
    """Newly scored episodes a person is on (a hidden person has no feed)."""
    person = next(iter(_VISIBLE_PERSON(slug)), None)
    if person is None:
        raise Http404("No Person matches the given query.")
    return _scored_feed(
        request,
        {"person": person.pk},
        title=f"Episodes with {person.name} — {settings.SITE_NAME}",
        link=person.get_absolute_url(),
        description=f"New B2B podcast episodes with {person.name}, with their substance scores.",
        image=person.image_url if person.image_url.startswith("https://") else "",
    )


@public_page
@require_GET
def opml(request, slug=None):
    """The ranked shows' original feed URLs, best first, as OPML for any podcast app."""
    if slug:
        category = category_or_404(slug)
        placements = (
            ShowCategory.objects.filter(
                active_show_q("show__"), category=category, rank__isnull=False
            )
            .select_related("show")
            .only("rank", "show__title", "show__slug", "show__feed_url")
            .order_by("rank", "show__title")
        )
        shows = [p.show for p in placements]
        title = f"The best B2B {category.name} podcasts"
    else:
        shows = list(Show.objects.ranked().only("title", "slug", "feed_url").order_by("rank"))
        title = "The best B2B podcasts"
    digest = hashlib.sha256(
        "\n".join([title, *(f"{s.pk}:{s.feed_url}:{s.title}" for s in shows)]).encode()
    ).hexdigest()[:32]

    @condition(etag_func=lambda r: digest)
    def view(request):
        response = HttpResponse(content_type="text/x-opml; charset=utf-8")
        filename = f"b2b-podcasts-{slug}.opml" if slug else "b2b-podcasts.opml"
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
        response.headers["Cache-Control"] = "public, max-age=3600"
        write_opml(request, response, f"{title} — {settings.SITE_NAME}", shows)
        return response

    return view(request)


def write_opml(request, out, title, shows):
    """OPML 2.0 with one rss outline per show."""
    xml = SimplerXMLGenerator(out, "utf-8")
    xml.startDocument()
    xml.startElement("opml", {"version": "2.0"})
    xml.startElement("head", {})
    xml.addQuickElement("title", xml_safe(title))
    xml.endElement("head")
    xml.startElement("body", {})
    for show in shows:
        name = xml_safe(show.title) or xml_safe(show.feed_url)
        xml.addQuickElement(
            "outline",
            attrs={
                "type": "rss",
                "text": name,
                "title": name,
                "xmlUrl": xml_safe(show.feed_url),
                "htmlUrl": absolute_url(show.get_absolute_url()),
            },
        )
    xml.endElement("body")
    xml.endElement("opml")
