"""The "Editors" group: what an editor may do in the admin, and nothing more."""

EDITORS_GROUP = "Editors"
# app_label.codename: correct scores, hide episodes, add and watch shows, read the costs.
EDITOR_PERMISSIONS = [
    "scoring.add_editorialoverride",
    "scoring.change_editorialoverride",
    "scoring.delete_editorialoverride",
    "scoring.view_editorialoverride",
    "scoring.view_scorecard",
    "scoring.view_scoringrun",
    "scoring.view_rubric",
    "episodes.view_episode",
    "episodes.change_episode",
    "episodes.view_transcript",
    "episodes.change_transcript",
    "episodes.view_topic",
    "episodes.change_topic",
    "shows.add_show",
    "shows.change_show",
    "shows.view_show",
    "shows.view_category",
    "shows.view_feedfetch",
]


def ensure_editors_group(**kwargs) -> None:
    """Create or update the Editors group after migrations (permissions exist by then)."""
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    wanted = {tuple(name.split(".")) for name in EDITOR_PERMISSIONS}
    permissions = [
        p
        for p in Permission.objects.select_related("content_type")
        if (p.content_type.app_label, p.codename) in wanted
    ]
    group.permissions.add(*permissions)
