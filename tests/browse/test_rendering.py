"""Every public page renders one way: through core.htmx.render_page, which also picks the
`{% partialdef %}` an htmx request targets."""

import re
from pathlib import Path

VIEWS = Path(__file__).resolve().parents[2] / "browse" / "views"
OTHER_WAYS = re.compile(r"\b(?:render|TemplateResponse|render_to_response|render_to_string)\(")


def test_it_finds_no_other_way_to_render_a_page_in_the_views():
    offenders = [
        f"{path.name}: {match.group(0)}"
        for path in sorted(VIEWS.glob("*.py"))
        for match in OTHER_WAYS.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_it_would_notice_one():
    assert OTHER_WAYS.search('    return render(request, "home.html", {})')
    assert not OTHER_WAYS.search('    return render_page(request, "home.html", {})')
