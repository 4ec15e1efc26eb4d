"""Model instances made from database rows without running Model.__init__.

Django's Model.from_db builds a list of every concrete field's value (DEFERRED for the columns
not read) and calls Model.__init__, which walks every field and sets each value through
setattr: for an episode read with a list row's seven columns, a loop over some thirty fields.
A page of search results makes some sixty such instances. QuickLoad makes the same instance
directly: the values read in its __dict__ (where the field descriptors read them and where
__init__ would have put them; a column not read stays absent, so deferred as before) and the
same _state.

Only where that is all __init__ would do: no pre_init or post_init receiver for the model,
and every field read is a plain column attribute (no descriptor of its own that would do more
with the value than store it); otherwise Django's from_db runs.
"""

from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

# setattr() of a fresh instance through these stores the value in its __dict__ and nothing
# else (a foreign key's also drops a cached related object, which a fresh instance has not).
_PLAIN_DESCRIPTORS = (DeferredAttribute, ForeignKeyDeferredAttribute)
# (model, field names read): whether those names are plain columns in the model's field order.
_PLAIN_ROWS: dict[tuple, bool] = {}


def _plain_row(cls, names: tuple[str, ...]) -> bool:
    """Whether `names` are attnames of `cls`'s concrete fields, in their order, each a plain
    column attribute (cached per model and names)."""
    key = (cls, names)
    plain = _PLAIN_ROWS.get(key)
    if plain is None:
        order = [field.attname for field in cls._meta.concrete_fields]
        plain = (
            len(set(names)) == len(names)
            and all(name in order for name in names)
            and [name for name in order if name in names] == list(names)
            and all(type(cls.__dict__.get(name)) in _PLAIN_DESCRIPTORS for name in names)
        )
        _PLAIN_ROWS[key] = plain
    return plain


def _listened(signal, sender) -> bool:
    """Whether `signal` has a receiver for `sender`: first, as Signal.send does, whether it has
    any receiver at all (has_listeners, asked twice per instance, took 1.3 of the 5.2 us an
    instance took to make; a search page makes some sixty)."""
    return bool(signal.receivers) and signal.has_listeners(sender)


class QuickLoad:
    """Model mixin (before models.Model): rows read from the database become instances
    without Model.__init__, the same instances it would make."""

    @classmethod
    def from_db(cls, db, field_names, values, *, fetch_mode=None):
        """The instance of a row, as Model.from_db makes it."""
        names = tuple(field_names)
        if (
            len(values) != len(names)
            or _listened(pre_init, cls)
            or _listened(post_init, cls)
            or not _plain_row(cls, names)
        ):
            return super().from_db(db, field_names, values, fetch_mode=fetch_mode)
        new = cls.__new__(cls)
        state = new._state = ModelState()
        state.adding = False
        state.db = db
        if fetch_mode is not None:
            state.fetch_mode = fetch_mode
        new.__dict__.update(zip(names, values, strict=True))
        return new
