"""Which Person a claim is: one page per identity, and no two people made one by a shared name.

The same `podcast:person` href is one person wherever it appears. Otherwise a name (or an
alias an editor's merge left) is the same person only with more to go on: the same image or
link, or an appearance on the same show (a host named every week). A bare common name on two
unrelated shows makes two people until an editor merges them.
"""

import json

from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.text import slugify

from core.slugs import SLUG_MAX, unique_slug
from people.models import Person
from people.sources import Claim


def find_person(claim: Claim, episode) -> Person | None:
    """The existing person the claim names on this episode, or None when it is someone new."""
    if claim.href:
        person = Person.objects.filter(href=claim.href).order_by("pk").first()
        if person is not None:
            return person
    candidates = list(
        Person.objects.annotate(lower_name=Lower("name"))
        .filter(
            Q(lower_name=claim.name.lower())
            # Aliases are a JSON list of names: matched as their JSON text, which escapes
            # non-ASCII letters on SQLite and keeps them on PostgreSQL.
            | Q(aliases__icontains=json.dumps(claim.name, ensure_ascii=False))
            | Q(aliases__icontains=json.dumps(claim.name))
        )
        .order_by("pk")
    )
    # Both tagged with an href and the hrefs differ: two people who share a name.
    candidates = [p for p in candidates if not (claim.href and p.href and p.href != claim.href)]
    if not candidates:
        return None
    # Who the name already is on this episode (an editor's split or merge stands), then on
    # the same show, then whoever shares a link or an image.
    ids = [p.pk for p in candidates]
    here = set(
        Person.objects.filter(pk__in=ids, appearances__episode=episode).values_list("pk", flat=True)
    )
    on_show = set(
        Person.objects.filter(
            pk__in=ids, appearances__episode__show_id=episode.show_id
        ).values_list("pk", flat=True)
    )
    for rule in (
        lambda p: p.pk in here,
        lambda p: p.pk in on_show,
        lambda p: _same_links(p, claim),
    ):
        found = next((p for p in candidates if rule(p)), None)
        if found is not None:
            return found
    return None


def _same_links(person: Person, claim: Claim) -> bool:
    ours = {person.image_url, person.website, person.href} - {""}
    return bool(ours & ({claim.image_url, claim.href} - {""}))


def create_person(name: str, **fields) -> Person:
    """A new person, with a slug from the name that no one else holds."""
    base = slugify(name)[:SLUG_MAX].strip("-") or "person"
    taken = set(Person.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    return Person.objects.create(
        name=name, slug=unique_slug(name, taken, fallback="person"), **fields
    )


def new_person(claim: Claim) -> Person:
    """A person made from a claim."""
    return create_person(
        claim.name, description=claim.description, image_url=claim.image_url, href=claim.href
    )


def fill_blanks(person: Person, claim: Claim) -> None:
    """Give the person what the claim knows and the person lacks; never overwrite (an editor's
    correction stands)."""
    changed = []
    for field, value in (
        ("description", claim.description),
        ("image_url", claim.image_url),
        ("href", claim.href),
    ):
        if value and not getattr(person, field):
            setattr(person, field, value)
            changed.append(field)
    if changed:
        person.save(update_fields=[*changed, "updated_at"])
