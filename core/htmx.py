"""htmx plumbing: one way for a view to answer a swap with just the fragment it asked for."""

from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers


class HtmxVaryMiddleware:
    """Mark responses as varying on htmx headers so caches never mix fragments and pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request", "HX-Target"))
        return response


def render_page(request, template_name: str, context: dict, *, partials=()) -> TemplateResponse:
    """The whole page, or the `{% partialdef %}` an htmx request targets when it is one of
    `partials`. History restores and other targets get the whole page."""
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request and htmx.target in partials:
        template_name = f"{template_name}#{htmx.target}"
    return TemplateResponse(request, template_name, context)
