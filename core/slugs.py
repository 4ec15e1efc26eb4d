"""Slugs that never collide with the ones already taken."""

from django.utils.text import slugify

SLUG_MAX = 100


def unique_slug(title: str, taken: set[str], fallback: str = "item") -> str:
    """A slug from the title, with -2, -3, ... on collision with the taken ones."""
    base = slugify(title)[:SLUG_MAX].strip("-") or fallback
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base[: SLUG_MAX - len(str(n)) - 1]}-{n}"
    return slug
