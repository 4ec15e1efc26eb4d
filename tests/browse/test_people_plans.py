"""The people ranking's pages read indexes, on PostgreSQL: no sort or scan of every person."""

import pytest
from django.db import connection

from browse.views.people import _people_query
from tests.factories import CategoryFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans"),
]


@pytest.mark.parametrize("sort", ["recent", "appearances"])
def test_it_finds_each_persons_rank_in_a_category_in_one_index_entry(sort, index_plan):
    category = CategoryFactory()
    plan = index_plan(_people_query(True, "guest", sort, 0, 50).build(category.pk))
    # The person's rank within the category, read from the index alone (not the person's
    # every category from the table).
    assert "Index Only Scan using personcategory_member_idx" in plan, plan
