import pytest
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse

from desk.editors import EDITOR_PERMISSIONS, EDITORS_GROUP, ensure_editors_group
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


def test_an_editor_can_correct_scores_but_not_manage_users_or_delete_scored_shows(editor_client):
    episode = scored_episode()
    review = reverse("admin:episodes_episode_review", args=[episode.pk])
    assert editor_client.get(review).status_code == 200
    change = reverse("admin:episodes_episode_change", args=[episode.pk])
    assert editor_client.get(change).status_code == 200
    assert editor_client.get(reverse("admin:auth_user_changelist")).status_code == 403
    delete = reverse("admin:shows_show_delete", args=[episode.show_id])
    assert editor_client.get(delete).status_code == 403
    mistake = ShowFactory()
    delete = reverse("admin:shows_show_delete", args=[mistake.pk])
    assert editor_client.get(delete).status_code == 200


def test_migrating_again_brings_the_group_back_to_exactly_its_permissions():
    group = Group.objects.get(name=EDITORS_GROUP)
    extra = Permission.objects.get(codename="delete_episode")
    group.permissions.add(extra)

    ensure_editors_group()

    assert not group.permissions.filter(pk=extra.pk).exists()
    assert group.permissions.count() == len(EDITOR_PERMISSIONS)
