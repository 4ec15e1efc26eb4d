"""Score episodes by hand: python manage.py score_episodes [--episode ID] [--show SLUG] [--force]"""

from collections import Counter
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError

from episodes.models import Episode
from scoring.models import ScoringRun
from scoring.pipeline import run_scoring


class Command(BaseCommand):
    help = (
        "Score episodes that have a transcript with the configured engine (litellm model or "
        "the offline baseline). Unchanged transcripts are skipped unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--episode", type=int, action="append", help="Episode id (repeatable).")
        parser.add_argument("--show", help="Only this show's episodes (slug).")
        parser.add_argument("--force", action="store_true", help="Re-score unchanged episodes.")

    def handle(self, *args, episode=None, show=None, force=False, **options):
        episodes = Episode.objects.filter(transcript__isnull=False).select_related("show")
        if episode:
            episodes = Episode.objects.filter(pk__in=episode).select_related("show")
            missing = set(episode) - set(episodes.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"No episode with id {', '.join(map(str, sorted(missing)))}")
        if show:
            episodes = episodes.filter(show__slug=show)
            if not episodes.exists() and not Episode.objects.filter(show__slug=show).exists():
                raise CommandError(f"No show {show!r} with episodes")
        ids = list(
            episodes.order_by("published_at", "pk").values_list("pk", "show__title", "title")
        )
        if not ids:
            self.stdout.write("Nothing to score.")
            return
        outcomes: Counter = Counter()
        cost = Decimal(0)
        held = 0
        for done, (episode_id, show_title, title) in enumerate(ids, start=1):
            run = run_scoring(episode_id, force=force)
            outcomes[run.outcome] += 1
            cost += run.cost_usd
            line = f"[{done}/{len(ids)}] {show_title} — {title}: {run.get_outcome_display()}"
            if run.scorecard_id and run.outcome == ScoringRun.Outcome.OK:
                line += f" {run.scorecard.total}/100"
                if run.scorecard.is_held:
                    held += 1
                    line += " — held for an editor's review, not public"
            if run.cost_usd:
                line += f" (${run.cost_usd})"
            if run.error:
                line += f" — {run.error}"
            style = self.style.ERROR if run.outcome == ScoringRun.Outcome.FAILED else str
            self.stdout.write(style(line))
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))
        if held:
            summary += f" ({held} held for review)"
        self.stdout.write(self.style.SUCCESS(f"Done: {summary}; cost ${cost}."))
