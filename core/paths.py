"""reverse() for the paths a page builds many times over, at a fraction of the CPU.

A page links to dozens of shows, episodes, people and topics, and Django's reverse() tries
the URL pattern's candidates, formats, checks and quotes every one: about 25 µs a link, a
twentieth of the episode page. Where every argument is a slug, the pattern is reversed once
per process (with marker slugs) and the path is that template with the slugs put in: a slug
matches the pattern's converter as it is and needs no quoting, so the path is reverse()'s own.
Anything else (a value that is not a slug) goes to reverse(), which raises as it would.
"""

import re
from functools import lru_cache

from django.urls import get_script_prefix, get_urlconf, reverse

# Django's slug path converter's pattern.
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_MARKER = "podindexslugmarker{}x"


def slug_path(viewname: str, **slugs: str) -> str:
    """reverse(viewname, kwargs=slugs), for a URL whose arguments are all slugs."""
    if not all(type(value) is str and _SLUG.fullmatch(value) for value in slugs.values()):
        return reverse(viewname, kwargs=slugs)
    parts = _template(viewname, tuple(slugs), get_script_prefix(), get_urlconf())
    return "".join(text if name is None else slugs[name] for text, name in parts)


# The script prefix and URL configuration are part of the key: reverse() reads them.
@lru_cache(maxsize=64)
def _template(viewname: str, names: tuple, script_prefix: str, urlconf) -> tuple:
    """The path reverse() gives, as (text, None) for literal text and (None, name) where the
    argument `name` goes."""
    markers = {_MARKER.format(position): name for position, name in enumerate(names)}
    path = reverse(viewname, urlconf=urlconf, kwargs={name: m for m, name in markers.items()})
    pattern = "(" + "|".join(map(re.escape, markers)) + ")"
    return tuple(
        (None, markers[part]) if part in markers else (part, None)
        for part in re.split(pattern, path)
        if part
    )
