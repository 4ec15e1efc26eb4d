"""What a person's page shows, each part in one query: their appearances, share of the words
where their voice is known and their best verified quotes (their topics are stored figures,
people.ranking)."""

from collections import defaultdict
from urllib.parse import urlsplit

from django.db.models import F

from browse.rows import APPEARANCE_ROW, APPEARANCE_ROW_ANNOTATIONS, EPISODE_ROW_SHOW
from core.absolute import absolute_url
from core.page_cache import cached_by_version
from core.paths import slug_path
from core.prepared import InKeys, PreparedQuery
from episodes.models import Episode, Transcript, listed_q
from people.models import Appearance
from scoring.models import DimensionScore, current_scorecard_q
from scoring.quotes import current_quotes

QUOTES = 5
# Quotes are looked for in this many of their best-scored episodes where their voice is known:
# each one's transcript is read to check the quotes still stand as stored.
QUOTE_EPISODES = 5


def https_only(url: str) -> str:
    """An image URL we may show: https only (never fetched by us, never mixed content)."""
    return url if url.startswith("https://") else ""


def web_link(url: str) -> str:
    """A website we may link to: http(s) only, whatever a feed stored."""
    return url if urlsplit(url).scheme in ("http", "https") else ""


def listed_appearances(person):
    """The person's appearances on episodes the public may see."""
    return Appearance.objects.filter(listed_q("episode__"), person=person)


def person_episodes(person):
    """The listed episodes a person is on, newest first (once each, whatever their roles)."""
    return (
        Episode.objects.listed()
        .filter(pk__in=Appearance.objects.filter(person=person).values("episode_id"))
        .select_related("show")
        .order_by(F("published_at").desc(nulls_last=True), "-pk")
    )


def person_episode_order(person) -> list[int]:
    """The keys of person_episodes: kept until the content changes, as every page of theirs
    shares it and a regular's order reads all their episodes."""
    return cached_by_version(
        f"person:order:{person.pk}",
        lambda: list(person_episodes(person).values_list("pk", flat=True)),
    )


def person_topics(person) -> list[dict]:
    """The topics of their listed episodes, most frequent first: {name, slug, episodes}
    (stored with their figures by people.ranking; read `person` with its ranking)."""
    ranking = getattr(person, "ranking", None)
    return ranking.topics if ranking else []


class ShowLink:
    """A show as a row names it: its title and the path of its page."""

    __slots__ = ("slug", "title")

    def __init__(self, title: str, slug: str):
        self.title, self.slug = title, slug

    def get_absolute_url(self) -> str:
        return slug_path("shows:detail", slug=self.slug)


class AppearanceRow:
    """A listed episode on a person's page as plain values: what people/_appearance_row.html
    shows (browse.rows.APPEARANCE_ROW and its show's EPISODE_ROW_SHOW) and no model instance."""

    __slots__ = ("pk", "show", *APPEARANCE_ROW, *APPEARANCE_ROW_ANNOTATIONS)

    def __init__(self, pk: int, values, show: ShowLink):
        self.pk, self.show = pk, show
        for name, value in zip(APPEARANCE_ROW, values, strict=True):
            setattr(self, name, value)
        self.roles, self.word_share = [], None

    def get_absolute_url(self) -> str:
        return slug_path("episodes:detail", show_slug=self.show.slug, slug=self.slug)


def appearance_rows(person, keys: list[int]) -> list[AppearanceRow]:
    """The listed episodes with these keys, in this order, with what a person's page shows of
    them: `roles`, and `word_share` (percent, or None) where their voice is known."""
    episodes, labels = {}, {}
    # One row per role, read as values: a regular's page built an appearance, an episode and
    # a show instance per role (about 60) only to read a dozen values from them.
    for episode_id, role, label, *row, show_title, show_slug in _APPEARANCES(person.pk, keys):
        episode = episodes.get(episode_id)
        if episode is None:
            episode = episodes[episode_id] = AppearanceRow(
                episode_id, row, ShowLink(show_title, show_slug)
            )
        episode.roles.append(Appearance.Role(role).label)
        if label:
            labels[episode_id] = label
    speakers = dict(_SPEAKERS(list(labels))) if labels else {}
    rows = [episodes[pk] for pk in keys if pk in episodes]
    for episode in rows:
        episode.word_share = word_share(speakers.get(episode.pk), labels.get(episode.pk))
    return rows


def _appearances(person_id, keys):
    return (
        Appearance.objects.filter(
            InKeys(F("episode_id"), keys), listed_q("episode__"), person_id=person_id
        )
        .order_by("role")
        .values_list(
            "episode_id",
            "role",
            "speaker_label",
            *(f"episode__{name}" for name in (*APPEARANCE_ROW, *EPISODE_ROW_SHOW)),
        )
    )


def _speakers(keys):
    return Transcript.objects.filter(InKeys(F("episode_id"), keys)).values_list(
        "episode_id", "analysis__speakers"
    )


# Compiled once per process (core.prepared), whatever the number of keys: a page's appearances
# with their episodes' and shows' values, and the speakers of those episodes' transcripts.
_APPEARANCES = PreparedQuery(_appearances, int, list)
_SPEAKERS = PreparedQuery(_speakers, list)


def word_share(speakers, label: str | None) -> int | None:
    """The share of words (percent) the conversation analysis gives the speaker `label`."""
    if not label or not isinstance(speakers, list):
        return None
    for row in speakers:
        if isinstance(row, dict) and row.get("label") == label:
            return row.get("share")
    return None


def person_quotes(person) -> list[dict]:
    """Their best verified quotes: said in their voice, still in the transcript as it stands,
    from their best-scored episodes, each with a link to the moment."""
    voices = dict(
        listed_appearances(person)
        .filter(episode__score__isnull=False)
        .exclude(speaker_label="")
        .order_by("-episode__score", "-episode_id")
        .values_list("episode_id", "speaker_label")[:QUOTE_EPISODES]
    )
    if not voices:
        return []
    stored = (
        DimensionScore.objects.filter(
            current_scorecard_q("scorecard__"), scorecard__episode_id__in=list(voices)
        )
        .exclude(quotes=[])
        .values_list("scorecard__episode_id", "quotes", "dimension__name", "effective_score")
    )
    by_episode = defaultdict(list)
    for episode_id, quotes, dimension, score in stored:
        by_episode[episode_id].extend(
            {**q, "dimension": dimension, "dimension_score": score or 0}
            for q in quotes
            if isinstance(q, dict) and q.get("verified") and q.get("speaker") == voices[episode_id]
        )
    if not by_episode:
        return []
    segments = dict(
        Transcript.objects.filter(episode_id__in=list(by_episode)).values_list(
            "episode_id", "segments"
        )
    )
    episodes = (
        Episode.objects.filter(pk__in=list(by_episode))
        .select_related("show")
        .only("title", "slug", "score", "show__title", "show__slug")
        .in_bulk()
    )
    found = []
    for episode_id, quotes in by_episode.items():
        for quote in current_quotes(segments.get(episode_id) or [], quotes):
            # Found again, maybe now said by someone else (an editor corrected the labels).
            if quote["speaker"] != voices[episode_id]:
                continue
            # (split_quotes keeps the keys it was given: the dimension and its score.)
            found.append(
                {
                    **quote,
                    "episode": episodes[episode_id],
                    "url": moment_url(episodes[episode_id], quote.get("start")),
                }
            )
    found.sort(key=lambda q: (q["dimension_score"], q["episode"].score or 0), reverse=True)
    return found[:QUOTES]


def moment_url(episode, start) -> str:
    """The episode page, at the moment `start` (seconds) when known."""
    anchor = f"#t={int(start)}" if isinstance(start, int | float) else ""
    return episode.get_absolute_url() + anchor


def episode_people(appearances) -> tuple[list[dict], dict]:
    """An episode's visible people ({person, roles}, one entry each) and the voices known to
    be theirs (transcript label → person), from its appearances."""
    people, voices = {}, {}
    for appearance in appearances:
        entry = people.setdefault(appearance.person_id, {"person": appearance.person, "roles": []})
        entry["roles"].append(appearance.get_role_display().lower())
        if appearance.speaker_label:
            voices[appearance.speaker_label] = appearance.person
    return list(people.values()), voices


def person_jsonld(person, topics) -> dict:
    """schema.org Person for a person's page: only what a source gave."""
    data = {
        "@context": "https://schema.org",
        "@type": "Person",
        "name": person.name,
        "url": absolute_url(person.get_absolute_url()),
    }
    if person.description:
        data["description"] = person.description
    if image := https_only(person.image_url):
        data["image"] = image
    same_as = [url for url in (person.website, person.href) if url.startswith("https://")]
    if same_as:
        data["sameAs"] = list(dict.fromkeys(same_as))
    if topics:
        data["knowsAbout"] = [topic["name"] for topic in topics]
    return data
