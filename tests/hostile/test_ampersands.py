"""Fields made of ampersands: the sanitiser's time grows with the square of the "&" in its
input (400 KB of "&" in a title took 2.3 s of CPU, in show notes 1.9 s), so a feed of such
fields could hold a worker for minutes. Every field now costs time in proportion to its size.
"""

import pytest

from shows.ingest.parse import parse_feed
from tests.factories.feeds import item, rss
from tests.hostile import payloads
from tests.hostile.conftest import cpu_seconds

# A feed of such fields may cost at most this many times the CPU of a normal feed of its
# size (before: 9.5x for 400 KB of "&" in show notes, 14x in a title; after: under 1x).
CPU_RATIO = 3


def notes_feed(notes: str, items: int = 1) -> bytes:
    """A feed whose items' show notes are `notes`, as CDATA (markup kept for the sanitiser)."""
    return (
        rss([item(n, description="@@NOTES@@") for n in range(1, items + 1)])
        .replace("@@NOTES@@", f"<![CDATA[{notes}]]>")
        .encode()
    )


@pytest.mark.parametrize(
    "body",
    [
        payloads.feed_with_title("&amp;" * 80_000),
        payloads.feed_with_title("&" * 400_000),
        payloads.feed_with_title("Q&amp;A " * 60_000),
        notes_feed("<p>" + "&amp;" * 80_000 + "</p>"),
        notes_feed("<p>" + "R&D " * 100_000 + "</p>"),
        notes_feed("&" * 20_000, items=20),
        notes_feed("<p>" + "&" * 400_000 + "</p>"),
    ],
    ids=[
        "title_of_ampersands",
        "title_of_bare_ampersands",
        "title_of_q_and_a",
        "notes_of_ampersands",
        "notes_of_r_and_d",
        "twenty_notes_of_ampersands",
        "notes_of_bare_ampersands",
    ],
)
def test_fields_of_ampersands_cost_time_in_proportion_to_their_size(body):
    normal = cpu_seconds(parse_feed, payloads.normal_feed(len(body)))

    feed = parse_feed(body)

    assert feed.items  # parsed, not refused
    # The least of a few runs on both sides: one run alone can take a garbage collection.
    assert cpu_seconds(parse_feed, body) <= CPU_RATIO * normal


def test_an_ampersand_title_is_kept_as_written_up_to_its_length():
    feed = parse_feed(payloads.feed_with_title("Q&amp;A " * 60_000))

    assert feed.items[0].title == ("Q&A " * 250)[:1000]
