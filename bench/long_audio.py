"""Audio that costs more than it says: 3.9 hours of short beeps, decoded and transcribed.

Two files of the same 14,040 s (one 30 ms beep a second): a FLAC of about 12 MB, too small for
its length (refused before decoding), and a 32 kb/s MP3 of 56 MB, a plausible size, which goes
through decoding, the voice detector and the engine before "no speech". Each run is a fresh
process that reports its own peak resident memory (VmHWM). Target: at most 2 GB for any
file within PODINDEX_ASR_MAX_SECONDS.

Run: .venv/bin/python bench/long_audio.py [--workdir /tmp/podindex-long-audio] [--skip-transcribe]
"""

import argparse
import json
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SECONDS = 14040
RATE = 16000

RUN = """
import json, os, sys, time
sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podindex.settings")
import django
django.setup()
from django.conf import settings
from episodes.asr import audio
from episodes.asr.errors import AsrError
from episodes.asr.pipeline import transcribe_file
started = time.monotonic()
try:
    if sys.argv[1] == "decode":
        audio.load_audio(sys.argv[2], max_seconds=settings.PODINDEX_ASR_MAX_SECONDS)
    else:
        transcribe_file(sys.argv[2], engine="local")
    outcome = "ok"
except AsrError as exc:
    outcome = exc.status
"""


def beeps(folder: Path) -> dict[str, Path]:
    """The FLAC and the MP3 of SECONDS of beeps, made once by ffmpeg from one second of audio."""
    folder.mkdir(parents=True, exist_ok=True)
    one = folder / "beep.wav"
    t = np.arange(RATE) / RATE
    with wave.open(str(one), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((0.5 * np.sin(2 * np.pi * 1000 * t) * (t < 0.03) * 32767).astype("<i2"))
    files = {
        "flac": (folder / "beeps.flac", ["-c:a", "flac"]),
        "mp3": (folder / "beeps.mp3", ["-c:a", "libmp3lame", "-b:a", "32k"]),
    }
    for path, options in files.values():
        if not path.exists():
            subprocess.run(
                ["ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-stream_loop",
                 str(SECONDS - 1), "-i", one, *options, path],
                check=True,
            )  # fmt: skip
    return {name: path for name, (path, _) in files.items()}


def measure(stage: str, path: Path) -> dict:
    """One stage on one file in a fresh process: its outcome, wall seconds and peak memory."""
    report = subprocess.run(
        [sys.executable, "-c", RUN + MEASURE, stage, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(report.stdout.splitlines()[-1])


# Appended to RUN: the child reports its own peak (VmHWM starts afresh at exec, ru_maxrss not).
MEASURE = """
import re
status = open("/proc/self/status").read()
print(json.dumps({"outcome": outcome, "seconds": round(time.monotonic() - started, 1),
                  "peak_mib": int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) // 1024}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="/tmp/podindex-long-audio", type=Path)
    parser.add_argument("--skip-transcribe", action="store_true", help="decode only (fast)")
    args = parser.parse_args()
    files = beeps(args.workdir)
    stages = ["decode"] if args.skip_transcribe else ["decode", "transcribe"]
    print(f"{'file':6} {'MB':>6} {'stage':11} {'outcome':15} {'seconds':>8} {'peak MiB':>9}")
    for name, path in files.items():
        for stage in stages:
            row = measure(stage, path)
            print(
                f"{name:6} {path.stat().st_size / 1e6:6.1f} {stage:11} {row['outcome']:15} "
                f"{row['seconds']:8.1f} {row['peak_mib']:9d}"
            )


if __name__ == "__main__":
    main()
