import pytest
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

from core.paths import slug_path


@pytest.mark.parametrize(
    ("name", "slugs"),
    [
        ("shows:detail", {"slug": "the-show_2"}),
        ("episodes:detail", {"show_slug": "a-show", "slug": "EP-1"}),
        ("episodes:detail", {"slug": "ep", "show_slug": "show"}),
        ("people:detail", {"slug": "jane-doe"}),
        ("episodes:topic", {"slug": "pricing"}),
        ("methodology", {}),
    ],
)
def test_it_gives_the_path_reverse_gives(name, slugs):
    assert slug_path(name, **slugs) == reverse(name, kwargs=slugs)


def test_it_follows_the_script_prefix():
    first = slug_path("shows:detail", slug="a")
    set_script_prefix("/mounted/")
    try:
        assert slug_path("shows:detail", slug="a") == "/mounted" + first
    finally:
        clear_script_prefix()
    assert slug_path("shows:detail", slug="a") == first


@pytest.mark.parametrize("slug", ["", "with space", "café", "a/b", "x\n"])
def test_it_leaves_what_is_not_a_slug_to_reverse(slug):
    with pytest.raises(NoReverseMatch):
        slug_path("shows:detail", slug=slug)
