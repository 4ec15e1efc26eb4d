"""Make the demo's bundled episode audio from its script (run by hand; the MP3 is committed).

    .venv/bin/python scripts/make_demo_audio.py

For every demo episode with an "audio" path and a "script" (browse/demo/*.json), espeak-ng
reads each turn in the speaker's voice, turns are joined with short pauses, and ffmpeg
encodes 64 kbps mono MP3 into static/. Needs Debian's espeak-ng and ffmpeg.
"""

import json
import subprocess
import tempfile
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "browse" / "demo"
STATIC = ROOT / "static"
# Two clearly different voices: the host and the guest.
VOICES = {"A": ("en-us+m3", "35", "160"), "B": ("en-gb-x-rp+m1", "60", "150")}
PAUSE_SECONDS = 0.6


def speak(text: str, speaker: str, path: Path) -> None:
    """One turn as a WAV file, in the speaker's voice."""
    voice, pitch, speed = VOICES[speaker]
    subprocess.run(
        ["espeak-ng", "-v", voice, "-p", pitch, "-s", speed, "-w", str(path), text], check=True
    )


def join(turns: list[Path], out: Path) -> None:
    """Concatenate WAV files with a pause between them."""
    with wave.open(str(turns[0])) as first:
        params = first.getparams()
    silence = b"\0" * int(params.framerate * PAUSE_SECONDS) * params.sampwidth * params.nchannels
    with wave.open(str(out), "wb") as joined:
        joined.setparams(params)
        for path in turns:
            with wave.open(str(path)) as turn:
                joined.writeframes(turn.readframes(turn.getnframes()))
            joined.writeframes(silence)


def main() -> None:
    for path in sorted(DEMO.glob("*.json")):
        for episode in json.loads(path.read_text(encoding="utf-8"))["episodes"]:
            if not episode.get("audio") or not episode.get("script"):
                continue
            target = STATIC / episode["audio"]
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory() as work:
                turns = []
                for n, turn in enumerate(episode["script"]):
                    turns.append(Path(work) / f"{n:03d}.wav")
                    speak(turn["text"], turn["speaker"], turns[-1])
                joined = Path(work) / "episode.wav"
                join(turns, joined)
                subprocess.run(
                    ["ffmpeg", "-loglevel", "error", "-y", "-i", str(joined), "-ac", "1",
                     "-b:a", "64k", str(target)],
                    check=True,
                )  # fmt: skip
            print(f"{target.relative_to(ROOT)}: {target.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
