"""The embedded cache (no CACHE_URL) holds what a handful of busy pages cache."""

from django.core.cache import cache


def test_it_keeps_the_first_fragment_after_a_thousand_more():
    # The bench's pages cache ~450 row fragments and lists; Django's default of 300 entries
    # culled a third of them every few requests, so every list rendered cold again.
    cache.set("fragment-0", "row")
    for number in range(1, 1000):
        cache.set(f"fragment-{number}", "row")

    assert cache.get("fragment-0") == "row"
