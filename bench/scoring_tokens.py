"""Prompt size of the litellm engine: rubric/instructions alone, and tokens per transcript minute.

Counts with litellm.token_counter on the reference transcript (a 30-minute episode), for a few
tokenizers. Needs ../shared/reference. Run: .venv/bin/python bench/scoring_tokens.py
"""

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podindex.settings")

import django  # noqa: E402

django.setup()

from core.llm import load_litellm  # noqa: E402
from episodes.transcripts.parse import parse_plain_text  # noqa: E402
from scoring import prompt  # noqa: E402
from scoring.engines.base import DimensionSpec, EpisodeContext  # noqa: E402
from scoring.models import Rubric  # noqa: E402

REFERENCE = ROOT.parent / "shared" / "reference" / "seed-episode-page.txt"
MINUTES = 30
MODELS = ["openai/gpt-4o-mini", "openai/gpt-4", "anthropic/claude-3-5-sonnet-20240620"]


def main():
    body = REFERENCE.read_text(encoding="utf-8")
    body = body.split("Transcribed and scored by The B2B Podcast Index.", 1)[1]
    text = "\n".join(line for line in body.splitlines() if re.match(r"Speaker [A-Z]: ", line))
    rubric = Rubric.objects.active().prefetch_related("dimensions").get()
    context = EpisodeContext(
        title="FinOps and AI",
        show_title="Next in Tech",
        segments=parse_plain_text(text),
        dimensions=[
            DimensionSpec(d.key, d.name, d.description, d.max_score)
            for d in rubric.dimensions.all()
        ],
        duration_seconds=MINUTES * 60,
    )
    litellm = load_litellm()
    lines = prompt.transcript_lines(context)
    words = len(text.split())
    print(f"Reference transcript: {words:,} words, {MINUTES} min")
    for model in MODELS:
        empty = litellm.token_counter(model=model, messages=prompt.messages(context, []))
        full = litellm.token_counter(model=model, messages=prompt.messages(context, lines))
        per_minute = (full - empty) / MINUTES
        print(
            f"{model:42} instructions+rubric+metadata: {empty:5,} tokens; "
            f"whole prompt: {full:6,}; transcript: {per_minute:5.0f} tokens/min"
        )


if __name__ == "__main__":
    main()
