from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from shows.models import Show
from tests.factories import CategoryFactory, ShowFactory
from tests.factories.feeds import item, rss

pytestmark = pytest.mark.django_db


def opml(*urls):
    outlines = "".join(f'<outline type="rss" text="Feed" xmlUrl="{url}"/>' for url in urls)
    return (
        '<?xml version="1.0"?><opml version="2.0"><head><title>Subs</title></head>'
        f'<body><outline text="B2B">{outlines}</outline></body></opml>'
    )


def test_import_opml_adds_and_polls_every_feed_with_progress(feed_server, tmp_path, capsys):
    CategoryFactory(slug="sales", name="Sales")
    first = feed_server.serve("/one.xml", rss([item(1), item(2)], title="One"))
    second = feed_server.serve("/two.xml", rss([item(1)], title="Two"))
    existing = ShowFactory(feed_url=feed_server.serve("/three.xml", rss([item(1)])))
    path = tmp_path / "subs.opml"
    path.write_text(opml(first, second, first, existing.feed_url, "javascript:alert(1)"))

    call_command("import_opml", str(path), "--category", "sales")

    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"[1/3] added: {first} (OK, 2 episodes)"
    assert out[1] == f"[2/3] added: {second} (OK, 1 episodes)"
    assert out[2].startswith(f"[3/3] exists: {existing.feed_url}")
    assert out[-1] == "2 shows added, 1 already present."
    filed = Show.objects.filter(categories__slug="sales").values_list("title", flat=True)
    assert sorted(filed) == sorted(["One", "Two", existing.title])


def test_import_opml_refuses_an_unreadable_file(tmp_path):
    path = tmp_path / "broken.opml"
    path.write_text("<opml><body><outline")
    with pytest.raises(CommandError, match="Cannot read OPML"):
        call_command("import_opml", str(path))


def test_import_opml_refuses_entity_expansion(tmp_path):
    path = tmp_path / "laughs.opml"
    path.write_text('<?xml version="1.0"?><!DOCTYPE o [<!ENTITY a "aaaa">]><opml>&a;</opml>')
    with pytest.raises(CommandError, match="Cannot read OPML"):
        call_command("import_opml", str(path))


def test_poll_feeds_polls_only_due_shows(feed_server, capsys):
    past = timezone.now() - timedelta(minutes=1)
    due = ShowFactory(feed_url=feed_server.serve("/due.xml", rss([item(1)])), next_poll_at=past)
    ShowFactory(
        feed_url=feed_server.serve("/later.xml", rss([item(1)])),
        next_poll_at=timezone.now() + timedelta(hours=2),
    )

    call_command("poll_feeds")

    out = capsys.readouterr().out
    assert f"[1/1] {due}: OK (1 new, 0 updated)" in out
    assert "Polled 1 shows in " in out
    assert not feed_server.hits("/later.xml")


def test_poll_feeds_polls_one_show_by_slug_even_when_unchanged(feed_server, capsys):
    show = ShowFactory(
        feed_url=feed_server.serve("/feed.xml", rss([item(1)]), etag='"x"'),
        next_poll_at=timezone.now() + timedelta(days=1),
        etag='"x"',
    )
    call_command("poll_feeds", "--show", show.slug)
    assert f"{show}: OK (1 new" in capsys.readouterr().out
    assert "If-None-Match" not in feed_server.hits("/feed.xml")[0]["headers"]


def test_poll_feeds_can_queue_the_polls(feed_server, capsys):
    past = timezone.now() - timedelta(minutes=1)
    show = ShowFactory(feed_url=feed_server.serve("/due.xml", rss([item(1)])), next_poll_at=past)
    call_command("poll_feeds", "--enqueue")
    assert "Queued 1 polls." in capsys.readouterr().out
    # No broker in tests: the queued task ran eagerly.
    assert Show.objects.get(pk=show.pk).last_fetch_status == Show.FetchStatus.OK


def test_poll_feeds_refuses_an_unknown_slug():
    with pytest.raises(CommandError, match="No show"):
        call_command("poll_feeds", "--show", "nope")
