"""Item 1 of issue 11: entity expansion and other hostile XML in feeds.

Before: a line of text before `<!DOCTYPE` made the safe pass fail and feedparser's loose
parser expanded a 10 KB entity once per reference: the review's 310 KB feed took 41.6 s of CPU
and 4.86 GB (peak RSS). After: refused before any parser runs, in about a millisecond.
"""

import pytest

from episodes import ingest
from shows.ingest.parse import InvalidFeed, parse_feed
from shows.models import Show
from tests.factories import ShowFactory
from tests.hostile import payloads
from tests.hostile.conftest import cpu_seconds, measure

# Traced (Python) allocations while refusing or parsing one hostile feed; the expansion the
# review found allocated gigabytes.
MEMORY_BOUND_MB = 30
# A hostile feed may cost at most this many times the CPU of a normal feed of its size.
CPU_RATIO = 10
# Malformed markup parses in linear time but not at a normal feed's speed: 15,000 unclosed
# tags cost 7.1-7.5x a normal feed (load 2), 11.6x with four test processes on two cores, and
# twice or four times as many cost twice or four times as much. A cost growing faster than the
# feed would be hundreds of times.
MALFORMED_CPU_RATIO = 20

ENTITY_FEEDS = {
    "quadratic_310kb": payloads.quadratic_entity_feed,
    "entity_in_a_comment": payloads.entity_in_comment_feed,
    "billion_laughs": payloads.billion_laughs_feed,
    "utf16_entities": payloads.utf16_entity_feed,
    "xxe_file": lambda: payloads.xxe_feed("file:///etc/passwd"),
}


@pytest.fixture(scope="module")
def normal_cpu():
    """CPU seconds to parse a normal feed the size of the review's hostile one (310 KB)."""
    return cpu_seconds(parse_feed, payloads.normal_feed(310_000))


@pytest.mark.parametrize("name", sorted(ENTITY_FEEDS))
def test_a_feed_that_declares_entities_is_refused_cheaply(name, normal_cpu):
    body = ENTITY_FEEDS[name]()

    cost = measure(parse_feed, body)

    assert isinstance(cost.error, InvalidFeed), cost.error or cost.result
    assert "refused" in str(cost.error)
    assert cost.peak_mb < MEMORY_BOUND_MB
    # Untraced, as normal_cpu is: tracing every allocation slowed the one run measured.
    assert cpu_seconds(parse_feed, body) <= CPU_RATIO * normal_cpu


def test_an_external_entity_is_never_fetched(server):
    secret = server.serve("/internal/secret", b"internal secret", content_type="text/plain")

    with pytest.raises(InvalidFeed, match="refused"):
        parse_feed(payloads.xxe_feed(secret))

    assert server.hits("/internal/secret") == []


def test_a_doctype_after_the_root_element_expands_nothing(normal_cpu):
    # expat refuses it (not well-formed); feedparser's loose parser takes entities only
    # from the prolog: the references stay unexpanded.
    body = (
        '<rss version="2.0"><channel><title>Late</title>'
        '<!DOCTYPE rss [<!ENTITY a "' + "x" * 10_000 + '">]>'
        "<item><title>"
        + "&a;" * 30_000
        + "</title><guid>l</guid>"
        + payloads.ENCLOSURE.format(n=1)
        + "</item></channel></rss>"
    ).encode()

    cost = measure(parse_feed, body)

    title = cost.result.items[0].title if cost.result and cost.result.items else ""
    assert "x" * 100 not in title
    assert cost.peak_mb < MEMORY_BOUND_MB
    # Untraced, as normal_cpu is: traced, this one run took 11.1x a normal feed on a busy machine.
    assert cpu_seconds(parse_feed, body) <= CPU_RATIO * normal_cpu


@pytest.mark.parametrize(
    "title_xml",
    ["&a;" * 15_000, "<a " * 15_000, "<![CDATA[" * 5_000, "&#xD800;" * 5_000],
    ids=["undefined_entities", "open_tags", "open_cdata", "surrogate_references"],
)
def test_malformed_feeds_cost_time_in_proportion_to_their_size(title_xml):
    body = payloads.feed_with_title(title_xml)
    normal = cpu_seconds(parse_feed, payloads.normal_feed(len(body)))

    cost = measure(parse_feed, body)

    assert cost.error is None or isinstance(cost.error, InvalidFeed), cost.error
    assert cost.peak_mb < MEMORY_BOUND_MB
    # The least of a few runs on both sides: one run alone can take a garbage collection.
    assert cpu_seconds(parse_feed, body) <= MALFORMED_CPU_RATIO * normal


@pytest.mark.django_db
def test_a_poll_of_an_entity_feed_records_the_refusal_and_backs_off(server):
    show = ShowFactory(feed_url=server.serve("/feed.xml", payloads.quadratic_entity_feed()))

    fetch = ingest.poll(show)

    show.refresh_from_db()
    assert fetch.status == Show.FetchStatus.INVALID
    assert "refused" in fetch.error
    assert show.consecutive_failures == 1
    assert show.episodes.count() == 0
