"""Site RSS, per show/category/topic feeds and OPML, parsed back as a subscriber would."""

import io
from datetime import timedelta

import feedparser
import pytest
from defusedxml import ElementTree
from django.db import connection
from django.utils import timezone

from browse import syndication
from episodes.models import Episode
from scoring.ranking import recompute_all
from shows.models import Show
from tests.factories import (
    CategoryFactory,
    EpisodeFactory,
    ShowFactory,
    TopicFactory,
    scored_episode,
)
from tests.factories.browse import show_with_scores

pytestmark = pytest.mark.django_db


def parse(response):
    assert response["Content-Type"].startswith("application/rss+xml")
    feed = feedparser.parse(io.BytesIO(response.content))
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def scored(show, title, score, hours_ago=0, **kwargs):
    episode = scored_episode(
        total=score,
        show=show,
        title=title,
        scored_at=timezone.now() - timedelta(hours=hours_ago),
        audio_size=12345,
        **kwargs,
    )
    episode.scorecards.update(summary=f"Summary of {title}.")
    return episode


@pytest.fixture
def catalogue():
    finance = CategoryFactory(slug="finance", name="Finance")
    sales = CategoryFactory(slug="sales", name="Sales")
    pricing = TopicFactory(slug="pricing", name="Pricing")
    ledger = ShowFactory(title="Ledger Talk", slug="ledger", categories=[finance])
    closers = ShowFactory(title="Closers", slug="closers", categories=[sales])
    a = scored(ledger, "Audit season", 72, hours_ago=1, duration_seconds=1830)
    scored(ledger, "Cash flow basics", 45, hours_ago=2)
    b = scored(closers, "Pricing pages", 88, hours_ago=3)
    a.topics.add(pricing)
    b.topics.add(pricing)
    EpisodeFactory(show=ledger, title="Not scored yet")
    hidden = scored(ledger, "Hidden one", 99, hours_ago=0)
    Episode.objects.filter(pk=hidden.pk).update(hidden=True)
    return {"ledger": ledger, "closers": closers, "audit": a}


def test_it_lists_newly_scored_episodes_with_audio_score_summary_and_scorecard_link(
    client, catalogue, settings
):
    feed = parse(client.get("/rss/"))

    assert [e.title for e in feed.entries] == ["Audit season", "Cash flow basics", "Pricing pages"]
    first = feed.entries[0]
    assert first.link == settings.SITE_URL + catalogue["audit"].get_absolute_url()
    assert "Substance score 72 / 100" in first.summary
    assert "(solid)" in first.summary
    assert "Summary of Audit season." in first.summary
    assert f'href="{first.link}"' in first.summary
    (enclosure,) = first.enclosures
    assert enclosure.href.startswith("https://cdn.example.com/")
    assert enclosure.type == "audio/mpeg"
    assert enclosure.length == "12345"
    assert first.itunes_duration == "1830"
    assert feed.feed.title.startswith("Newly scored B2B podcast episodes")


def test_it_filters_the_site_feed_by_category_topic_and_minimum_score(client, catalogue):
    def titles(query):
        return [e.title for e in parse(client.get("/rss/" + query)).entries]

    assert titles("?category=finance") == ["Audit season", "Cash flow basics"]
    assert titles("?category=finance&min_score=60") == ["Audit season"]
    assert titles("?topic=pricing") == ["Audit season", "Pricing pages"]
    assert titles("?topic=pricing&min_score=80") == ["Pricing pages"]
    assert titles("?min_score=0") == ["Audit season", "Cash flow basics", "Pricing pages"]
    assert "scoring 60 or more" in parse(client.get("/rss/?min_score=60")).feed.title


@pytest.mark.parametrize("value", ["abc", "101", "-5", "6.5", "1e3"])
def test_it_refuses_a_bad_minimum_score_with_a_clear_400(client, catalogue, value):
    response = client.get("/rss/", {"min_score": value})

    assert response.status_code == 400
    assert "min_score must be" in response.content.decode()
    assert client.get("/categories/finance/rss/", {"min_score": value}).status_code == 400


def test_it_answers_404_for_unknown_categories_topics_and_shows(client, catalogue):
    assert client.get("/rss/?category=nope").status_code == 404
    assert client.get("/rss/?topic=nope").status_code == 404
    assert client.get("/categories/nope/rss/").status_code == 404
    assert client.get("/topics/nope/rss/").status_code == 404
    assert client.get("/shows/nope/rss/").status_code == 404
    assert client.get("/categories/nope/opml/").status_code == 404


def test_it_serves_a_feed_per_show_category_and_topic(client, catalogue, settings):
    show = parse(client.get("/shows/ledger/rss/"))
    category = parse(client.get("/categories/sales/rss/"))
    topic = parse(client.get("/topics/pricing/rss/?min_score=50"))

    assert [e.title for e in show.entries] == ["Audit season", "Cash flow basics"]
    assert show.feed.link == f"{settings.SITE_URL}/shows/ledger/"
    assert [e.title for e in category.entries] == ["Pricing pages"]
    assert [e.title for e in topic.entries] == ["Audit season", "Pricing pages"]


def test_it_answers_conditional_gets_with_304_until_the_feed_changes(client, catalogue):
    first = client.get("/rss/")
    etag, modified = first["ETag"], first["Last-Modified"]

    assert client.get("/rss/", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/rss/", headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get("/rss/?min_score=50", headers={"If-None-Match": etag}).status_code == 200

    scored(catalogue["closers"], "Fresh episode", 61)
    changed = client.get("/rss/", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert parse(changed).entries[0].title == "Fresh episode"


def test_it_escapes_markup_and_drops_control_characters_from_feed_data(client):
    show = ShowFactory(title="Evil <b>Show</b>", slug="evil")
    episode = scored(show, "<script>alert(1)</script> pwned\x0b", 50)
    episode.scorecards.update(summary='<img src=x onerror="alert(2)"> summary')

    response = client.get("/rss/")

    feed = parse(response)
    item = ElementTree.fromstring(response.content).find("channel/item")
    # Escaped once, by XML: a reader gets the title as it was written, as text.
    assert item.find("title").text == "<script>alert(1)</script> pwned"
    assert feed.entries[0].title == "<script>alert(1)</script> pwned"
    assert b"<script>" not in response.content
    description = item.find("description").text
    assert "<img" not in description and "&lt;img src=x" in description
    assert "<script" not in feed.entries[0].summary
    assert "Evil &lt;b&gt;Show&lt;/b&gt;" in description


def test_it_builds_feeds_in_constant_queries(client, django_assert_max_num_queries):
    finance = CategoryFactory(slug="finance")
    show = ShowFactory(categories=[finance], slug="busy")
    for i in range(3):
        scored(show, f"Episode {i}", 50 + i, hours_ago=i)
    with django_assert_max_num_queries(4):
        client.get("/rss/?category=finance&min_score=10")
    for i in range(30):
        scored(show, f"More {i}", 60, hours_ago=10 + i)
    with django_assert_max_num_queries(1):  # the items bring their show along
        response = client.get("/shows/busy/rss/")
    assert len(parse(response).entries) == 33


def test_a_show_with_nothing_to_list_has_a_feed_and_a_bad_filter_on_no_show_is_404(
    client, catalogue, settings
):
    ShowFactory(title="Quiet Show", slug="quiet", artwork_url="https://example.com/art.png")
    EpisodeFactory(show=Show.objects.get(slug="quiet"), title="Not scored yet")
    Show.objects.filter(slug="closers").update(active=False)

    feed = parse(client.get("/shows/quiet/rss/"))
    assert feed.feed.title == f"Quiet Show — scored by {settings.SITE_NAME}"
    assert feed.entries == []
    assert parse(client.get("/shows/ledger/rss/?min_score=99")).entries == []
    assert client.get("/shows/closers/rss/").status_code == 404
    assert client.get("/shows/ledger/rss/?min_score=x").status_code == 400
    assert client.get("/shows/nope/rss/?min_score=x").status_code == 404


def opml_outlines(response):
    assert response["Content-Type"].startswith("text/x-opml")
    root = ElementTree.fromstring(response.content)
    assert root.tag == "opml" and root.get("version") == "2.0"
    return root.findall("body/outline")


def test_it_exports_the_ranked_shows_feed_urls_as_opml_best_first(client, settings):
    settings.PODINDEX_RANKING_PRIOR_WEIGHT = 0
    finance = CategoryFactory(slug="finance", name="Finance")
    good = show_with_scores(
        80,
        80,
        80,
        title='Good & "Great" <Show>',
        categories=[finance],
        feed_url="https://a.example/f",
    )
    best = show_with_scores(90, 90, 90, feed_url="https://b.example/feed?x=1&y=2")
    show_with_scores(99, title="Unranked", feed_url="https://c.example/f")
    recompute_all()

    outlines = opml_outlines(client.get("/opml/"))
    category = opml_outlines(client.get("/categories/finance/opml/"))

    assert [o.get("xmlUrl") for o in outlines] == [best.feed_url, good.feed_url]
    assert outlines[1].get("text") == 'Good & "Great" <Show>'
    assert outlines[1].get("type") == "rss"
    assert outlines[1].get("htmlUrl") == f"{settings.SITE_URL}/shows/{good.slug}/"
    assert [o.get("xmlUrl") for o in category] == [good.feed_url]


def test_it_answers_opml_conditional_gets_with_304(client, settings):
    settings.PODINDEX_RANKING_MIN_EPISODES = 1
    show_with_scores(70)
    recompute_all()
    etag = client.get("/opml/")["ETag"]

    assert client.get("/opml/", headers={"If-None-Match": etag}).status_code == 304
    show_with_scores(75)
    recompute_all()
    assert client.get("/opml/", headers={"If-None-Match": etag}).status_code == 200


def test_feeds_compile_once_per_filter_shape_and_bind_each_value(client, catalogue):
    syndication._items_query.cache_clear()

    finance = parse(client.get("/categories/finance/rss/"))
    sales = parse(client.get("/categories/sales/rss/"))

    assert syndication._items_query.cache_info().currsize == 1
    assert [e.title for e in finance.entries] == ["Audit season", "Cash flow basics"]
    assert [e.title for e in sales.entries] == ["Pricing pages"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_the_newest_scored_come_from_an_index_in_their_whole_order(index_plan):
    # Ordered on scored_at alone, the index left the key to a sort: a page read every episode
    # scored at the newest instant (2,255 of them in the 2.5M bench catalogue) to sort them.
    newest = syndication.newly_scored().order_by(*syndication.NEWLY_SCORED_ORDER)[:50]
    plan = index_plan(newest)
    assert "Index Scan using episode_scored_at_idx" in plan
    assert "Sort" not in plan
