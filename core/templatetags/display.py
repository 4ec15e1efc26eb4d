"""Template filters shared by every page."""

import json

from django import template
from django.utils.html import _json_script_escapes
from django.utils.safestring import mark_safe

from core.html import sanitize_html

register = template.Library()


@register.filter
def sanitized(html):
    """Render untrusted HTML after sanitising it (defence in depth: feeds are cleaned on save)."""
    return mark_safe(sanitize_html(html or ""))  # noqa: S308 - nh3 output is safe


@register.filter
def duration(seconds):
    """1830 → "30 min"; 5400 → "1 h 30 min"."""
    if not seconds:
        return ""
    minutes = round(int(seconds) / 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


@register.filter
def timestamp(seconds):
    """62.5 → "01:02"; 3725 → "1:02:05"."""
    if seconds is None or seconds == "":
        return ""
    total = int(float(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


@register.filter
def jsonld(data):
    """Serialise schema.org data for a <script type="application/ld+json"> block, safely."""
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(_json_script_escapes))  # noqa: S308
