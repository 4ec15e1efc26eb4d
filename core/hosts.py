"""Refuse requests whose Host header names an impossible port.

Django accepts any run of digits as a port (`localhost:000000000000000000000000008000`), and
anything that keys on the host (caches, redirects built from it) would treat each spelling as
a different site. A port is 1–65535 written without leading zeros, or the request is a 400.
"""

from django.core.exceptions import DisallowedHost
from django.http import HttpResponseBadRequest
from django.http.request import split_domain_port


def is_valid_port(port: str) -> bool:
    """Whether a Host header's port part is empty or a plain 1–65535."""
    if not port:
        return True
    return port.isdigit() and len(port) <= 5 and port[0] != "0" and int(port) <= 65535


class HostPortMiddleware:
    """Answer 400 to a Host header whose port is malformed, before anything reads the host."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            host = request.get_host()
        except DisallowedHost:
            # Not an allowed host at all: Django's own handling answers 400 further in.
            return self.get_response(request)
        _, port = split_domain_port(host)
        if not is_valid_port(port):
            return HttpResponseBadRequest(
                "The Host header's port must be a number from 1 to 65535.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
