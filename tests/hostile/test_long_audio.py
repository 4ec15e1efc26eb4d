"""Audio that costs more than it says: hours declared in a few megabytes are refused before
decoding, and long audio is decoded holding its samples and one piece, not copies of them."""

import json
import os
import subprocess
import sys
import wave

import numpy as np
import pytest
from django.conf import settings

from episodes.asr import audio
from episodes.asr.errors import NoSpeech
from tests.factories.audio import ffmpeg, tools_missing
from tests.hostile.conftest import measure

pytestmark = pytest.mark.skipif(bool(tools_missing()), reason="ffmpeg is not installed")


def beeps(dest, seconds, **encoding):
    """`seconds` of a 30 ms beep once a second, looped from one second of audio by ffmpeg."""
    one = dest.with_name("beep.wav")
    t = np.arange(audio.SAMPLE_RATE) / audio.SAMPLE_RATE
    tone = 0.5 * np.sin(2 * np.pi * 1000 * t) * (t < 0.03)
    with wave.open(str(one), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(audio.SAMPLE_RATE)
        out.writeframes((tone * 32767).astype(np.int16).tobytes())
    options = [item for pair in encoding.items() for item in (f"-{pair[0]}", pair[1])]
    ffmpeg("-stream_loop", seconds - 1, "-i", one, *options, dest)
    return dest


def test_it_refuses_hours_of_beeps_in_a_few_megabytes_before_decoding(tmp_path):
    # 3.9 h in about 12 MB of FLAC: decoding it would hold 900 MB of samples.
    flac = beeps(tmp_path / "beeps.flac", 14040, **{"c:a": "flac"})
    samples_bytes = 14040 * audio.SAMPLE_RATE * 4
    cost = measure(audio.load_audio, flac, max_seconds=settings.PODINDEX_ASR_MAX_SECONDS)
    assert isinstance(cost.error, NoSpeech)
    assert "bytes a second" in str(cost.error)
    assert cost.peak_bytes < samples_bytes / 1000


# Run in a fresh process: its peak resident memory (VmHWM, which starts afresh at exec, unlike
# ru_maxrss) is then the decoder's alone.
DECODE = """
import json, re, sys
import django
django.setup()
from episodes.asr import audio
def peak():
    status = open("/proc/self/status").read()
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) * 1024
if sys.argv[2] == "unknown":
    # As a stream whose header tells no length: the decoder cannot size anything in advance.
    audio.declared_seconds = lambda container, stream: 0.0
before = peak()
samples = audio.load_audio(sys.argv[1], max_seconds=6 * 3600)
print(json.dumps({"samples": samples.nbytes, "growth": peak() - before}))
"""


@pytest.mark.parametrize("length", ["declared", "unknown"])
def test_it_decodes_long_audio_holding_the_samples_and_one_piece(tmp_path, length):
    # Forty minutes (154 MB of samples) at 32 kb/s: a plausible size for its length.
    mp3 = beeps(tmp_path / "beeps.mp3", 2400, **{"c:a": "libmp3lame", "b:a": "32k"})
    run = subprocess.run(
        [sys.executable, "-c", DECODE, str(mp3), length],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "podindex.settings"},
        cwd=settings.BASE_DIR,
    )
    figures = json.loads(run.stdout.splitlines()[-1])
    assert figures["samples"] == 2400 * audio.SAMPLE_RATE * 4
    # The samples, one ten-minute piece (a quarter of them here) and the decoder's own buffers;
    # a buffer grown by copying took twice the samples or more.
    assert figures["growth"] < 1.5 * figures["samples"]
