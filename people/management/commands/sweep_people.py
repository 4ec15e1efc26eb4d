from django.core.management.base import BaseCommand

from episodes.models import Episode
from people import sweep


class Command(BaseCommand):
    help = "Read the people of episodes whose sources changed (what beat does every minute)."

    def add_arguments(self, parser):
        parser.add_argument("--episode", type=int, help="Only this episode (by id).")
        parser.add_argument(
            "--force", action="store_true", help="Even if its inputs are unchanged."
        )
        parser.add_argument(
            "--limit", type=int, default=sweep.SWEEP_BATCH, help="Episodes read per batch."
        )

    def handle(self, *args, episode=None, force=False, limit=sweep.SWEEP_BATCH, **options):
        if episode is not None:
            found = Episode.objects.select_related("show").filter(pk=episode).first()
            changed = int(bool(found) and sweep.refresh_episode(found, force=force))
        else:
            changed = sweep.sweep(limit, seconds=float("inf"))
        self.stdout.write(f"People read again on {changed} episode(s).")
