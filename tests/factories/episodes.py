from datetime import timedelta

import factory
from django.utils import timezone

from episodes.models import Episode, Topic, Transcript
from tests.factories.shows import ShowFactory


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class EpisodeFactory(factory.django.DjangoModelFactory):
    """An unscored episode; `tests.factories.scored_episode` makes scored ones."""

    class Meta:
        model = Episode

    show = factory.SubFactory(ShowFactory)
    guid = factory.Sequence(lambda n: f"guid-{n}")
    title = factory.Sequence(lambda n: f"Episode {n}")
    slug = factory.Sequence(lambda n: f"episode-{n}")
    published_at = factory.Sequence(lambda n: timezone.now() - timedelta(days=n))
    duration_seconds = 1800
    audio_url = factory.Sequence(lambda n: f"https://cdn.example.com/ep-{n}.mp3")
    audio_type = "audio/mpeg"
    notes_html = "<p>Episode notes.</p>"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Only scoring writes the stored score: a factory that wrote it would build episodes
        # whose score no scorecard backs and whose show's ranking never heard of it.
        if {"score", "scored_at"} & kwargs.keys():
            raise TypeError("Use scored_episode(total=..., scored_at=...) for a scored episode.")
        return super()._create(model_class, *args, **kwargs)


class TranscriptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Transcript

    episode = factory.SubFactory(EpisodeFactory)
    format = "text"
    segments = factory.LazyFunction(
        lambda: [
            {"speaker": "A", "start": 0.0, "end": 4.0, "text": "So, welcome to the show."},
            {"speaker": "B", "start": 4.0, "end": 9.0, "text": "Thanks, it is great to be here."},
        ]
    )
