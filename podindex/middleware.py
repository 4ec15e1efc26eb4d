"""Cross-cutting htmx plumbing, so views stay unaware of it."""

from django.utils.cache import patch_vary_headers


class HtmxVaryMiddleware:
    """Mark responses as varying on htmx headers so caches never mix fragments and pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request", "HX-Target"))
        return response
