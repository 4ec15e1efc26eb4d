"""Speech-to-text speed and memory: 10- and 60-minute three-voice episodes, 1 and 2 cores,
sequential and batched decoding; the voice detector (one pass, read by both the decoder and the
speaker labels) and speaker labelling timed on their own.

Each run is a fresh process pinned to its cores, so the model load and the peak memory are the
run's own; the peak is read from the parent with getrusage(RUSAGE_CHILDREN). Targets on a
2-core machine: 30x real time or better for the whole pipeline, at most 2 GB for 60 minutes.

Run: .venv/bin/python bench/asr.py [--minutes 10,60] [--workdir /tmp/podindex-asr-bench]
"""

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podindex.settings")

import django  # noqa: E402

django.setup()

from episodes.asr.pipeline import transcribe_file  # noqa: E402
from tests.factories.audio import (  # noqa: E402
    INTERVIEW,
    PANEL,
    labelled_words,
    normalise,
    render,
    word_error_rate,
)

SCRIPT = INTERVIEW + PANEL  # 147 s, three voices
MODES = {"sequential": 1, "batched": 8}
# Word error rate is a pure-Python edit distance: quadratic, so only on the shorter files.
WER_MAX_MINUTES = 15


def recording(minutes: int, workdir: Path) -> tuple[Path, str]:
    """A three-voice episode of about `minutes` minutes and what is said in it, made once and
    reused (named after the script, so a changed script makes a new one)."""
    repeat = max(1, round(minutes * 60 / 147.7))
    digest = hashlib.sha256(repr(SCRIPT).encode()).hexdigest()[:12]
    path = workdir / f"episode-{minutes}min-{digest}.mp3"
    if not path.exists():
        # Made under another name and renamed: an interrupted run leaves no half episode.
        made = render(SCRIPT, workdir / f"partial-{path.name}", repeat=repeat)
        made.wav_path.unlink()
        made.path.rename(path)
    return path, " ".join(text for _, text in SCRIPT * repeat)


def child(path: str, threads: int, batch: int) -> None:
    """One transcription on `threads` cores; prints its figures as JSON."""
    os.sched_setaffinity(0, set(range(threads)))
    from django.conf import settings

    settings.PODINDEX_ASR_THREADS = threads
    settings.PODINDEX_ASR_BATCH_SIZE = batch
    result = transcribe_file(path, engine="local")
    print(
        json.dumps(
            {
                "audio": result.audio_seconds,
                "wall": result.wall_seconds,
                "cpu": result.cpu_seconds,
                "stages": result.stage_seconds,
                "speakers": len(result.speakers),
                "segments": result.segments,
            }
        )
    )


def measure(path: Path, threads: int, batch: int) -> dict:
    """Run `child` in a new process; its figures plus its peak RSS in MB."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(path), str(threads), str(batch)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return figures


def measure_alone(path: Path, threads: int, batch: int) -> dict:
    """measure() in a process of its own, so RUSAGE_CHILDREN holds this run's peak only."""
    done = subprocess.run(
        [sys.executable, __file__, "--measure", str(path), str(threads), str(batch)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", default="10,60")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--modes", default="sequential,batched")
    parser.add_argument("--workdir", default="/tmp/podindex-asr-bench")
    args = parser.parse_args()
    workdir = Path(args.workdir)
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at start")
    header = (
        f"{'audio':>6} {'cores':>5} {'mode':>10} {'decode':>7} {'vad':>7} {'asr':>7} "
        f"{'diarize':>7} {'total':>7} {'speed':>7} {'cpu':>7} {'peak RSS':>9} {'spk':>3} {'WER':>6}"
    )
    print(header)
    print("-" * len(header))
    for minutes in map(int, args.minutes.split(",")):
        episode, said = recording(minutes, workdir)
        for threads in map(int, args.threads.split(",")):
            for mode in args.modes.split(","):
                run = measure_alone(episode, threads, MODES[mode])
                stages = run["stages"]
                wer = ""
                if minutes <= WER_MAX_MINUTES:
                    heard = [word for _, word in labelled_words(run["segments"])]
                    wer = f"{100 * word_error_rate(normalise(said), heard):.1f}%"
                print(
                    f"{run['audio'] / 60:>4.0f}mn {threads:>5} {mode:>10} "
                    f"{stages['decode']:>6.1f}s {stages['speech']:>6.1f}s "
                    f"{stages['transcribe']:>6.1f}s "
                    f"{stages['diarize']:>6.1f}s {run['wall']:>6.1f}s "
                    f"{run['audio'] / run['wall']:>6.1f}x {run['cpu']:>6.0f}s "
                    f"{run['peak_mb']:>6.0f} MB {run['speakers']:>3} {wer:>6}",
                    flush=True,
                )
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1:2] == ["--measure"]:
        print(json.dumps(measure(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))))
    else:
        main()
