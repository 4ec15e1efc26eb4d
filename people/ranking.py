"""People rankings: a shrunk mean of the scores of the episodes each person is on, and ranks.

The formula (explained on the methodology page, templates/people/_ranking_formula.html):

    person score = (C * m + Σ sᵢ) / (C + n)

where sᵢ are the effective scores of the n distinct listed, scored episodes the person is on
(in any role), C is PODINDEX_PEOPLE_PRIOR_WEIGHT and m is the prior, as for shows
(scoring.ranking.prior_for): the mean of the means of the categories of those episodes' shows,
or the mean of every scored episode. Visible people with at least
PODINDEX_PEOPLE_MIN_APPEARANCES scored episodes get a dense rank, overall and in each category
they have a scored episode in.

Figures are stored on PersonRanking and PersonCategory. Nothing below people may call in here
(layers), so the hand-off is by database state: `refresh_changed` (every minute, by beat)
refreshes the people whose episodes were scored or overridden, whose appearances were added
or whose record changed since the previous sweep; `recompute_all` (nightly) also catches
what leaves no timestamp (an episode hidden, an appearance deleted).
"""

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from core.page_cache import bump_content_version
from episodes.models import Episode, listed_q
from people.models import Appearance, Person, PersonCategory, PersonRanking
from scoring.models import EditorialOverride
from scoring.ranking import bayesian_score, category_means, prior_for, prior_means
from shows.models import ShowCategory

BATCH_SIZE = 1000
# Topics kept per person (their page lists them).
TOPICS = 8
HOST_ROLES = {Appearance.Role.HOST, Appearance.Role.CO_HOST, Appearance.Role.GUEST_HOST}
# The sweep looks back from its previous start by this much: a change committed late (its
# timestamp set before the previous sweep read) is still found. Refreshing twice is harmless.
SWEEP_OVERLAP = timedelta(minutes=2)
# Without a record of the previous sweep (a cleared cache), it looks back this far.
FIRST_SWEEP = timedelta(days=1)
SWEPT_KEY = "people:ranking:swept-at"
# pg_advisory_xact_lock key serialising re-ranks (scoring.ranking uses its own).
RANK_LOCK_KEY = 0x70656F70

RANKED_PERSON = """
    p.hidden = %(false)s AND r.score IS NOT NULL AND r.scored_count >= %(minimum)s
"""
# Unranking uses NOT EXISTS, not NOT IN: PostgreSQL hashes a NOT IN subquery only when it fits
# work_mem (4 MB by default), and at 500,000 people the re-rank compared every ranked row with
# every other (it never finished at the 2.5M bench catalogue).
RANK_STATEMENTS = [
    f"""
    UPDATE people_personranking SET rank = x.new_rank
    FROM (
        SELECT r.person_id, DENSE_RANK() OVER (ORDER BY r.score DESC) AS new_rank
        FROM people_personranking r JOIN people_person p ON p.id = r.person_id
        WHERE {RANKED_PERSON}
    ) x
    WHERE people_personranking.person_id = x.person_id
      AND (people_personranking.rank IS NULL OR people_personranking.rank <> x.new_rank)
    """,  # noqa: S608 - constant SQL; the values are parameters
    f"""
    UPDATE people_personranking SET rank = NULL
    WHERE rank IS NOT NULL AND NOT EXISTS (
        SELECT 1
        FROM people_personranking r JOIN people_person p ON p.id = r.person_id
        WHERE r.person_id = people_personranking.person_id AND {RANKED_PERSON}
    )
    """,  # noqa: S608 - constant SQL; the values are parameters
    f"""
    UPDATE people_personcategory SET rank = x.new_rank
    FROM (
        SELECT pc.id,
               DENSE_RANK() OVER (PARTITION BY pc.category_id ORDER BY r.score DESC) AS new_rank
        FROM people_personcategory pc
        JOIN people_personranking r ON r.person_id = pc.person_id
        JOIN people_person p ON p.id = pc.person_id
        WHERE {RANKED_PERSON}
    ) x
    WHERE people_personcategory.id = x.id
      AND (people_personcategory.rank IS NULL OR people_personcategory.rank <> x.new_rank)
    """,  # noqa: S608 - constant SQL; the values are parameters
    f"""
    UPDATE people_personcategory SET rank = NULL
    WHERE rank IS NOT NULL AND NOT EXISTS (
        SELECT 1
        FROM people_personranking r JOIN people_person p ON p.id = r.person_id
        WHERE r.person_id = people_personcategory.person_id AND {RANKED_PERSON}
    )
    """,  # noqa: S608 - constant SQL; the values are parameters
]


def refresh_people(person_ids, means: dict | None = None) -> None:
    """Recompute these people's figures and re-rank everyone (a few queries per batch)."""
    ids = sorted(set(person_ids))
    if not ids:
        return
    with transaction.atomic():
        moved = False
        for start in range(0, len(ids), BATCH_SIZE):
            batch = ids[start : start + BATCH_SIZE]
            moved |= _refresh_batch(batch, means if means is not None else _prior_means(batch))
        # Re-ranking everyone is the costly part: only when a rank may have moved.
        if moved:
            rerank()
        else:
            # Their figures (counts, topics) were written all the same: pages show them.
            transaction.on_commit(bump_content_version)


def recompute_all(progress: Callable[[int, int], None] | None = None) -> None:
    """Recompute every person's figures and ranks; `progress(done, total)` after each batch."""
    means = category_means()
    ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH_SIZE):
        with transaction.atomic():
            _refresh_batch(ids[start : start + BATCH_SIZE], means)
        if progress:
            progress(min(start + BATCH_SIZE, len(ids)), len(ids))
    with transaction.atomic():
        rerank()


def changed_since(since) -> set[int]:
    """People whose figures may have changed since `since`: an episode of theirs scored or
    overridden, an appearance added, their own record edited (hidden, say).

    Four small queries, each over an index on its timestamp (people migration 0005 for
    appearances and people), rather than one that joins every appearance to its episode.
    """
    episodes = set(Episode.objects.filter(scored_at__gte=since).values_list("pk", flat=True))
    episodes |= set(
        EditorialOverride.objects.filter(created_at__gte=since).values_list("episode_id", flat=True)
    )
    appearances = Appearance.objects.filter(
        Q(created_at__gte=since) | Q(episode_id__in=sorted(episodes))
    )
    ids = set(appearances.values_list("person_id", flat=True).distinct().order_by())
    ids |= set(Person.objects.filter(updated_at__gte=since).values_list("pk", flat=True))
    return ids


def refresh_changed() -> int:
    """Refresh the people changed since the previous sweep (changed_since); returns how many."""
    started = timezone.now()
    previous = cache.get(SWEPT_KEY) or started - FIRST_SWEEP
    ids = changed_since(previous - SWEEP_OVERLAP)
    refresh_people(ids)
    cache.set(SWEPT_KEY, started, timeout=None)
    return len(ids)


def rerank() -> None:
    """Dense ranks over the ranked people, overall and per category, in four UPDATEs."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [RANK_LOCK_KEY])
    values = {"minimum": settings.PODINDEX_PEOPLE_MIN_APPEARANCES, "false": False}
    with connection.cursor() as cursor:
        for statement in RANK_STATEMENTS:
            cursor.execute(statement, values)
    transaction.on_commit(bump_content_version)


def _prior_means(person_ids: list[int]) -> dict:
    category_ids = (
        ShowCategory.objects.filter(show__episodes__appearances__person_id__in=person_ids)
        .values_list("category_id", flat=True)
        .distinct()
        .order_by()
    )
    return prior_means(list(category_ids))


def _refresh_batch(person_ids: list[int], means: dict) -> bool:
    """Store the figures of these people from their listed appearances; whether a rank may
    have moved (a score or count changed, or a person's rank disagrees with their hiding)."""
    before = {
        person_id: (score, scored_count, rank, hidden)
        for person_id, score, scored_count, rank, hidden in PersonRanking.objects.filter(
            person_id__in=person_ids
        ).values_list("person_id", "score", "scored_count", "rank", "person__hidden")
    }
    rows = Appearance.objects.filter(listed_q("episode__"), person_id__in=person_ids).values_list(
        "person_id",
        "episode_id",
        "role",
        "episode__score",
        "episode__published_at",
        "episode__created_at",
        "episode__show_id",
    )
    episodes = defaultdict(dict)
    roles = defaultdict(lambda: defaultdict(set))
    for person_id, episode_id, role, score, published_at, created_at, show_id in rows:
        episodes[person_id][episode_id] = (score, published_at or created_at, show_id)
        roles[person_id][episode_id].add(role)
    topics = _topics(episodes)
    show_ids = {show for person in episodes.values() for _, _, show in person.values()}
    show_categories = defaultdict(list)
    for show_id, category_id in ShowCategory.objects.filter(show_id__in=show_ids).values_list(
        "show_id", "category_id"
    ):
        show_categories[show_id].append(category_id)

    prior_weight = settings.PODINDEX_PEOPLE_PRIOR_WEIGHT
    rankings, placements = [], []
    for person_id, on in episodes.items():
        scored = [(score, show) for score, _, show in on.values() if score is not None]
        in_categories = Counter(c for _, show in scored for c in show_categories[show])
        score = bayesian_score(
            float(sum(score for score, _ in scored)),
            float(len(scored)),
            prior_for(in_categories, means),
            prior_weight,
        )
        dates = [published for _, published, _ in on.values()]
        rankings.append(
            PersonRanking(
                person_id=person_id,
                score=round(score, 2) if score is not None else None,
                appearance_count=len(on),
                scored_count=len(scored),
                guest_count=sum(1 for r in roles[person_id].values() if Appearance.Role.GUEST in r),
                host_count=sum(1 for r in roles[person_id].values() if r & HOST_ROLES),
                latest_appearance_at=max(dates) if dates else None,
                topics=topics.get(person_id, []),
                refreshed_at=timezone.now(),
            )
        )
        placements.extend(
            PersonCategory(person_id=person_id, category_id=category_id, appearances=count)
            for category_id, count in in_categories.items()
        )
    # People with no listed appearance left have no figures (and so no place in any list).
    PersonRanking.objects.filter(person_id__in=person_ids).exclude(
        person_id__in=list(episodes)
    ).delete()
    PersonRanking.objects.bulk_create(
        rankings,
        update_conflicts=True,
        unique_fields=["person"],
        update_fields=[
            "score",
            "appearance_count",
            "scored_count",
            "guest_count",
            "host_count",
            "latest_appearance_at",
            "topics",
            "refreshed_at",
        ],
    )
    # Placements kept keep their rank until rerank() (a category's list never empties midway).
    kept = {(p.person_id, p.category_id) for p in placements}
    existing = {
        (person_id, category_id): pk
        for pk, person_id, category_id in PersonCategory.objects.filter(
            person_id__in=person_ids
        ).values_list("pk", "person_id", "category_id")
    }
    stale = [pk for pair, pk in existing.items() if pair not in kept]
    PersonCategory.objects.filter(pk__in=stale).delete()
    PersonCategory.objects.bulk_create(
        placements,
        update_conflicts=True,
        unique_fields=["person", "category"],
        update_fields=["appearances"],
    )
    return _ranks_may_move(before, rankings, placements_changed=kept != set(existing))


def _ranks_may_move(before: dict, rankings: list, placements_changed: bool) -> bool:
    if placements_changed or len(before) != len(rankings):
        return True
    for row in rankings:
        old = before.get(row.person_id)
        if old is None or (old[0], old[1]) != (row.score, row.scored_count):
            return True
        # Hidden (or shown again) since the last re-rank: the rank disagrees.
        ranked = old[2] is not None
        eligible = (
            not old[3]
            and row.score is not None
            and row.scored_count >= settings.PODINDEX_PEOPLE_MIN_APPEARANCES
        )
        if ranked != eligible:
            return True
    return False


def _topics(episodes: dict[int, dict]) -> dict[int, list[dict]]:
    """Each person's topics over their listed episodes, most frequent first (TOPICS of them)."""
    filed = defaultdict(list)
    names = {}
    episode_ids = {episode for on in episodes.values() for episode in on}
    for episode_id, topic_id, name, slug in Episode.topics.through.objects.filter(
        episode_id__in=episode_ids
    ).values_list("episode_id", "topic_id", "topic__name", "topic__slug"):
        filed[episode_id].append(topic_id)
        names[topic_id] = (name, slug)
    topics = {}
    for person_id, on in episodes.items():
        counts = Counter(topic for episode in on for topic in filed[episode])
        best = sorted(counts.items(), key=lambda item: (-item[1], names[item[0]][0]))[:TOPICS]
        topics[person_id] = [
            {"name": names[topic][0], "slug": names[topic][1], "episodes": count}
            for topic, count in best
        ]
    return topics
