"""The "Editors" group: what an editor may do in the admin, and nothing more."""

EDITORS_GROUP = "Editors"
# app_label.codename: correct scores (each correction is a new row of the override log, so
# no change or delete), hide and re-score episodes, add, watch and delete shows (the admin
# lets an editor delete only a show with no scored episodes), read the costs, the activity log
# and the dashboard; add and correct people and their appearances. Identity fields and raw
# transcripts stay read-only for editors.
EDITOR_PERMISSIONS = [
    "scoring.add_editorialoverride",
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
    "shows.delete_show",
    "shows.view_show",
    "shows.view_category",
    "shows.view_feedfetch",
    "people.add_person",
    "people.change_person",
    "people.view_person",
    "people.add_appearance",
    "people.change_appearance",
    "people.delete_appearance",
    "people.view_appearance",
    "desk.view_activity",
    "desk.view_dashboard",
]


def ensure_editors_group(**kwargs) -> None:
    """Create the Editors group, or bring it back to exactly EDITOR_PERMISSIONS, after migrating.

    Permissions of apps whose post_migrate has not run yet are created first, so the group is
    whole whichever app's signal calls this.
    """
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    using = kwargs.get("using", "default")
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    group, _ = Group.objects.using(using).get_or_create(name=EDITORS_GROUP)
    wanted = {tuple(name.split(".")) for name in EDITOR_PERMISSIONS}
    permissions = [
        p
        for p in Permission.objects.using(using).select_related("content_type")
        if (p.content_type.app_label, p.codename) in wanted
    ]
    group.permissions.set(permissions)
