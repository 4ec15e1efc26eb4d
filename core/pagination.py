"""Pagination without COUNT(*): fetch one row more than the page to know if another follows."""

from dataclasses import dataclass

from django.http import Http404

# OFFSET beyond this is a crawler walking off the end, not a reader; it also keeps the
# offset far from integer overflow in the database.
MAX_PAGE = 10_000


class Pager:
    """What the pager template needs from anything paged: a number and whether more follow."""

    number: int
    has_next: bool

    @property
    def has_previous(self):
        return self.number > 1

    @property
    def has_other_pages(self):
        return self.has_next or self.has_previous

    @property
    def next_page_number(self):
        return self.number + 1

    @property
    def previous_page_number(self):
        return self.number - 1


@dataclass
class Page(Pager):
    """One page of results: a list plus neighbours, with no total."""

    object_list: list
    number: int
    has_next: bool
    per_page: int = 20

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    @property
    def start_index(self):
        """1-based position of the first item on this page."""
        return 0 if not self.object_list else (self.number - 1) * self.per_page + 1


def page_number(value) -> int:
    """The requested page: anything that is not a positive number means the first page."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return number if number >= 1 else 1


def paginate(queryset, page: int | str | None, per_page: int = 20) -> Page:
    """Slice `queryset` to one page; a page past the end (other than the first) is a 404."""
    return paginate_rows(
        lambda offset, limit: list(queryset[offset : offset + limit]), page, per_page
    )


def paginate_rows(fetch, page: int | str | None, per_page: int = 20) -> Page:
    """paginate() over `fetch(offset, limit)`: the list of at most `limit` rows from `offset`."""
    number = page_number(page)
    if number > MAX_PAGE:
        raise Http404("No such page.")
    offset = (number - 1) * per_page
    rows = fetch(offset, per_page + 1)
    if not rows and number > 1:
        raise Http404("No such page.")
    return Page(
        object_list=rows[:per_page], number=number, has_next=len(rows) > per_page, per_page=per_page
    )
