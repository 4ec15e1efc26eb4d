"""Template helpers for the browsing pages: score bands and inline SVG trend charts."""

import hashlib
from datetime import datetime

from django import template
from django.conf import settings
from django.core.cache import cache
from django.template.loader import get_template
from django.urls import reverse
from django.utils.safestring import mark_safe

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


# What a ranking row shows (shows/_ranking_row.html): its cached HTML is keyed by these values.
RANKING_ROW_VALUES = (
    "pk",
    "position",
    "title",
    "slug",
    "author",
    "artwork_url",
    "score",
    "scored_episode_count",
    "score_trend",
)
RANKING_ROW_SECONDS = 24 * 3600


def ranking_row_key(show, salt: str) -> str:
    """The cache key of one rendered ranking row: a digest of everything the row shows.

    The row's HTML is a function of these values and of the salt (ranking_row_salt), so a key
    is never stale and needs no content version: after a scoring burst only the rows whose
    figures changed are rendered again.
    """
    values = [getattr(show, name, None) for name in RANKING_ROW_VALUES]
    raw = repr((values, salt))
    return "podindex:ranking-row:" + hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


def ranking_row_salt(row_template, min_episodes) -> str:
    """What every row depends on besides its show: the template's source, the setting it
    shows and the shape of a show's URL (the row links to reverse("shows:detail"))."""
    raw = repr(
        (
            row_template.template.source,
            min_episodes,
            reverse("shows:detail", kwargs={"slug": "slug"}),
        )
    )
    return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


@register.simple_tag(takes_context=True)
def ranking_rows(context, shows):
    """The <li> rows of a ranking, each from the cache or rendered (then cached) once.

    The same HTML as `{% for show in shows %}{% include "shows/_ranking_row.html" %}`.
    """
    shows = list(shows)
    if not shows:
        return ""
    min_episodes = context.get("min_episodes")
    row_template = get_template("shows/_ranking_row.html")
    salt = ranking_row_salt(row_template, min_episodes)
    keys = [ranking_row_key(show, salt) for show in shows]
    cached = cache.get_many(keys)
    missing = {}
    html = []
    for show, key in zip(shows, keys, strict=True):
        row = cached.get(key)
        if row is None:
            row = row_template.render({"show": show, "min_episodes": min_episodes})
            missing[key] = str(row)
        html.append(row)
    if missing:
        cache.set_many(missing, RANKING_ROW_SECONDS)
    return mark_safe("".join(html))  # noqa: S308 - rows rendered by the autoescaping template


@register.filter
def score_band(score):
    """The one-word band of a score: thin, mixed, solid or exceptional."""
    return band(round(score)) if score is not None else ""


@register.filter
def sparkline_points(trend, size="100x28"):
    """`points` for a <polyline> of a show's monthly scores in a width×height box (0–100)."""
    width, height = (int(n) for n in size.split("x"))
    scores = [p["score"] for p in trend or []]
    if len(scores) < 2:
        return ""
    step = width / (len(scores) - 1)
    return " ".join(
        f"{i * step:.1f},{height - height * score / 100:.1f}" for i, score in enumerate(scores)
    )


@register.filter
def trend_direction(trend):
    """ "up", "down" or "steady": the last month against the first, for words beside charts."""
    if not trend or len(trend) < 2:
        return ""
    change = trend[-1]["score"] - trend[0]["score"]
    if change >= 3:
        return "up"
    if change <= -3:
        return "down"
    return "steady"


@register.inclusion_tag("shows/_trend_chart.html")
def trend_chart(trend, title="Score trend"):
    """A labelled line chart of monthly average scores, as inline SVG."""
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
