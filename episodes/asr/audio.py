"""Any audio file, or a video's sound track, as 16 kHz mono float32 samples, decoded with PyAV.

PyAV's wheels carry their own FFmpeg libraries, so no system ffmpeg is needed at run time. The
samples go into one array sized from the length the file declares, and past it (or without it)
into ten-minute pieces joined once, a piece at a time, so a 60-minute episode costs its 230 MB
of samples and at most one piece, whatever its header says, rather than the several copies a
list of frames joined at the end, or a buffer grown by copying, would. A long file too small
for the length it declares is refused before decoding. Files that are not audio fail with the
AsrError naming why.
"""

import io
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import av
import numpy as np

from episodes.asr.errors import (
    NoSpeech,
    TooLarge,
    TooLong,
    TruncatedAudio,
    UnreadableAudio,
    UnsupportedCodec,
)

SAMPLE_RATE = 16000
SNIFF_BYTES = 512
TEXT_STARTS = (b"<!doctype", b"<html", b"<?xml", b"<rss", b"<head", b"<body", b"{", b"[")
# A few bad packets are a scratch; more than this share is a corrupt file.
MAX_BAD_PACKET_SHARE = 0.05
# Decoding this share of the declared duration or less, short by at least TRUNCATION_SECONDS, is
# a file cut short. Loose on purpose: a VBR MP3 without a Xing header only estimates its length.
TRUNCATION_SHARE = 0.8
TRUNCATION_SECONDS = 10.0
# The loudest 1% of 100 ms blocks quieter than this is silence. Far below any recording of
# speech (a far-field meeting turned down 20 dB still peaks near -55 dBFS), near the floor of
# 16-bit audio: anything louder goes on to the voice detector and the model, which tell hiss
# from speech better than a level can.
SILENCE_DBFS = -80.0
# Levels are measured this many samples at a time, so the squares never copy a whole episode.
LEVEL_CHUNK = SAMPLE_RATE * 60
# Samples past the length the header declares (all of them when it declares none) are gathered
# in pieces of this length, joined once at the end, each piece freed as it is copied into the
# joined array (whose pages are only taken as they are written): decoding holds the audio plus
# one piece whether or not the header told the truth. Ten
# minutes is 38 MB: above the size (32 MB) past which malloc always maps a block of its own
# and gives it back to the system when freed.
PIECE_SECONDS = 600
FIFO_SECONDS = 10
# Speech takes bytes: podcasts' leanest codecs (HE-AAC, Opus) spend 2,000 or more a second on
# it, and MP3 cannot go under 1,000 (8 kb/s) even for silence. A long file under
# MIN_BYTES_PER_SECOND for the length its header claims is mostly digital silence or not that
# long, and decoding it would cost gigabytes of samples for
# megabytes of file (4 MB of FLAC declaring 3.9 h decodes to 900 MB): refused before decoding.
MIN_BYTES_PER_SECOND = 1000
PLAUSIBLE_SIZE_SECONDS = 600
# Silero VAD reads 512 samples (32 ms) a frame, with the last 64 of the frame before; speech
# starts at a frame of SPEECH_THRESHOLD and ends under SILENCE_THRESHOLD (faster-whisper's
# defaults). Frames go through VAD_BATCH at a time, the state carried over, which gives the same
# probabilities to the bit as faster-whisper's 10,000: on 60 minutes, on two threads, 80-100 MB
# at the peak instead of 490 MB, and 6.5 s of CPU instead of 7.6.
VAD_FRAME = 512
VAD_CONTEXT = 64
VAD_BATCH = 1000
SPEECH_THRESHOLD = 0.5
SILENCE_THRESHOLD = 0.35
# Long audio is transcribed a window at a time, each cut at the quietest moment of the last
# CUT_SEARCH_SECONDS before its end: faster-whisper holds every speech chunk of what it is given,
# and their features twice over, at once (about 0.8 GB an hour), a window's worth stays small.
WINDOW_SECONDS = 20 * 60
CUT_SEARCH_SECONDS = 30


def load_audio(path: str | Path, *, max_seconds: float, max_bytes: int = 0) -> np.ndarray:
    """Decode the first audio stream to 16 kHz mono float32; raise an AsrError if unusable."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as file:
            head = file.read(SNIFF_BYTES)
    except OSError as exc:
        raise UnreadableAudio(f"Cannot read {path.name}: {exc.strerror}") from exc
    if size == 0:
        raise UnreadableAudio("The file is empty (0 bytes).")
    if max_bytes and size > max_bytes:
        raise TooLarge(f"The file is {size:,} bytes; the limit is {max_bytes:,}.")
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(TEXT_STARTS):
        raise UnreadableAudio(
            "The file is an HTML, XML or JSON document, not audio (an error or login page?)."
        )
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.FFmpegError, UnicodeDecodeError) as exc:
        raise UnreadableAudio(f"Not a media file PyAV can read: {exc}") from exc
    with container:
        stream = audio_stream(container)
        declared = declared_seconds(container, stream)
        if declared and declared > max_seconds:
            raise TooLong(too_long_message(declared, max_seconds))
        require_plausible_size(size, declared)
        samples, packets, bad = decode(container, stream, declared, max_seconds)
    decoded = samples.size / SAMPLE_RATE
    if not samples.size:
        raise UnreadableAudio("No audio could be decoded from the file.")
    if bad > MAX_BAD_PACKET_SHARE * packets:
        raise UnreadableAudio(f"The audio is corrupt: {bad} of {packets} packets undecodable.")
    if (
        declared
        and decoded < TRUNCATION_SHARE * declared
        and declared - decoded > TRUNCATION_SECONDS
    ):
        raise TruncatedAudio(
            f"The file holds {decoded:.0f} s of the {declared:.0f} s it declares: it was cut "
            "short (an interrupted download?)."
        )
    return samples


def audio_stream(container) -> av.AudioStream:
    """The first audio stream with a decoder; a video's sound track is as good as any."""
    if not container.streams.audio:
        raise UnreadableAudio("The file has no audio stream (a silent video, or not media).")
    stream = container.streams.audio[0]
    if stream.codec_context is None:
        raise UnsupportedCodec("The file's audio codec is not one PyAV can decode.")
    return stream


def declared_seconds(container, stream) -> float:
    """The duration the stream or container header states, 0 when it states none."""
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return 0.0


def require_plausible_size(size: int, declared: float) -> None:
    """Raise NoSpeech when a long file has too few bytes to hold speech for its length."""
    if declared >= PLAUSIBLE_SIZE_SECONDS and size < MIN_BYTES_PER_SECOND * declared:
        raise NoSpeech(
            f"The file has {size / declared:.0f} bytes a second for the "
            f"{spoken_duration(declared)} it declares, too few to hold speech (at least "
            f"{MIN_BYTES_PER_SECOND}): it is mostly silence or not that long."
        )


def decode(container, stream, declared: float, max_seconds: float) -> tuple[np.ndarray, int, int]:
    """(samples, packets, undecodable packets): resampled in pieces, stopped past the cap."""
    limit = int(max_seconds * SAMPLE_RATE)
    piece_size = PIECE_SECONDS * SAMPLE_RATE
    # The first piece has room for the length the header declares: usually the only one.
    first = int(min(declared, max_seconds) * SAMPLE_RATE) + SAMPLE_RATE if declared else piece_size
    pieces = [np.empty(first, dtype=np.float32)]
    used = filled = packets = bad = 0  # `used`: samples in the last piece
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    # Frames are resampled in blocks: PyAV's cost per call, not per sample, dominates otherwise.
    fifo = av.AudioFifo()
    block = (stream.codec_context.sample_rate or SAMPLE_RATE) * FIFO_SECONDS

    def append(frame):
        nonlocal used, filled
        for resampled in resampler.resample(frame):
            chunk = resampled.to_ndarray().reshape(-1)
            while chunk.size:
                if used == pieces[-1].size:
                    pieces.append(np.empty(piece_size, dtype=np.float32))
                    used = 0
                take = min(chunk.size, pieces[-1].size - used)
                pieces[-1][used : used + take] = chunk[:take]
                used += take
                filled += take
                chunk = chunk[take:]

    for packet in container.demux(stream):
        if packet.size:
            packets += 1
        try:
            frames = packet.decode()
        except av.FFmpegError:
            bad += 1
            continue
        for frame in frames:
            # The FIFO insists on contiguous timestamps; we only need the samples.
            frame.pts = None
            fifo.write(frame)
        if fifo.samples >= block:
            append(fifo.read())
            if filled > limit:
                raise TooLong(too_long_message(filled / SAMPLE_RATE, max_seconds, at_least=True))
    if fifo.samples:
        append(fifo.read())
    append(None)
    if filled > limit:
        raise TooLong(too_long_message(filled / SAMPLE_RATE, max_seconds, at_least=True))
    if len(pieces) > 1:
        return join(pieces, filled), packets, bad
    # A view would pin the whole piece; copy only when the header overstated a lot.
    piece = pieces[0]
    return (piece[:filled] if filled > 0.9 * piece.size else piece[:filled].copy()), packets, bad


def join(pieces: list[np.ndarray], total: int) -> np.ndarray:
    """The pieces as one array of `total` samples, each piece freed as soon as it is copied."""
    samples = np.empty(total, dtype=np.float32)
    position = 0
    pieces.reverse()
    while pieces:
        piece = pieces.pop()
        take = min(piece.size, total - position)
        samples[position : position + take] = piece[:take]
        position += take
    return samples


def too_long_message(seconds: float, max_seconds: float, *, at_least: bool = False) -> str:
    return (
        f"The audio is {'over ' if at_least else ''}{spoken_duration(seconds)} long; the limit "
        f"is {spoken_duration(max_seconds)} (PODINDEX_ASR_MAX_SECONDS)."
    )


def spoken_duration(seconds: float) -> str:
    """82 s, 14 min, 6.0 h."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 3 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def duration(samples: np.ndarray) -> float:
    """Seconds of audio in a 16 kHz sample array."""
    return samples.size / SAMPLE_RATE


def block_levels(samples: np.ndarray, block: int) -> np.ndarray:
    """The RMS level of each whole `block` of samples, in dBFS (-200 for digital silence)."""
    blocks = samples.size // block
    levels = np.empty(blocks, dtype=np.float32)
    step = max(LEVEL_CHUNK // block, 1)
    for first in range(0, blocks, step):
        last = min(first + step, blocks)
        chunk = samples[first * block : last * block].reshape(-1, block)
        power = np.mean(np.square(chunk, dtype=np.float32), axis=1)
        levels[first:last] = 10 * np.log10(np.maximum(power, 1e-20))
    return levels


def require_sound(samples: np.ndarray) -> None:
    """Raise NoSpeech when the audio is silent throughout (digital or near silence)."""
    levels = block_levels(samples, SAMPLE_RATE // 10)
    if not levels.size:
        raise NoSpeech("The audio is too short to hold speech.")
    if float(np.percentile(levels, 99)) < SILENCE_DBFS:
        raise NoSpeech("The audio is silent throughout.")


def signal_to_noise(samples: np.ndarray) -> float:
    """Loud against quiet 20 ms blocks (90th and 10th percentiles), in dB, at most 99.

    A clean studio recording, with quiet between words, scores 30 dB or more; speech over
    steady noise, where the quietest moments are still noise, scores 10 dB or less.
    """
    levels = block_levels(samples, SAMPLE_RATE // 50)
    if not levels.size:
        return 0.0
    loud, quiet = np.percentile(levels, [90, 10])
    return round(min(float(loud - quiet), 99.0), 1)


def windows(samples: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) sample indexes of the windows long audio is read in, cut in quiet.

    Each cut is the middle of the quietest 100 ms of the last CUT_SEARCH_SECONDS before the
    window's end, moved to the nearest VAD_FRAME edge (at most 16 ms), so that one pass of the
    voice detector over the recording gives each window the frames it would have had alone.
    """
    size, search, block = (
        WINDOW_SECONDS * SAMPLE_RATE,
        CUT_SEARCH_SECONDS * SAMPLE_RATE,
        SAMPLE_RATE // 10,
    )
    bounds, start = [], 0
    while samples.size - start > size:
        region = start + size - search
        quietest = int(np.argmin(block_levels(samples[region : start + size], block)))
        end = round((region + quietest * block + block // 2) / VAD_FRAME) * VAD_FRAME
        bounds.append((start, end))
        start = end
    bounds.append((start, samples.size))
    return bounds


def speech_probabilities(samples: np.ndarray, threads: int = 0) -> np.ndarray:
    """Silero VAD's speech probability per VAD_FRAME samples (the model faster-whisper ships).

    Each of windows() is read on its own, from a fresh state, as the engine transcribes it and
    as faster-whisper reads a whole file; the windows are shared among `threads` (onnxruntime
    frees the GIL). The transcription's speech spans and the speaker labels both read these
    probabilities: one pass of the detector serves both.
    """
    from faster_whisper.vad import get_vad_model

    session = get_vad_model().session

    def read(bounds: tuple[int, int]) -> np.ndarray:
        return read_speech(session, samples[bounds[0] : bounds[1]])

    with ThreadPoolExecutor(max_workers=threads or usable_cores()) as pool:
        return np.concatenate(list(pool.map(read, windows(samples))))


def read_speech(session, samples: np.ndarray) -> np.ndarray:
    """Silero's speech probability per VAD_FRAME of `samples`, from a fresh state.

    As faster-whisper's SileroVADModel reads an array (each frame with the last VAD_CONTEXT
    samples of the one before, the state carried from run to run), but copying a run's frames
    at a time: it copies the whole array twice over (two threads' 20-minute windows raised the
    peak of 3.9 hours of audio from 1.5 to 1.8 GB) and writes zeros into its input.
    """
    state = np.zeros((1, 1, 128), dtype=np.float32), np.zeros((1, 1, 128), dtype=np.float32)
    context = np.zeros((1, VAD_CONTEXT), dtype=np.float32)
    run, probabilities = VAD_BATCH * VAD_FRAME, []
    for first in range(0, samples.size, run):
        chunk = samples[first : first + run].astype(np.float32)
        frames = np.pad(chunk, (0, (-chunk.size) % VAD_FRAME)).reshape(-1, VAD_FRAME)
        before = np.concatenate([context, frames[:-1, -VAD_CONTEXT:]])
        context = frames[-1:, -VAD_CONTEXT:]
        inputs = {"input": np.concatenate([before, frames], axis=1), "h": state[0], "c": state[1]}
        output, *state = session.run(None, inputs)
        probabilities.append(output.ravel())
    return np.concatenate(probabilities)


def speech_spans(
    samples: np.ndarray,
    *,
    min_silence_ms: int = 500,
    pad_ms: int = 200,
    probabilities: np.ndarray | None = None,
) -> list[tuple[float, float]]:
    """(start, end) seconds of speech by Silero VAD, as faster-whisper's get_speech_timestamps
    finds them (its default thresholds, no longest span), from `probabilities` when the
    recording's speech_probabilities() are at hand."""
    if probabilities is None:
        probabilities = speech_probabilities(samples)
    silence = SAMPLE_RATE * min_silence_ms / 1000
    spans, start, quiet_from = [], None, 0
    for index, probability in enumerate(probabilities):
        position = VAD_FRAME * index
        if probability >= SPEECH_THRESHOLD:
            quiet_from = 0
            if start is None:
                start = position
        elif probability < SILENCE_THRESHOLD and start is not None:
            quiet_from = quiet_from or position
            if position - quiet_from >= silence:
                spans.append([start, quiet_from])
                start, quiet_from = None, 0
    if start is not None and start < samples.size:
        spans.append([start, samples.size])
    return [
        (start / SAMPLE_RATE, end / SAMPLE_RATE)
        for start, end in padded(spans, pad_ms, samples.size)
    ]


def padded(spans: list[list[int]], pad_ms: int, total: int) -> list[tuple[int, int]]:
    """Spans (samples) widened by `pad_ms` each side, or halfway across a shorter gap."""
    pad = SAMPLE_RATE * pad_ms / 1000
    for n, span in enumerate(spans):
        if n == 0:
            span[0] = int(max(0, span[0] - pad))
        if n == len(spans) - 1:
            span[1] = int(min(total, span[1] + pad))
            continue
        gap = spans[n + 1][0] - span[1]
        if gap < 2 * pad:
            span[1] += int(gap // 2)
            spans[n + 1][0] = int(max(0, spans[n + 1][0] - gap // 2))
        else:
            span[1] = int(min(total, span[1] + pad))
            spans[n + 1][0] = int(max(0, spans[n + 1][0] - pad))
    return [(start, end) for start, end in spans]


def usable_cores() -> int:
    """Cores this process may run on."""
    return getattr(os, "process_cpu_count", os.cpu_count)() or 1


def encode_mp3(samples: np.ndarray, *, bit_rate: int = 32000) -> bytes:
    """Samples as a mono MP3 at `bit_rate`, in memory: what transcription APIs accept."""
    output = io.BytesIO()
    with av.open(output, "w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=SAMPLE_RATE, layout="mono")
        stream.bit_rate = bit_rate
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples, dtype=np.float32).reshape(1, -1),
            format="flt",
            layout="mono",
        )
        frame.sample_rate = SAMPLE_RATE
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return output.getvalue()
