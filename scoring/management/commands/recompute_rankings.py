from django.core.management.base import BaseCommand

from scoring.ranking import recompute_all
from shows.models import Show


class Command(BaseCommand):
    help = "Recompute every show's score, figures and ranks (overall and per category)."

    def handle(self, *args, **options):
        def progress(done, total):
            self.stdout.write(f"  {done}/{total} shows")

        recompute_all(progress=progress)
        ranked = Show.objects.ranked().count()
        self.stdout.write(self.style.SUCCESS(f"Rankings recomputed: {ranked} shows ranked."))
