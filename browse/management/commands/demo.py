import json
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.templatetags.static import static

from episodes.models import Episode, Transcript
from episodes.transcripts import transcribe
from people import ranking as people_ranking
from people.sweep import refresh_episode
from scoring.pipeline import run_scoring
from scoring.ranking import recompute_all
from shows.categories import ensure_default_categories
from shows.models import Show, ShowCategory

DEMO_DIR = Path(__file__).resolve().parent.parent.parent / "demo"
# Demo feeds live on example.com and cannot be fetched: park them outside the poller's reach.
NEVER = datetime(9999, 1, 1, tzinfo=UTC)


class Command(BaseCommand):
    help = "Load the bundled fictional demo shows, transcripts and scorecards (idempotent)."

    def handle(self, *args, **options):
        files = sorted(DEMO_DIR.glob("*.json"))
        if not files:
            raise CommandError(f"No demo shows found in {DEMO_DIR}")
        categories = ensure_default_categories()
        episode_ids = []
        for path in files:
            data = json.loads(path.read_text(encoding="utf-8"))
            with transaction.atomic():
                show = load_show(data, categories)
                episodes = [(load_episode(show, item), item) for item in data["episodes"]]
            for episode, item in episodes:
                if item.get("audio"):
                    self.transcribe(episode, item)
            episode_ids.extend(episode.pk for episode, _ in episodes)
            self.stdout.write(f"  {show.title}: {len(episodes)} episodes")
        self.score(episode_ids)
        # The beat's people sweep would find them within a minute; the demo shows them now.
        for episode in Episode.objects.filter(pk__in=episode_ids).select_related("show"):
            refresh_episode(episode)
        # No beat in the embedded default: the people's figures are computed here.
        people_ranking.recompute_all()
        self.stdout.write(self.style.SUCCESS(f"Demo loaded: {len(files)} shows."))

    def transcribe(self, episode, item):
        """Make our own transcript of a demo episode from its bundled audio (local engine)."""
        if Transcript.objects.filter(episode=episode, source=Transcript.Source.ASR).exists():
            return
        self.stdout.write(f"  transcribing {item['audio']} with our speech-to-text…")
        transcript = transcribe.transcribe_audio(episode, demo_audio_path(item))
        if transcript is None:
            episode.refresh_from_db(fields=["transcript_error"])
            self.stderr.write(f"  could not transcribe it: {episode.transcript_error}")
        else:
            self.stdout.write(
                f"  {transcript.audio_seconds:.0f} s of audio in {transcript.wall_seconds:.1f} s "
                f"({transcript.real_time_factor:.0f}x real time), {transcript.model}"
            )

    def score(self, episode_ids):
        """Score every demo episode (the baseline when no LLM is configured)."""
        for done, episode_id in enumerate(episode_ids, start=1):
            run = run_scoring(episode_id)
            self.stdout.write(f"  scored {done}/{len(episode_ids)}: {run.outcome}")
        recompute_all()


def load_show(data: dict, categories: dict) -> Show:
    """Create or update one demo show and its categories."""
    show, _ = Show.objects.update_or_create(
        feed_url=data["feed_url"],
        defaults={
            "title": data["title"],
            "slug": data["slug"],
            "author": data["author"],
            "description": data["description"],
            "website_url": data["website_url"],
            "artwork_url": static(f"demo/{data['slug']}.svg"),
            "language": data.get("language", "en"),
            "complete": True,
            "next_poll_at": NEVER,
        },
    )
    for slug in data["categories"]:
        ShowCategory.objects.get_or_create(show=show, category=categories[slug])
    return show


def load_episode(show: Show, data: dict) -> Episode:
    """Create or update one demo episode and its transcript."""
    episode, _ = Episode.objects.update_or_create(
        show=show,
        guid=data["guid"],
        defaults={
            "title": data["title"],
            "slug": data["slug"],
            "published_at": datetime.fromisoformat(data["published"]),
            "duration_seconds": data["duration_seconds"],
            "number": data.get("number"),
            "season": data.get("season"),
            "notes_html": data["notes_html"],
            "people": data.get("people", []),
            "audio_url": (
                static(data["audio"])
                if data.get("audio")
                else f"{show.website_url.rstrip('/')}/audio/{data['slug']}.mp3"
            ),
            "audio_type": "audio/mpeg",
            "audio_size": demo_audio_path(data).stat().st_size if data.get("audio") else None,
            "link": f"{show.website_url.rstrip('/')}/episodes/{data['slug']}/",
        },
    )
    if "transcript" not in data:
        # Ours to make, from the bundled audio (Command.transcribe).
        return episode
    turns = data["transcript"]
    segments = [
        {
            "speaker": turn["speaker"],
            "start": turn["start"],
            "end": turns[i + 1]["start"] if i + 1 < len(turns) else data["duration_seconds"],
            "text": turn["text"],
        }
        for i, turn in enumerate(turns)
    ]
    transcript = Transcript.objects.filter(episode=episode).first() or Transcript(episode=episode)
    if transcript.segments != segments or transcript.speaker_names != data["speakers"]:
        transcript.segments = segments
        transcript.speaker_names = data["speakers"]
        transcript.source = Transcript.Source.PUBLISHER
        transcript.format = "json"
        transcript.language = show.language
        transcript.save()
    return episode


def demo_audio_path(data: dict) -> Path:
    """The bundled audio file of a demo episode, in static/."""
    return Path(settings.STATICFILES_DIRS[0]) / data["audio"]
