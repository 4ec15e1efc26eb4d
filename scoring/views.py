"""The methodology page: the rubric, how scores are made and corrected."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from scoring.models import Rubric


@require_GET
def methodology(request):
    """Publish the active rubric and explain how it is applied."""
    rubric = Rubric.objects.filter(is_active=True).prefetch_related("dimensions").first()
    return render(request, "methodology.html", {"rubric": rubric})
