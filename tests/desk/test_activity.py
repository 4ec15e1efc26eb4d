"""One activity log: what editors did, by whom, filterable by episode, show, editor and action."""

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from desk import activity
from desk.models import Activity
from episodes import ingest
from scoring.models import EditorialOverride
from tests.desk.conftest import make_editor
from tests.factories import ShowFactory, scored_episode
from tests.factories.feeds import item, rss

pytestmark = pytest.mark.django_db


def rows(client, **params):
    response = client.get(reverse("admin:desk_activity_changelist"), params)
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    return [tr.get_text(" ", strip=True) for tr in page.select("#result_list tbody tr")]


@pytest.fixture
def history(editor, other_editor):
    """Two shows, an episode each; hidden, re-scored, corrected by two editors."""
    first = scored_episode(title="First episode", show=ShowFactory(title="Alpha Show"))
    second = scored_episode(title="Second episode", show=ShowFactory(title="Beta Show"))
    record = EditorialOverride.objects.record
    record(episode=first, dimension=None, editor=editor, score=40, reason="Dana's total.")
    record(episode=second, dimension=None, editor=other_editor, score=60, reason="Ada's total.")
    activity.record_episodes(Activity.Action.HIDE, editor, [second.pk])
    return first, second


def test_it_filters_by_episode_show_editor_and_action(editor_client, history, other_editor):
    first, second = history
    assert len(rows(editor_client)) == 3
    assert rows(editor_client, episode=first.pk)[0].count("First episode") >= 1
    assert len(rows(editor_client, episode=second.pk)) == 2
    assert len(rows(editor_client, show=second.show_id)) == 2
    assert len(rows(editor_client, editor__id__exact=other_editor.pk)) == 1
    only_hides = rows(editor_client, action__exact="hide")
    assert len(only_hides) == 1 and "Dana Reyes" in only_hides[0]


def test_a_correction_reads_back_with_before_and_after(editor_client, history):
    first, _ = history
    row = rows(editor_client, episode=first.pk)[0]
    assert "Set a score" in row
    assert f"Total: {first.scorecards.get(is_current=True).total} → 40. Dana's total." in row


def test_merging_a_show_in_the_admin_is_logged(client, superuser):
    duplicate, canonical = ShowFactory(title="Old feed"), ShowFactory(title="New feed")
    client.force_login(superuser)
    url = reverse("admin:shows_show_change", args=[duplicate.pk])
    form = BeautifulSoup(client.get(url).content, "html.parser").find("form", id="show_form")
    data = {}
    for field in form.find_all(["input", "textarea", "select"]):
        name = field.get("name")
        if not name or field.get("type") in ("submit", "button"):
            continue
        if field.name == "select":
            selected = field.find("option", selected=True)
            data[name] = selected["value"] if selected else ""
        elif field.get("type") == "checkbox":
            if field.has_attr("checked"):
                data[name] = "on"
        elif field.name == "textarea":
            data[name] = field.get_text()
        else:
            data[name] = field.get("value", "")
    data["canonical"] = str(canonical.pk)

    response = client.post(url, data)

    assert response.status_code == 302
    row = Activity.objects.get(action="merge")
    assert (row.show_id, row.detail, row.editor_name) == (duplicate.pk, "Into New feed.", "root")


def test_the_log_cannot_be_added_to_or_edited_in_the_admin(editor_client, history):
    row = Activity.objects.first()
    assert editor_client.get(reverse("admin:desk_activity_add")).status_code == 403
    delete = reverse("admin:desk_activity_delete", args=[row.pk])
    assert editor_client.post(delete, {"post": "yes"}).status_code == 403
    assert Activity.objects.count() == 3


def test_the_editor_is_named_even_after_their_account_is_gone(client, superuser):
    episode = scored_episode()
    temp = make_editor("temp", "Tem", "Porary")
    EditorialOverride.objects.record(
        episode=episode, dimension=None, editor=temp, score=1, reason="Gone soon."
    )
    temp.delete()
    client.force_login(superuser)
    assert "Tem Porary" in rows(client)[0]


def test_it_logs_a_merge_the_poller_made_on_its_own(feed_server):
    target = feed_server.serve("/canonical.xml", rss([item(1)], title="Kept Show"))
    original = ShowFactory(feed_url=target, title="Kept Show")
    moved = feed_server.serve("/old.xml", rss([item(1)], title="Old Name", new_feed_url=target))
    duplicate = ShowFactory(feed_url=moved, title="Old Name")

    ingest.poll(duplicate)

    entry = Activity.objects.get(action=Activity.Action.MERGE, show_id=duplicate.pk)
    assert entry.editor is None
    assert entry.editor_name == "Ingestion (automatic)"
    assert entry.subject == "Old Name"
    assert str(original) in entry.detail and "is kept" in entry.detail
