"""Topic pages: the episodes filed under a topic, best scored first."""

import re

import pytest

from episodes.models import Episode
from tests.factories import EpisodeFactory, ShowFactory, TopicFactory, scored_episode

pytestmark = pytest.mark.django_db


def titles(html):
    return re.findall(r'<li>\s*<a href="/shows/[^"]+">([^<]+)</a>', html)


@pytest.fixture
def pricing():
    return TopicFactory(name="Pricing", slug="pricing")


def filed(topic, title, score, **kwargs):
    if score is None:
        episode = EpisodeFactory(title=title, **kwargs)
    else:
        episode = scored_episode(total=score, title=title, **kwargs)
    episode.topics.add(topic)
    return episode


def test_it_lists_a_topics_episodes_best_first_with_their_shows(client, pricing):
    filed(pricing, "Good", 61, show=ShowFactory(title="Show G"))
    filed(pricing, "Best", 92)
    filed(pricing, "Unscored", None)
    scored_episode(total=99, title="Other topic")
    hidden = filed(pricing, "Hidden", 95)
    Episode.objects.filter(pk=hidden.pk).update(hidden=True)

    html = client.get("/topics/pricing/").content.decode()

    assert "<h1>B2B podcast episodes on Pricing</h1>" in html
    assert titles(html) == ["Best", "Good", "Unscored"]
    assert "Show G · " in html
    assert 'href="/topics/pricing/rss/"' in html and 'type="application/rss+xml"' in html


def test_it_answers_404_for_an_unknown_topic_or_a_page_past_the_end(client, pricing):
    filed(pricing, "Only", 50)

    assert client.get("/topics/nope/").status_code == 404
    assert client.get("/topics/pricing/?page=2").status_code == 404
    assert titles(client.get("/topics/pricing/?page=-3").content.decode()) == ["Only"]


def test_it_escapes_markup_in_episode_titles(client, pricing):
    filed(pricing, "<img src=x onerror=alert(1)>", 70)

    html = client.get("/topics/pricing/").content.decode()

    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_it_renders_a_topic_page_in_constant_queries(
    client, pricing, django_assert_max_num_queries
):
    filed(pricing, "First", 50)
    with django_assert_max_num_queries(3):
        client.get("/topics/pricing/")
    for i in range(30):
        filed(pricing, f"More {i}", i)
    with django_assert_max_num_queries(3):
        html = client.get("/topics/pricing/").content.decode()
    assert len(titles(html)) == 20 and 'rel="next"' in html


def test_it_reorders_a_topic_when_an_episode_is_rescored_after_filing(client, pricing):
    filed(pricing, "Was best", 80)
    later = filed(pricing, "Unscored at filing", None)
    rising = filed(pricing, "Rising", 10)

    Episode.objects.filter(pk=rising.pk).update(score=90)  # a bulk write path
    later.score = 85
    later.save()

    html = client.get("/topics/pricing/").content.decode()
    assert titles(html) == ["Rising", "Unscored at filing", "Was best"]


def test_it_breaks_score_ties_by_date_then_newest_and_pages_deep(client, pricing):
    old = filed(pricing, "Older", 50)
    new = filed(pricing, "Newer", 50)
    Episode.objects.filter(pk=old.pk).update(published_at=new.published_at)
    for i in range(20):
        filed(pricing, f"Better {i}", 60 + i)

    second = titles(client.get("/topics/pricing/?page=2").content.decode())

    # Same score and date: the newer key first.
    assert second == ["Newer", "Older"]
