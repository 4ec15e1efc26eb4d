"""Who spoke when, on real recordings: diarization error rate per file of a folder of audio + RTTM.

Each audio file (wav, mp3, flac, m4a, ogg) with a FILE.rttm of reference speaker turns beside it
goes through the site's own transcription (transcribe_file: the bundled tiny.en, then speaker
labels), twice: with the true speaker count given (the count in the RTTM, as a feed listing
host and guests gives it) and with no count. The labelled segments are scored with
pyannote.metrics: diarization error rate with a 0.25 s collar each side of a reference boundary,
overlapped speech scored and excluded, split into missed speech, false alarm and confusion (in
percent of the reference speech), the speaker count found against the reference's, and the speed
of the labelling step alone (audio seconds per second of labelling). Where a FILE.txt holds what
was said, the word error rate (jiwer, after the tests' normaliser: lower case, numbers spelled
out, contractions expanded, punctuation gone). A refused recording scores as all speech missed.

Default folder: ../shared/realspeech (a two-person conversation and seven AMI meeting excerpts).

`--sweep NAME=V1,V2,…` transcribes each recording once and labels it again for each value of one
of episodes/asr/diarize.py's constants (SAME_VOICE_DISTANCE=0.26,0.28,0.30,0.32), printing the
totals per value: how wide the valley around the chosen value is. With `--leave-one-out`, each
recording is also scored at the value that is best on the other recordings, as a held-out check
that the chosen value is not fitted to one recording.

Run: .venv/bin/python bench/diarization.py [FOLDER] [--modes given,estimated]
     [--method ge2e|pyannote|none] [--threads 2] [--sweep NAME=V1,V2 [--leave-one-out]]
"""

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podindex.settings")

import django  # noqa: E402

django.setup()

import jiwer  # noqa: E402
from django.conf import settings  # noqa: E402
from pyannote.core import Annotation, Segment, Timeline  # noqa: E402
from pyannote.metrics.diarization import DiarizationErrorRate  # noqa: E402

from episodes.asr import audio, diarize  # noqa: E402
from episodes.asr.engines import get_engine  # noqa: E402
from episodes.asr.errors import AsrError  # noqa: E402
from episodes.asr.pipeline import transcribe_file  # noqa: E402
from tests.factories.audio import normalise  # noqa: E402

DEFAULT_FOLDER = ROOT.parent / "shared" / "realspeech"
AUDIO_SUFFIXES = {".wav", ".mp3", ".flac", ".m4a", ".ogg"}
COLLAR = 0.5  # pyannote's collar is the whole width: 0.25 s each side of a boundary
MISSED, FALSE_ALARM, CONFUSION, TOTAL = "missed detection", "false alarm", "confusion", "total"


@dataclass
class Row:
    """One recording's figures in one mode."""

    name: str
    seconds: float
    reference_count: int
    found_count: int
    der: float
    der_no_overlap: float
    missed: float
    false_alarm: float
    confusion: float
    label_speed: float  # audio seconds per second of speaker labelling
    wer: str
    refused: str = ""


def read_rttm(path: Path) -> Annotation:
    """The reference speaker turns of an RTTM file."""
    annotation = Annotation(uri=path.stem)
    for number, line in enumerate(path.read_text().splitlines()):
        fields = line.split()
        if not fields or fields[0] != "SPEAKER":
            continue
        start, duration, speaker = float(fields[3]), float(fields[4]), fields[7]
        annotation[Segment(start, start + duration), number] = speaker
    return annotation


def hypothesis(name: str, segments: list[dict]) -> Annotation:
    """The labelled segments as a pyannote Annotation."""
    annotation = Annotation(uri=name)
    for number, segment in enumerate(segments):
        if segment["end"] > segment["start"]:
            annotation[Segment(segment["start"], segment["end"]), number] = segment["speaker"]
    return annotation


def word_error_rate(audio_path: Path, segments: list[dict]) -> str:
    """WER against FILE.txt beside the audio, or "no reference"."""
    reference_path = audio_path.with_suffix(".txt")
    if not reference_path.exists():
        return "no reference"
    reference = " ".join(normalise(reference_path.read_text()))
    heard = " ".join(word for segment in segments for word in normalise(segment["text"]))
    return f"{100 * jiwer.wer(reference, heard or '<nothing>'):.1f}%"


def score(audio_path: Path, speakers: int | None, metrics: dict) -> Row:
    """Transcribe and label one recording, add it to `metrics`, return its row."""
    reference = read_rttm(audio_path.with_suffix(".rttm"))
    refused = ""
    try:
        result = transcribe_file(audio_path, speakers=speakers, engine="local")
        segments, seconds = result.segments, result.audio_seconds
        labelling = result.stage_seconds["diarize"]
    except AsrError as error:
        refused, segments, labelling = error.status, [], 0.0
        seconds = reference.get_timeline().extent().end
    return measure(audio_path, reference, segments, seconds, labelling, metrics, refused)


def measure(
    audio_path: Path,
    reference: Annotation,
    segments: list[dict],
    seconds: float,
    labelling: float,
    metrics: dict,
    refused: str = "",
) -> Row:
    """One recording's labelled segments scored against its reference, added to `metrics`."""
    uem = Timeline([Segment(0, seconds)])
    found = hypothesis(audio_path.stem, segments)
    with_overlap = metrics["with"](reference, found, uem=uem, detailed=True)
    without_overlap = metrics["without"](reference, found, uem=uem, detailed=True)
    total = with_overlap[TOTAL] or 1.0
    return Row(
        name=audio_path.name,
        seconds=seconds,
        reference_count=len(reference.crop(uem).labels()),
        found_count=len(found.labels()),
        der=100 * with_overlap["diarization error rate"],
        der_no_overlap=100 * without_overlap["diarization error rate"],
        missed=100 * with_overlap[MISSED] / total,
        false_alarm=100 * with_overlap[FALSE_ALARM] / total,
        confusion=100 * with_overlap[CONFUSION] / total,
        label_speed=seconds / labelling if labelling else 0.0,
        wer="refused" if refused else word_error_rate(audio_path, segments),
        refused=refused,
    )


def print_mode(mode: str, rows: list[Row], metrics: dict, labelling_seconds: float) -> None:
    """One line per recording, then the totals over the folder."""
    print(f"\n== speaker count {mode} ==")
    header = (
        f"{'recording':<14} {'secs':>5} {'ref':>3} {'found':>5} {'DER':>6} {'DER-ov':>6} "
        f"{'missed':>6} {'FA':>5} {'conf':>5} {'label speed':>11}  WER"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row.name:<14} {row.seconds:>5.1f} {row.reference_count:>3} {row.found_count:>5} "
            f"{row.der:>5.1f}% {row.der_no_overlap:>5.1f}% {row.missed:>5.1f}% "
            f"{row.false_alarm:>4.1f}% {row.confusion:>4.1f}% {row.label_speed:>10.0f}x  "
            f"{row.wer}{'  REFUSED: ' + row.refused if row.refused else ''}"
        )
    totals = metrics["with"].accumulated_
    total = totals[TOTAL] or 1.0
    exact = sum(row.found_count == row.reference_count for row in rows)
    within_one = sum(abs(row.found_count - row.reference_count) <= 1 for row in rows)
    audio_seconds = sum(row.seconds for row in rows)
    speed = audio_seconds / labelling_seconds if labelling_seconds else 0.0
    print("-" * len(header))
    print(
        f"{'total':<14} {audio_seconds:>5.0f} {'':>3} {'':>5} "
        f"{100 * abs(metrics['with']):>5.1f}% {100 * abs(metrics['without']):>5.1f}% "
        f"{100 * totals[MISSED] / total:>5.1f}% {100 * totals[FALSE_ALARM] / total:>4.1f}% "
        f"{100 * totals[CONFUSION] / total:>4.1f}% {speed:>10.0f}x"
    )
    print(
        f"speaker count exact on {exact}/{len(rows)}, within one on {within_one}/{len(rows)}; "
        f"refused {sum(bool(row.refused) for row in rows)}"
    )


def recordings(folder: Path) -> list[Path]:
    """Audio files of the folder that have an RTTM beside them, by name."""
    return sorted(
        path
        for path in folder.iterdir()
        if path.suffix.lower() in AUDIO_SUFFIXES and path.with_suffix(".rttm").exists()
    )


def new_metrics() -> dict:
    """DER with overlapped speech scored and excluded, accumulated over recordings."""
    return {
        "with": DiarizationErrorRate(collar=COLLAR, skip_overlap=False),
        "without": DiarizationErrorRate(collar=COLLAR, skip_overlap=True),
    }


@dataclass
class Transcribed:
    """One recording transcribed once, to be labelled many times."""

    path: Path
    reference: Annotation
    samples: object  # numpy array of 16 kHz samples, or None when refused
    segments: list
    seconds: float
    refused: str = ""


def transcribe_once(path: Path) -> Transcribed:
    """The recording's samples and whisper's segments, or why it was refused."""
    reference = read_rttm(path.with_suffix(".rttm"))
    try:
        samples = audio.load_audio(path, max_seconds=settings.PODINDEX_ASR_MAX_SECONDS)
        transcription = get_engine("local").transcribe(samples)
    except AsrError as error:
        seconds = reference.get_timeline().extent().end
        return Transcribed(path, reference, None, [], seconds, error.status)
    return Transcribed(path, reference, samples, transcription.segments, audio.duration(samples))


def label_and_measure(recording: Transcribed, speakers: int | None, metrics: dict) -> Row:
    """Label a transcribed recording with the constants as they are now, and score it."""
    if recording.refused or not recording.segments:
        segments, labelling = [], 0.0
    else:
        started = time.monotonic()
        segments = diarize.label_speakers(
            recording.samples,
            recording.segments,
            speakers=speakers,
            threads=settings.PODINDEX_ASR_THREADS,
        )
        labelling = time.monotonic() - started
    return measure(
        recording.path,
        recording.reference,
        segments,
        recording.seconds,
        labelling,
        metrics,
        recording.refused or ("" if recording.segments else "no_speech"),
    )


def sweep(paths: list[Path], spec: str, modes: list[str], leave_one_out: bool) -> None:
    """Totals per value of one diarize constant, each recording transcribed once."""
    name, _, values = spec.partition("=")
    if not hasattr(diarize, name):
        sys.exit(f"episodes/asr/diarize.py has no constant {name}")
    default = getattr(diarize, name)
    recordings = [transcribe_once(path) for path in paths]
    errors: dict[tuple[str, float], list[float]] = {}
    for mode in modes:
        print(f"\n== {name} swept, speaker count {mode} (default {default}) ==")
        print(f"{'value':>8} {'DER':>6} {'DER-ov':>6} {'exact':>5} {'w/in 1':>6}  per recording")
        for value in (float(text) for text in values.split(",")):
            setattr(diarize, name, value)
            metrics = new_metrics()
            rows = [
                label_and_measure(
                    recording,
                    len(recording.reference.labels()) if mode == "given" else None,
                    metrics,
                )
                for recording in recordings
            ]
            errors[(mode, value)] = [row.der for row in rows]
            exact = sum(row.found_count == row.reference_count for row in rows)
            within = sum(abs(row.found_count - row.reference_count) <= 1 for row in rows)
            print(
                f"{value:>8.3f} {100 * abs(metrics['with']):>5.1f}% "
                f"{100 * abs(metrics['without']):>5.1f}% {exact:>5} {within:>6}  "
                + " ".join(f"{row.name.split('.')[0]}:{row.der:.0f}" for row in rows)
            )
        setattr(diarize, name, default)
        if leave_one_out:
            print_leave_one_out(mode, recordings, errors, default)


def print_leave_one_out(mode: str, recordings: list[Transcribed], errors: dict, default) -> None:
    """Each recording at the value best on the others (mean DER), against the default value."""
    values = sorted(value for each_mode, value in errors if each_mode == mode)
    closest = min(values, key=lambda value: abs(value - default))
    held, at_default = [], []
    for n, recording in enumerate(recordings):
        best = min(values, key=lambda value: sum(errors[(mode, value)]) - errors[(mode, value)][n])
        held.append(errors[(mode, best)][n])
        at_default.append(errors[(mode, closest)][n])
        print(
            f"  {recording.path.stem:<8} held out: {held[-1]:5.1f}% at {best:.3f} (best on the "
            f"others), {at_default[-1]:5.1f}% at {closest:.3f}"
        )
    print(
        f"  leave-one-out mean DER {sum(held) / len(held):.1f}%, "
        f"{sum(at_default) / len(at_default):.1f}% at {closest:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(DEFAULT_FOLDER))
    parser.add_argument("--modes", default="given,estimated")
    parser.add_argument("--method", default=None, help="PODINDEX_DIARIZATION for this run")
    parser.add_argument("--threads", type=int, default=settings.PODINDEX_ASR_THREADS)
    parser.add_argument("--sweep", help="NAME=V1,V2,…: a diarize constant's values to compare")
    parser.add_argument(
        "--leave-one-out", action="store_true", help="with --sweep: each recording held out"
    )
    args = parser.parse_args()
    if args.method:
        settings.PODINDEX_DIARIZATION = args.method
    settings.PODINDEX_ASR_THREADS = args.threads
    paths = recordings(Path(args.folder))
    if not paths:
        sys.exit(f"No audio with an RTTM beside it in {args.folder}")
    print(
        f"{len(paths)} recordings in {args.folder}; labels by {settings.PODINDEX_DIARIZATION}; "
        f"{os.cpu_count()} cores, {args.threads or 'all'} threads; "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    if args.sweep:
        sweep(paths, args.sweep, args.modes.split(","), args.leave_one_out)
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
        return
    for mode in args.modes.split(","):
        metrics = new_metrics()
        rows, started = [], time.monotonic()
        for path in paths:
            speakers = len(read_rttm(path.with_suffix(".rttm")).labels())
            rows.append(score(path, speakers if mode == "given" else None, metrics))
        labelling = sum(row.seconds / row.label_speed for row in rows if row.label_speed)
        print_mode(mode, rows, metrics, labelling)
        print(f"({time.monotonic() - started:.0f} s for the mode, transcription included)")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
