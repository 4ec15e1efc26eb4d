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


def speech_spans(
    samples: np.ndarray, *, min_silence_ms: int = 500, pad_ms: int = 200
) -> list[tuple[float, float]]:
    """(start, end) seconds of speech by Silero VAD (ONNX, shipped with faster-whisper)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=min_silence_ms, speech_pad_ms=pad_ms)
    return [
        (span["start"] / SAMPLE_RATE, span["end"] / SAMPLE_RATE)
        for span in get_speech_timestamps(samples, options)
    ]


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
