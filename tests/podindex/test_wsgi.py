"""The WSGI entry point leaves what a worker loads at start out of the collector's full passes."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_it_freezes_the_code_models_and_views_a_worker_loads_at_start():
    script = (
        "import gc, sys, podindex.wsgi; "
        "print(gc.get_freeze_count(), 'browse.views.site' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "1"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()

    assert int(out[0]) > 50_000
    assert out[1] == "True"
