import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from browse.editors import EDITOR_PERMISSIONS, EDITORS_GROUP
from tests.factories import ShowFactory, scored_episode

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    editor = User.objects.create_user("dana", password="a-long-passphrase", is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITORS_GROUP))
    client.force_login(editor)
    return client


def test_it_creates_the_editors_group_with_every_permission_after_migrating():
    group = Group.objects.get(name=EDITORS_GROUP)
    granted = {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }
    assert granted == set(EDITOR_PERMISSIONS)


def test_an_editor_can_correct_scores_but_not_manage_users_or_delete_shows(editor_client):
    episode = scored_episode()
    assert editor_client.get(reverse("admin:scoring_editorialoverride_add")).status_code == 200
    change = reverse("admin:episodes_episode_change", args=[episode.pk])
    assert editor_client.get(change).status_code == 200
    assert editor_client.get(reverse("admin:auth_user_changelist")).status_code == 403
    show = ShowFactory()
    delete = reverse("admin:shows_show_delete", args=[show.pk])
    assert editor_client.get(delete).status_code == 403
