"""Items 4 and 10 of issue 11: our RSS and OPML as podcast apps and XML parsers read them.

Before: "Usage-Based Pricing From the CFO's Chair" came out as `CFO&#x27;s Chair` (escaped
twice); every itunes:image was a relative URL to an SVG; a C0 control character stored in an
artwork URL made /rss/, the show's and the topic's RSS answer 500.
"""

import io

import defusedxml.ElementTree as ET
import feedparser
import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from episodes import ingest
from episodes.models import Episode
from scoring.ranking import recompute_all
from shows.models import Show
from tests.factories import ShowFactory, TopicFactory, scored_episode
from tests.factories.browse import show_with_scores
from tests.factories.feeds import item, rss

pytestmark = pytest.mark.django_db

ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
SITE = "https://b2bpodcastindex.example"
TITLES = [
    "Usage-Based Pricing From the CFO's Chair",
    'R&D budgets: "build" < "buy"?',
    "Ça coûte — 50% off <b>not bold</b>",
]


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


def read_back(response):
    """The feed as feedparser and as a plain XML parser see it."""
    assert response.status_code == 200, response.content[:500]
    parsed = feedparser.parse(io.BytesIO(response.content))
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed, ET.fromstring(response.content)


def test_titles_come_out_exactly_once_escaped(client):
    show = ShowFactory(title="Finance & Friends", slug="ff")
    for n, title in enumerate(TITLES):
        scored_episode(show=show, title=title, scores=(10, 8, 7, 8, 8 + n))

    parsed, root = read_back(client.get("/rss/"))

    assert sorted(e.title for e in parsed.entries) == sorted(TITLES)
    assert sorted(i.findtext("title") for i in root.iter("item")) == sorted(TITLES)
    _, show_root = read_back(client.get("/shows/ff/rss/"))
    assert show_root.findtext("channel/title").startswith("Finance & Friends — ")


def test_links_and_artwork_are_absolute_and_raster(client):
    # The demo shows' artwork: a static SVG, served to apps as its PNG rendition.
    show = ShowFactory(slug="demo", artwork_url="/static/demo/pipeline-party.svg")
    scored_episode(show=show, title="Demo episode", audio_url="/static/demo/audio/ep.mp3")
    other = ShowFactory(slug="svg-elsewhere", artwork_url="https://cdn.example.com/art.svg")
    scored_episode(show=other, title="Elsewhere", image_url="https://cdn.example.com/ep.jpg")

    parsed, root = read_back(client.get("/rss/"))
    _, channel = read_back(client.get("/shows/demo/rss/"))

    by_title = {i.findtext("title"): i for i in root.iter("item")}
    demo = by_title["Demo episode"]
    assert demo.find(f"{ITUNES}image").get("href") == f"{SITE}/static/demo/pipeline-party.png"
    assert demo.find("enclosure").get("url") == f"{SITE}/static/demo/audio/ep.mp3"
    assert demo.findtext("link").startswith(f"{SITE}/shows/demo/")
    assert by_title["Elsewhere"].find(f"{ITUNES}image").get("href") == (
        "https://cdn.example.com/ep.jpg"
    )
    assert channel.find(f"channel/{ITUNES}image").get("href") == (
        f"{SITE}/static/demo/pipeline-party.png"
    )
    assert channel.findtext("channel/link") == f"{SITE}/shows/demo/"
    for entry in parsed.entries:
        assert entry.link.startswith(SITE + "/")
        assert f'href="{entry.link}"' in entry.summary
    assert ".svg" not in client.get("/shows/svg-elsewhere/rss/").content.decode()


def test_the_png_renditions_exist_for_every_demo_svg():
    static = django_settings.BASE_DIR / "static" / "demo"
    for svg in static.glob("*.svg"):
        png = svg.with_suffix(".png")
        assert png.exists(), png
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.read_bytes()[16:24] == (1400).to_bytes(4, "big") * 2  # 1400 × 1400


def test_enclosures_carry_the_length_the_source_feed_gave(client, server):
    body = rss([item(1, length="48213900"), item(2, length="")])
    show = ShowFactory(feed_url=server.serve("/feed.xml", body), slug="sized")
    ingest.poll(show)
    Episode.objects.filter(show=show).update(score=50, scored_at=timezone.now())

    parsed, root = read_back(client.get("/shows/sized/rss/"))

    lengths = {i.findtext("guid"): i.find("enclosure").get("length") for i in root.iter("item")}
    assert sorted(lengths.values()) == ["0", "48213900"]
    assert {e.enclosures[0].length for e in parsed.entries} == {"0", "48213900"}


def test_stored_control_characters_never_break_a_feed(client):
    show = ShowFactory(slug="ctl", title="Show\x0b")
    episode = scored_episode(show=show, title="Ctl\x01 title")
    episode.topics.add(TopicFactory(slug="ctl-topic"))
    # Written behind the parser's back, as rows from before the fix are.
    Show.objects.filter(pk=show.pk).update(artwork_url="https://cdn.example.com/a\x01.jpg")
    Episode.objects.filter(pk=episode.pk).update(
        audio_url="https://cdn.example.com/a\x02.mp3", audio_type="audio/mpeg\x03"
    )

    for path in ("/rss/", "/shows/ctl/rss/", "/topics/ctl-topic/rss/"):
        _, root = read_back(client.get(path))
        (entry,) = root.iter("item")
        assert entry.findtext("title") == "Ctl title"
        assert entry.find(f"{ITUNES}image").get("href") == "https://cdn.example.com/a.jpg"
        assert entry.find("enclosure").get("url") == "https://cdn.example.com/a.mp3"


def test_opml_reads_back_with_exact_titles_and_absolute_links(client, settings):
    settings.PODINDEX_RANKING_PRIOR_WEIGHT = 0
    show = show_with_scores(80, 80, 80, title=TITLES[1], feed_url="https://a.example/f?x=1&y=2")
    recompute_all()

    root = ET.fromstring(client.get("/opml/").content)

    (outline,) = root.iter("outline")
    assert outline.get("text") == outline.get("title") == TITLES[1]
    assert outline.get("xmlUrl") == "https://a.example/f?x=1&y=2"
    assert outline.get("htmlUrl") == f"{SITE}/shows/{show.slug}/"
