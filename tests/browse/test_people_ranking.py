"""People's stored figures and ranks: the shrunk mean, the minimum, categories, hiding, sweeps."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from episodes.models import Episode
from people import ranking
from people.models import Appearance, Person, PersonCategory, PersonRanking
from tests.factories import (
    AppearanceFactory,
    CategoryFactory,
    PersonFactory,
    ShowFactory,
    TopicFactory,
)
from tests.factories.scoring import score_episode, scored_episode

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_prior(settings):
    settings.PODINDEX_PEOPLE_PRIOR_WEIGHT = 3
    settings.PODINDEX_PEOPLE_MIN_APPEARANCES = 2


def on(person, *totals, show=None, role=Appearance.Role.GUEST):
    """Put `person` on new episodes scored these totals (on `show`, or a new one each)."""
    for total in totals:
        episode = scored_episode(total=total, **({"show": show} if show else {}))
        AppearanceFactory(person=person, episode=episode, role=role)


def figures(person):
    return PersonRanking.objects.get(person=person)


def test_it_shrinks_a_persons_mean_towards_the_mean_of_their_categories(settings):
    finance = CategoryFactory(slug="finance")
    show = ShowFactory(categories=[finance])
    # The category's mean is 60 (the person's four episodes and two others at 30).
    scored_episode(total=30, show=show)
    scored_episode(total=30, show=show)
    jane = PersonFactory(name="Jane")
    on(jane, 80, 70, 90, 60, show=show)

    ranking.recompute_all()

    assert figures(jane).score == pytest.approx((3 * 60 + 300) / 7, abs=0.01)
    assert figures(jane).scored_count == 4
    assert figures(jane).rank == 1


def test_it_ranks_only_people_with_enough_scored_episodes_and_shares_ranks_on_ties(settings):
    settings.PODINDEX_PEOPLE_PRIOR_WEIGHT = 0
    pat, twin, sam = PersonFactory(), PersonFactory(), PersonFactory()
    on(pat, 90, 90)
    on(twin, 90, 90)
    on(sam, 99)  # one episode: below the minimum of two
    unscored = PersonFactory()
    AppearanceFactory(person=unscored)

    ranking.recompute_all()

    assert (figures(pat).rank, figures(twin).rank) == (1, 1)
    assert figures(sam).rank is None and figures(sam).score == 99
    assert figures(unscored).score is None and figures(unscored).appearance_count == 1


def test_it_counts_an_episode_once_however_many_roles_they_have_on_it():
    host = PersonFactory()
    episode = scored_episode(total=50)
    AppearanceFactory(person=host, episode=episode, role=Appearance.Role.HOST)
    AppearanceFactory(person=host, episode=episode, role=Appearance.Role.GUEST)

    ranking.refresh_people([host.pk])

    row = figures(host)
    assert (row.appearance_count, row.scored_count, row.guest_count, row.host_count) == (1, 1, 1, 1)


def test_it_ranks_people_within_each_category_they_speak_in(settings):
    settings.PODINDEX_PEOPLE_PRIOR_WEIGHT = 0
    finance, sales = CategoryFactory(slug="finance"), CategoryFactory(slug="sales")
    in_finance, in_sales = ShowFactory(categories=[finance]), ShowFactory(categories=[sales])
    alice, bob = PersonFactory(), PersonFactory()
    on(alice, 80, show=in_finance)
    on(alice, 80, show=in_sales)
    on(bob, 70, 70, show=in_finance)

    ranking.recompute_all()

    ranks = {
        (p.person_id, p.category.slug): p.rank
        for p in PersonCategory.objects.select_related("category")
    }
    assert ranks == {
        (alice.pk, "finance"): 1,
        (alice.pk, "sales"): 1,
        (bob.pk, "finance"): 2,
    }


def test_a_hidden_person_loses_their_rank_and_hidden_episodes_stop_counting(settings):
    settings.PODINDEX_PEOPLE_PRIOR_WEIGHT = 0
    first, second = PersonFactory(), PersonFactory()
    on(first, 90, 90)
    on(second, 80, 80)
    ranking.recompute_all()

    first.hidden = True
    first.save()
    ranking.refresh_people([first.pk])
    assert figures(first).rank is None
    assert figures(second).rank == 1

    Episode.objects.filter(appearances__person=second).set_hidden(True)
    ranking.refresh_people([second.pk])
    # No listed appearance left: no figures, so no place in any list.
    assert not PersonRanking.objects.filter(person=second).exists()


def test_the_sweep_refreshes_people_whose_episodes_were_scored_since_the_last_sweep(settings):
    settings.PODINDEX_PEOPLE_PRIOR_WEIGHT = 0
    guest, bystander = PersonFactory(), PersonFactory()
    on(guest, 60, 60)
    on(bystander, 50, 50)
    ranking.recompute_all()
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Episode.objects.update(scored_at=an_hour_ago)
    Appearance.objects.update(created_at=an_hour_ago)
    Person.objects.update(updated_at=an_hour_ago)
    cache.set(ranking.SWEPT_KEY, timezone.now())
    assert ranking.refresh_changed() == 0

    score_episode(guest.appearances.first().episode, total=90)

    assert ranking.refresh_changed() == 1
    assert figures(guest).score == 75
    assert figures(bystander).score == 50


def test_the_sweep_finds_new_appearances_and_edited_people():
    cache.set(ranking.SWEPT_KEY, timezone.now() - ranking.SWEEP_OVERLAP)
    newcomer = PersonFactory()
    AppearanceFactory(person=newcomer, episode=scored_episode(total=70))

    assert ranking.changed_since(timezone.now() - timedelta(minutes=1)) == {newcomer.pk}
    ranking.refresh_changed()
    assert figures(newcomer).score == pytest.approx(70)


def test_it_stores_the_topics_of_their_episodes_most_frequent_first():
    person = PersonFactory()
    churn, pricing, hiring = (
        TopicFactory(name=name, slug=name.lower()) for name in ("Churn", "Pricing", "Hiring")
    )
    for topics in ((churn, pricing), (churn,), (hiring, churn, pricing)):
        episode = scored_episode(total=60)
        episode.topics.add(*topics)
        AppearanceFactory(person=person, episode=episode)
    hidden = scored_episode(total=60)
    hidden.topics.add(hiring)
    AppearanceFactory(person=person, episode=hidden)
    Episode.objects.filter(pk=hidden.pk).set_hidden(True)

    ranking.refresh_people([person.pk])

    assert figures(person).topics == [
        {"name": "Churn", "slug": "churn", "episodes": 3},
        {"name": "Pricing", "slug": "pricing", "episodes": 2},
        {"name": "Hiring", "slug": "hiring", "episodes": 1},
    ]


def test_it_reranks_everyone_only_when_a_rank_may_have_moved(monkeypatch, settings):
    settings.PODINDEX_PEOPLE_PRIOR_WEIGHT = 0
    steady, mover = PersonFactory(), PersonFactory()
    on(steady, 60, 60)
    on(mover, 50, 50)
    ranking.recompute_all()
    reranks = []
    real_rerank = ranking.rerank
    monkeypatch.setattr(ranking, "rerank", lambda: reranks.append(1) or real_rerank())

    ranking.refresh_people([steady.pk, mover.pk])
    assert reranks == []

    score_episode(mover.appearances.first().episode, total=90)
    ranking.refresh_people([mover.pk])
    assert reranks == [1]
    assert (figures(mover).rank, figures(steady).rank) == (1, 2)

    Person.objects.filter(pk=steady.pk).update(hidden=True)
    ranking.refresh_people([steady.pk])
    assert reranks == [1, 1]
    assert figures(steady).rank is None
