"""Real recordings (../shared/realspeech: a conversation and AMI meeting excerpts, far-field,
overlapping, quiet) are all transcribed: none refused, none empty."""

from pathlib import Path

import pytest
from django.conf import settings

from episodes.asr.pipeline import transcribe_file

FOLDER = Path(settings.BASE_DIR).parent / "shared" / "realspeech"
RECORDINGS = sorted(FOLDER.glob("*.wav")) if FOLDER.is_dir() else []


@pytest.mark.skipif(not RECORDINGS, reason="../shared/realspeech is not here")
@pytest.mark.parametrize("path", RECORDINGS, ids=lambda path: path.stem)
def test_it_transcribes_every_real_recording(path):
    result = transcribe_file(path, engine="local")
    assert result.language == "en"
    assert result.segments
    assert all(segment["text"].strip() for segment in result.segments)
