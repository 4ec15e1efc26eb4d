"""The B2B verticals the index ranks shows in."""

from shows.models import Category

DEFAULT_CATEGORIES = [
    ("finance", "Finance", "CFOs, controllers and FP&A on running the numbers."),
    ("marketing", "Marketing", "Demand, brand and product marketing for B2B."),
    ("sales", "Sales", "Pipeline, closing and sales leadership."),
    ("saas-tech", "SaaS & Tech", "Building, pricing and running software businesses."),
    ("leadership", "Leadership", "Operators on managing companies and teams."),
    ("hr", "HR", "People operations, hiring and compensation."),
]


def ensure_default_categories() -> dict[str, Category]:
    """Create the standard categories if missing; return them by slug."""
    categories = {}
    for position, (slug, name, description) in enumerate(DEFAULT_CATEGORIES):
        category, _ = Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )
        categories[slug] = category
    return categories
