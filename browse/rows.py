"""What a listed row shows, written once: the views load it, the row cache keys on it.

Ranking, episode, people and appearance rows (shows/_ranking_row.html,
shows/_episode_row.html, people/_person_row.html, people/_appearance_row.html) are rendered once
and cached under a digest of the values they show (browse.templatetags.browse). The views'
`.only()` and that digest both read the tuples here, so a field a row template starts to show
is added here and is then loaded and keyed alike; tests/browse/test_rows.py renders each row
from rows loaded with these fields and fails if the template reads anything else.
"""

from functools import lru_cache
from operator import attrgetter

from django.db.models import TextField
from django.db.models.functions import Cast

# A show in a ranking: its own columns, its place in the list the view annotates (the overall
# rank or the rank within a category) and its monthly trend as the database's JSON text
# (RANKING_ROW_TREND), decoded only where a row is rendered: fifty rows' score_trend decoded
# on every page were a tenth of a ranking page's CPU.
RANKING_ROW = (
    "title",
    "slug",
    "author",
    "artwork_url",
    "score",
    "scored_episode_count",
)
RANKING_ROW_ANNOTATIONS = ("position", "trend_json")
RANKING_ROW_TREND = {"trend_json": Cast("score_trend", TextField())}
# An episode in a list; the show's columns are read through episode.show (a select_related
# where the row names its show, the page's own show on a show page).
EPISODE_ROW = ("title", "slug", "published_at", "duration_seconds", "score")
EPISODE_ROW_SHOW = ("show__title", "show__slug")
# A person in the people ranking (people/_person_row.html): their stored figures, their own
# columns, and what the view sets: their place in the list and the image it may show.
PERSON_ROW = (
    "score",
    "scored_count",
    "guest_count",
    "host_count",
    "person__name",
    "person__slug",
    "person__description",
    "person__image_url",
)
PERSON_ROW_ANNOTATIONS = ("position", "image_url")
# An episode on a person's page (people/_appearance_row.html), with the show it is on, and
# what browse.person_page.appearance_rows sets: their roles and share of the words.
APPEARANCE_ROW = ("title", "slug", "published_at", "score")
APPEARANCE_ROW_ANNOTATIONS = ("roles", "word_share")


def row_values(obj, fields: tuple[str, ...]) -> list:
    """The values of `fields` on `obj`, following `a__b` through related objects."""
    return _getter(fields)(obj)


@lru_cache(maxsize=64)
def _getter(fields: tuple[str, ...]):
    # One getter per tuple of fields, made once: made anew for every row, the getters were a
    # quarter of a search page's template time (25 rows, a key and a list digest each).
    getters = [attrgetter(name.replace("__", ".")) for name in fields]
    return lambda obj: [get(obj) for get in getters]
