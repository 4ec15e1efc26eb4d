"""Topics named by a scorecard: found by slug (then by name), created when new."""

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from episodes.models import Topic


def _clean(name: str) -> tuple[str, str]:
    name = " ".join(name.split())[:100]
    return name, slugify(name)[:100]


def _find(name: str, slug: str) -> Topic | None:
    return Topic.objects.filter(slug=slug).first() or Topic.objects.filter(name=name).first()


def topic_named(name: str) -> Topic | None:
    """The Topic for a name, matched by slug (then by name), created when new."""
    name, slug = _clean(name)
    if not slug:
        return None
    topic = _find(name, slug)
    if topic:
        return topic
    try:
        with transaction.atomic():
            return Topic.objects.create(name=name, slug=slug)
    except IntegrityError:
        # Another worker created it a moment ago.
        return _find(name, slug)


def existing_topics(names) -> list[Topic]:
    """The Topics that already exist for these names: none is created."""
    found = (_find(*_clean(name)) for name in names if _clean(name)[1])
    return [topic for topic in found if topic is not None]
