"""The baseline formulas, read from the code that applies them, for the methodology page."""

from django import template

from scoring.engines.baseline import FEATURES, FORMULAS

register = template.Library()


@register.simple_tag
def baseline_formulas(rubric) -> list[dict]:
    """Each dimension's formula as base, terms (feature, weight, cap) and feature meanings,
    named as the active `rubric`'s dimensions are (the page has them prefetched)."""
    names = {d.key: d.name for d in rubric.dimensions.all()} if rubric else {}
    return [
        {
            "key": formula.dimension,
            "name": names.get(formula.dimension, formula.dimension.replace("_", " ").title()),
            "base": f"{formula.base:g}",
            "terms": [
                {
                    "feature": term.feature,
                    "meaning": FEATURES[term.feature],
                    "weight": term.weight,
                    "sign": "+" if term.weight >= 0 else "−",
                    "magnitude": f"{abs(term.weight):g}",
                    "cap": f"{term.cap:g}",
                }
                for term in formula.terms
            ],
        }
        for formula in FORMULAS
    ]
