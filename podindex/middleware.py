"""Cross-cutting htmx plumbing, so views stay unaware of it."""

from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils.cache import patch_vary_headers


class HtmxVaryMiddleware:
    """Mark responses as varying on htmx headers so caches never mix fragments and pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request", "HX-Target"))
        return response


class HtmxPartialMiddleware:
    """Answer an htmx request with just the `{% partialdef %}` named like the swap target.

    A view returns a TemplateResponse for the whole page; when htmx asks to swap
    `#ranking` and the template defines a partial called "ranking", only that fragment is
    rendered. History restores and unknown targets get the full page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_template_response(self, request, response):
        htmx = getattr(request, "htmx", None)
        if not htmx or htmx.history_restore_request or not htmx.target:
            return response
        name = response.template_name
        if not isinstance(name, str) or "#" in name:
            return response
        partial = f"{name}#{htmx.target}"
        try:
            get_template(partial)
        except TemplateDoesNotExist:
            return response
        response.template_name = partial
        return response
