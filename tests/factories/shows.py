import factory

from shows.models import Category, Show


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class ShowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Show
        skip_postgeneration_save = True

    feed_url = factory.Sequence(lambda n: f"https://feeds.example.com/show-{n}.xml")
    title = factory.Sequence(lambda n: f"Show {n}")
    slug = factory.Sequence(lambda n: f"show-{n}")
    author = "Jane Host"
    description = "<p>A show about B2B things.</p>"
    language = "en"

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if create and extracted:
            self.categories.add(*extracted)
