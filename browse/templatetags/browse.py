"""Template helpers for the browsing pages: score bands and inline SVG trend charts."""

import hashlib
import json
import pickle
from datetime import datetime
from functools import lru_cache

from django import template
from django.conf import settings
from django.core.cache import cache
from django.template.defaulttags import querystring
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from browse.rows import (
    APPEARANCE_ROW,
    APPEARANCE_ROW_ANNOTATIONS,
    EPISODE_ROW,
    EPISODE_ROW_SHOW,
    PERSON_ROW,
    PERSON_ROW_ANNOTATIONS,
    RANKING_ROW,
    RANKING_ROW_ANNOTATIONS,
    row_values,
)
from scoring.effective import band

register = template.Library()

# The show page's trend chart, in SVG user units.
CHART_WIDTH = 600
CHART_HEIGHT = 180
CHART_PAD_X = 36
CHART_PAD_TOP = 12
CHART_PAD_BOTTOM = 28  # room for the month labels


@register.simple_tag
def ranking_settings():
    """The ranking parameters, for the formula on the methodology page."""
    return {
        "min_episodes": settings.PODINDEX_RANKING_MIN_EPISODES,
        "prior_weight": f"{settings.PODINDEX_RANKING_PRIOR_WEIGHT:g}",
        "older_weight": f"{settings.PODINDEX_RANKING_OLDER_WEIGHT:g}",
    }


# Rendered fragments (ranking rows, episode rows, trend charts) are cached under a digest of
# everything they show, so a key is never stale and needs no content version: after a scoring
# burst only the rows whose figures changed are rendered again. An hour bounds the memory a
# crawler walking every show page can take (about 0.5 kB per row).
FRAGMENT_SECONDS = 3600


def _digest(value) -> str:
    # Pickled, not repr()'d: the same values give the same bytes at a fraction of the cost
    # (repr of floats and of a show's monthly trend took ~10 µs a row, pickle ~2.5).
    return hashlib.blake2b(pickle.dumps(value, protocol=5), digest_size=16).hexdigest()


def _json_digest(value) -> str:
    # For plain values: JSON text depends on the values alone, where a pickle also follows
    # which of them are one object (a list read from the cache pickles apart from a new one).
    return hashlib.blake2b(json.dumps(value).encode(), digest_size=16).hexdigest()


def fragment_salt(row_template, *extra) -> str:
    """What every fragment of a template depends on besides its own values: the template's
    source, the time zone dates are shown in and the shape of the URLs rows link to."""
    return _fragment_salt(
        row_template.template.source, settings.TIME_ZONE, get_script_prefix(), get_urlconf(), extra
    )


@lru_cache(maxsize=64)
def _fragment_salt(source, time_zone, script_prefix, urlconf, extra) -> str:
    # Once per template and URL configuration in a process, not twice a page.
    return _digest(
        (
            source,
            time_zone,
            reverse("shows:detail", kwargs={"slug": "slug"}),
            reverse("episodes:detail", kwargs={"show_slug": "show", "slug": "slug"}),
            *extra,
        )
    )


def ranking_row_values(show) -> list:
    """Everything a ranking row shows."""
    return row_values(show, ("pk", *RANKING_ROW_ANNOTATIONS, *RANKING_ROW))


def ranking_row_key(show, salt: str) -> str:
    """The cache key of one rendered ranking row: a digest of everything the row shows."""
    return "podindex:ranking-row:" + _digest((ranking_row_values(show), salt))


def episode_row_values(episode) -> list:
    """Everything an episode row shows (with its show's, where it names it)."""
    return row_values(episode, ("pk", *EPISODE_ROW, *EPISODE_ROW_SHOW))


def episode_row_key(episode, with_show, salt: str) -> str:
    """The cache key of one rendered episode row: a digest of everything the row shows."""
    return "podindex:episode-row:" + _digest((episode_row_values(episode), bool(with_show), salt))


def person_row_values(row) -> list:
    """Everything a people-ranking row shows (their slug among it)."""
    return row_values(row, (*PERSON_ROW_ANNOTATIONS, *PERSON_ROW))


def person_row_key(row, salt: str) -> str:
    """The cache key of one rendered people-ranking row: a digest of everything the row shows
    (their slug among it, so two people never share a row)."""
    return "podindex:person-row:" + _digest((person_row_values(row), salt))


def appearance_row_values(episode) -> list:
    """Everything a row of a person's episodes shows."""
    return row_values(
        episode, ("pk", *APPEARANCE_ROW_ANNOTATIONS, *APPEARANCE_ROW, *EPISODE_ROW_SHOW)
    )


def appearance_row_key(episode, salt: str) -> str:
    """The cache key of one rendered row of a person's episodes: a digest of everything it shows."""
    return "podindex:appearance-row:" + _digest((appearance_row_values(episode), salt))


def render_cached(template_name: str, items: list, key, context, *salt_extra, values=None) -> str:
    """The fragments of `items` rendered with `template_name`, each from the cache or rendered
    (then cached) once; `key(item, salt)` names an item's fragment, `context(item)` is what
    the template is rendered with.

    With `values(item)` (everything an item's fragment shows, and what the tag adds to it) the
    whole list is cached too, under a digest of all of them: an unchanged list is one cache
    read and one digest, not one of each per item.
    """
    if not items:
        return ""
    row_template = get_template(template_name)
    salt = fragment_salt(row_template, *salt_extra)
    list_key = None
    if values is not None and len(items) > 1:
        list_key = "podindex:row-list:" + _digest(
            (template_name, [values(item) for item in items], salt)
        )
        whole = cache.get(list_key)
        if whole is not None:
            return mark_safe(whole)  # noqa: S308 - fragments rendered by autoescaping templates
    keys = [key(item, salt) for item in items]
    cached = cache.get_many(keys)
    missing = {}
    html = []
    for item, item_key in zip(items, keys, strict=True):
        fragment = cached.get(item_key)
        if fragment is None:
            fragment = str(row_template.render(context(item)))
            missing[item_key] = fragment
        html.append(fragment)
    if list_key:
        missing[list_key] = "".join(html)
    if missing:
        cache.set_many(missing, FRAGMENT_SECONDS)
    return mark_safe("".join(html))  # noqa: S308 - fragments rendered by autoescaping templates


@register.simple_tag(takes_context=True)
def ranking_rows(context, shows):
    """The <li> rows of a ranking: the same HTML as
    `{% for show in shows %}{% include "shows/_ranking_row.html" %}{% endfor %}`."""
    min_episodes = context.get("min_episodes")
    return render_cached(
        "shows/_ranking_row.html",
        list(shows),
        lambda show, salt: ranking_row_key(show, f"{salt}:{min_episodes}"),
        lambda show: {"show": show, "min_episodes": min_episodes},
        values=lambda show: (ranking_row_values(show), min_episodes),
    )


@register.simple_tag
def person_rows(rows):
    """The <li> rows of the people ranking: the same HTML as
    `{% for row in rows %}{% include "people/_person_row.html" %}{% endfor %}`."""
    return render_cached(
        "people/_person_row.html",
        list(rows),
        person_row_key,
        lambda row: {"row": row},
        reverse("people:detail", kwargs={"slug": "slug"}),
        values=person_row_values,
    )


@register.simple_tag(takes_context=True)
def person_profile(context, profile):
    """A person's header, score, topics and quotes (people/_profile.html): rendered from
    `profile` (plain values) and the site's links alone, and cached under a digest of them."""
    values = {**profile, "SITE_LINKS": context.get("SITE_LINKS")}
    return render_cached(
        "people/_profile.html",
        [values],
        lambda item, salt: "podindex:person-profile:" + _json_digest((item, salt)),
        lambda item: item,
    )


@register.simple_tag
def appearance_rows(episodes):
    """The <li> rows of a person's episodes: the same HTML as
    `{% for episode in episodes %}{% include "people/_appearance_row.html" %}{% endfor %}`."""
    return render_cached(
        "people/_appearance_row.html",
        list(episodes),
        appearance_row_key,
        lambda episode: {"episode": episode},
        values=appearance_row_values,
    )


@register.simple_tag
def episode_rows(episodes, with_show=False):
    """The <li> rows of a list of episodes: the same HTML as `{% for episode in episodes %}
    {% include "shows/_episode_row.html" with with_show=... %}{% endfor %}`."""
    return render_cached(
        "shows/_episode_row.html",
        list(episodes),
        lambda episode, salt: episode_row_key(episode, with_show, salt),
        lambda episode: {"episode": episode, "with_show": with_show},
        values=lambda episode: (episode_row_values(episode), bool(with_show)),
    )


@register.filter
def score_band(score):
    """The one-word band of a score: thin, mixed, solid or exceptional."""
    return band(round(score)) if score is not None else ""


def _trend(trend_json) -> list:
    """A show's score_trend from its JSON text (none: no months)."""
    return json.loads(trend_json or "null") or []


@register.filter
def sparkline_points(trend_json, size="100x28"):
    """`points` for a <polyline> of a show's monthly scores (score_trend's JSON text) in a
    width×height box (0–100)."""
    width, height = (int(n) for n in size.split("x"))
    scores = [p["score"] for p in _trend(trend_json)]
    if len(scores) < 2:
        return ""
    step = width / (len(scores) - 1)
    return " ".join(
        f"{i * step:.1f},{height - height * score / 100:.1f}" for i, score in enumerate(scores)
    )


@register.filter
def trend_direction(trend_json):
    """ "up", "down" or "steady": the last month against the first of score_trend's JSON text,
    for words beside charts."""
    trend = _trend(trend_json)
    if len(trend) < 2:
        return ""
    change = trend[-1]["score"] - trend[0]["score"]
    if change >= 3:
        return "up"
    if change <= -3:
        return "down"
    return "steady"


@register.simple_tag
def trend_chart(trend, title="Score trend"):
    """A labelled line chart of monthly average scores, as inline SVG (cached by its data)."""
    return render_cached(
        "shows/_trend_chart.html",
        [(trend or [], title)],
        lambda item, salt: "podindex:trend-chart:" + _digest((item, salt)),
        lambda item: trend_chart_context(*item),
    )


def trend_chart_context(trend, title="Score trend") -> dict:
    """What shows/_trend_chart.html draws: the points, the polyline and the gridlines."""
    trend = trend or []
    inner_width = CHART_WIDTH - 2 * CHART_PAD_X
    inner_height = CHART_HEIGHT - CHART_PAD_TOP - CHART_PAD_BOTTOM
    step = inner_width / (len(trend) - 1) if len(trend) > 1 else 0
    points = []
    for i, point in enumerate(trend):
        x = CHART_PAD_X + (i * step if len(trend) > 1 else inner_width / 2)
        y = CHART_PAD_TOP + inner_height * (1 - point["score"] / 100)
        label = datetime.strptime(point["month"], "%Y-%m").strftime("%b %y")
        points.append({**point, "x": round(x, 1), "y": round(y, 1), "label": label})
    gridlines = [
        {"value": value, "y": round(CHART_PAD_TOP + inner_height * (1 - value / 100), 1)}
        for value in (0, 25, 50, 75, 100)
    ]
    return {
        "title": title,
        "points": points,
        "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
        "gridlines": gridlines,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_PAD_X,
        "right": CHART_WIDTH - CHART_PAD_X,
        "label_y": CHART_HEIGHT - 8,
    }


@register.simple_tag(takes_context=True)
def pager(context, page_obj, htmx=False):
    """A list's links to its previous and next pages (core.pagination.Pager), the page's own
    query string kept; `htmx`: each link also loads its page in place. Made here rather than
    included from a template: the include was a sixth of a search page's template time."""
    if not page_obj.has_other_pages:
        return ""

    def link(rel, url, label):
        swap = format_html(' hx-get="{}"', url) if htmx else ""
        return format_html('<a rel="{}" href="{}"{}>{}</a>', rel, url, swap, label)

    parts = []
    if page_obj.has_previous:
        number = page_obj.previous_page_number
        # The first page's address has no page number.
        previous = querystring(context, page=None if number == 1 else number)
        parts.append(link("prev", previous, "← Previous"))
    parts.append(format_html('<span class="pager-current">Page {}</span>', page_obj.number))
    if page_obj.has_next:
        parts.append(link("next", querystring(context, page=page_obj.next_page_number), "Next →"))
    links = mark_safe("\n".join(parts))  # noqa: S308 - each part made by format_html
    return format_html('<nav class="pager" aria-label="Pages">{}</nav>', links)
