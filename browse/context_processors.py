"""The links every page's frame (base.html) carries, worked out once per process."""

from functools import lru_cache

from django.conf import settings
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse

# The pages and static files base.html links to, by the names templates read them by
# (`{{ SITE_LINKS.people }}`). {% url %} and {% static %} cost ~15 µs each, ten or more on
# every page, for paths that do not change while a process runs.
PAGES = {
    "home": "home",
    "rankings": "shows:list",
    "people": "people:list",
    "methodology": "methodology",
    "rss": "rss",
    "search": "search",
}
FILES = {
    "favicon": "favicon.svg",
    "site_css": "css/site.css",
    "browse_css": "css/browse.css",
    "htmx_js": "js/htmx.min.js",
    "site_js": "js/site.js",
}


def site_links(request) -> dict:
    """`SITE_LINKS`: the paths of the pages and static files every page links to."""
    return {"SITE_LINKS": _links(get_script_prefix(), get_urlconf(), settings.STATIC_URL)}


# What reverse() and static() read is the key (the static storage is fixed per process).
@lru_cache(maxsize=16)
def _links(script_prefix: str, urlconf, static_url: str) -> dict[str, str]:
    pages = {name: reverse(view, urlconf=urlconf) for name, view in PAGES.items()}
    return pages | {name: static(path) for name, path in FILES.items()}
