"""Recordings made once per session with espeak-ng and ffmpeg, and their transcripts.

Generating the audio and loading the model are the slow parts: each happens once per test
process. The audio tools are installed by `make test` (scripts/ensure-audio-tools.sh); only
where they are genuinely absent do these tests skip.
"""

import pytest

from episodes.asr import audio
from episodes.asr.pipeline import transcribe_file
from tests.episodes.asr.fake_asr_server import FakeTranscriber
from tests.factories.audio import INTERVIEW, PANEL, render, tools_missing


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory):
    """A folder for this session's generated audio; skips without espeak-ng or ffmpeg."""
    missing = tools_missing()
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed: run scripts/ensure-audio-tools.sh")
    return tmp_path_factory.mktemp("asr-audio")


@pytest.fixture(scope="session")
def interview(audio_dir):
    """Two voices, ten turns, 82 s: a host and a guest talk about pricing."""
    return render(INTERVIEW, audio_dir / "interview.mp3")


@pytest.fixture(scope="session")
def panel(audio_dir):
    """Three voices, ten turns, 65 s: a host and two guests talk about hiring."""
    return render(PANEL, audio_dir / "panel.mp3")


@pytest.fixture(scope="session")
def short_clip(audio_dir):
    """The interview's first two turns, 21 s."""
    return render(INTERVIEW[:2], audio_dir / "short.mp3")


@pytest.fixture(scope="session")
def interview_samples(interview):
    return audio.load_audio(interview.path, max_seconds=3600)


@pytest.fixture(scope="session")
def interview_transcript(interview):
    """The interview through the local engine, the number of speakers not given."""
    return transcribe_file(interview.path, engine="local")


@pytest.fixture(scope="session")
def panel_transcript(panel):
    """The panel through the local engine, told there are three speakers."""
    return transcribe_file(panel.path, speakers=3, engine="local")


@pytest.fixture
def fake_transcriber(interview, interview_samples):
    """A running OpenAI-compatible transcription server that knows the interview."""
    server = FakeTranscriber(interview_samples, interview.timed_words()).start()
    yield server
    server.stop()


@pytest.fixture
def api(fake_transcriber, settings):
    """Settings pointing the api engine at the fake server: ~16 s pieces, fast retries."""
    settings.PODINDEX_ASR_API_MODEL = "openai/whisper-1"
    settings.PODINDEX_ASR_API_BASE = fake_transcriber.url
    settings.PODINDEX_ASR_API_KEY = "test-key"
    settings.PODINDEX_ASR_API_MAX_CHUNK_BYTES = 80_000
    settings.PODINDEX_ASR_API_TIMEOUT = 5.0
    settings.PODINDEX_ASR_API_MAX_RETRIES = 2
    settings.PODINDEX_ASR_API_RETRY_BACKOFF = 0.01
    settings.PODINDEX_ASR_API_MAX_RETRY_WAIT = 5.0
    return fake_transcriber
