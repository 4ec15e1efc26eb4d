import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.urls import reverse

from desk.editors import EDITORS_GROUP
from episodes.models import Episode
from scoring.models import EditorialOverride, RubricDimension, Scorecard
from scoring.ranking import refresh_show
from tests.factories import ShowFactory, TranscriptFactory, scored_episode

pytestmark = pytest.mark.django_db


@pytest.fixture
def ranked_show(settings):
    settings.PODINDEX_RANKING_MIN_EPISODES = 1
    show = ShowFactory(title="Ledger Lessons")
    for scores in [(18, 18, 18, 18, 18), (4, 4, 4, 4, 4)]:
        scored_episode(scores=scores, show=show)
    return show


def test_it_lists_and_searches_episodes(admin_client, ranked_show, django_assert_max_num_queries):
    for _ in range(10):
        scored_episode(show=ranked_show)
    url = reverse("admin:episodes_episode_changelist")
    with django_assert_max_num_queries(15):
        response = admin_client.get(url, {"q": "Ledger"})
    rows = BeautifulSoup(response.content, "html.parser").select("#result_list tbody tr")
    assert len(rows) == 12


def test_hiding_an_episode_removes_it_from_the_site_and_the_show_score(
    admin_client, client, ranked_show
):
    refresh_show(ranked_show.pk)
    ranked_show.refresh_from_db()
    before = ranked_show.score
    weak = ranked_show.episodes.get(score=20)
    response = admin_client.post(
        reverse("admin:episodes_episode_changelist"),
        {"action": "hide", "_selected_action": [weak.pk], "reason": "A trailer."},
        follow=True,
    )
    assert "Hid 1 episode(s)." in response.content.decode()
    assert client.get(weak.get_absolute_url()).status_code == 404
    ranked_show.refresh_from_db()
    assert ranked_show.score > before
    assert ranked_show.scored_episode_count == 1


def test_rescoring_from_the_episode_list_makes_a_new_scorecard(admin_client, ranked_show):
    episode = Episode.objects.filter(show=ranked_show).first()
    TranscriptFactory(
        episode=episode,
        segments=[
            {
                "speaker": "AB"[n % 2],
                "start": n * 10.0,
                "end": n * 10.0 + 10,
                "text": "We cut the close from nine days to four and saved $40,000 a quarter.",
            }
            for n in range(20)
        ],
    )
    admin_client.post(
        reverse("admin:episodes_episode_changelist"),
        {"action": "rescore_episodes", "_selected_action": [episode.pk]},
    )
    current = Scorecard.objects.get(episode=episode, is_current=True)
    assert current.engine == Scorecard.Engine.BASELINE
    assert Scorecard.objects.filter(episode=episode).count() == 2


def test_it_refuses_the_admin_to_visitors(client):
    response = client.get(reverse("admin:episodes_episode_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_an_editor_corrects_a_dimension_from_the_episode_page(admin_client, client, admin_user):
    episode = scored_episode(scores=(10, 8, 7, 8, 8))
    change = reverse("admin:episodes_episode_change", args=[episode.pk])
    page = BeautifulSoup(admin_client.get(change).content, "html.parser")
    review = page.select_one("a.review-link")["href"]
    assert review == reverse("admin:episodes_episode_review", args=[episode.pk])
    # The episode page no longer carries the corrections: they live on the review screen.
    assert not page.select("[name^='overrides-']")

    response = admin_client.post(
        review,
        {
            "target": "guest_caliber",
            "op": "save",
            "guest_caliber-score": "15",
            "guest_caliber-reason": "The guest built the team she describes.",
            "guest_caliber-version": "0",
        },
    )

    assert response.status_code == 302
    override = EditorialOverride.objects.get(episode=episode)
    assert override.editor == admin_user
    assert override.dimension == RubricDimension.objects.get(
        key="guest_caliber", rubric__is_active=True
    )
    episode.refresh_from_db()
    assert episode.score == 49
    page = BeautifulSoup(client.get(episode.get_absolute_url()).content, "html.parser")
    assert "The guest built the team she describes." in page.select_one(".notice-adjusted").text


def test_an_editor_cannot_change_an_episodes_identity(client, django_user_model):
    episode = scored_episode()
    editor = django_user_model.objects.create_user("ed", is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITORS_GROUP))
    client.force_login(editor)
    html = client.get(reverse("admin:episodes_episode_change", args=[episode.pk])).content.decode()
    for field in ("guid", "slug", "audio_url", "show"):
        assert f'name="{field}"' not in html
    assert 'name="title"' in html
