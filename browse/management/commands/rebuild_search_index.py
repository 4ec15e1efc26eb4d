import time

from django.conf import settings
from django.core.management.base import BaseCommand

from core import search_index
from episodes.models import Episode, Transcript
from shows.models import Show

CHUNK = 2000


def documents():
    """Every show, episode and transcript as the search engine indexes them.

    Hidden episodes and inactive shows too: who may see a row is read from the database at
    each search, so hiding or showing one again needs no change to the index.
    """
    for pk, title, author, description in Show.objects.values_list(
        "pk", "title", "author", "description"
    ).iterator(chunk_size=CHUNK):
        yield search_index.show_doc(pk, title, author, description)
    for pk, title, notes_html in Episode.objects.values_list("pk", "title", "notes_html").iterator(
        chunk_size=CHUNK
    ):
        yield search_index.episode_doc(pk, title, notes_html)
    for pk, segments in Transcript.objects.values_list("pk", "segments").iterator(chunk_size=CHUNK):
        yield search_index.transcript_doc(pk, segments)


class Command(BaseCommand):
    help = "Build the search engine's index (PODINDEX_SEARCH_ENGINE=tantivy) from the database."

    def handle(self, *args, **options):
        started = time.monotonic()
        count = search_index.rebuild(documents())
        self.stdout.write(
            f"{count} documents indexed in {time.monotonic() - started:.1f} s"
            f" into {settings.PODINDEX_SEARCH_INDEX_DIR}"
        )
