"""The search page's rows of shows and transcript moments, each rendered once and cached, and
each unchanged list of them one cache read (browse.templatetags.browse.render_cached)."""

from django import template

from browse.rows import row_values
from browse.search import MOMENT_SHOWN, SHOW_ROW
from browse.templatetags.browse import _digest, render_cached

register = template.Library()


def show_row_key(show, salt: str) -> str:
    """The cache key of one rendered show row of a search: a digest of everything it shows."""
    return "podindex:search-show-row:" + _digest((row_values(show, ("pk", *SHOW_ROW)), salt))


def moment_row_key(moment, salt: str) -> str:
    """The cache key of one rendered transcript moment: a digest of everything it shows (its
    snippet by the segment's text and the terms marked in it, which decide the snippet, so
    each query's moment is a row of its own and a cached row's snippet is never made)."""
    values = row_values(moment, MOMENT_SHOWN)
    return "podindex:moment-row:" + _digest((values, moment.text, moment.terms, salt))


@register.simple_tag
def show_rows(shows):
    """The <li> rows of the shows a search found: the same HTML as
    `{% for show in shows %}{% include "search/_show_row.html" %}{% endfor %}`."""
    return render_cached(
        "search/_show_row.html",
        list(shows),
        show_row_key,
        lambda s: {"show": s},
        values=lambda s: row_values(s, ("pk", *SHOW_ROW)),
    )


@register.simple_tag
def moment_rows(moments):
    """The <li> rows of the transcript moments a search found: the same HTML as
    `{% for moment in moments %}{% include "search/_moment_row.html" %}{% endfor %}`."""
    return render_cached(
        "search/_moment_row.html",
        list(moments),
        moment_row_key,
        lambda m: {"moment": m},
        values=lambda m: (row_values(m, MOMENT_SHOWN), m.text, m.terms),
    )
