"""Test audio made on the spot: espeak-ng voices read a script we wrote, encoded to MP3 by ffmpeg.

Every recording comes with its ground truth (who says which word, and when each turn starts and
ends), so tests can measure word error rate and speaker attribution. Also here: the word
normalisation and word error rate the tests and the benchmark share, and makers of bad input.
"""

import re
import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ESPEAK_RATE = 22050
TURN_GAP_SECONDS = 0.6


@dataclass(frozen=True)
class Voice:
    """An espeak-ng voice with its own pitch (0–99) and speed (words per minute)."""

    name: str
    pitch: int
    speed: int


HOST = Voice("en-us+m3", pitch=30, speed=165)
GUEST = Voice("en-gb-x-rp+f4", pitch=80, speed=150)
ANALYST = Voice("en-us+f2", pitch=55, speed=185)
GERMAN = Voice("de+m3", pitch=40, speed=160)

# A B2B interview: the host (a low male voice) and a guest (a high British female voice).
INTERVIEW = [
    (
        HOST,
        "Welcome back to the show. I'm your host, Eric, and today we are talking about pricing "
        "for software companies. My guest runs revenue operations at a company that sells to "
        "finance teams. Thanks for joining me.",
    ),
    (
        GUEST,
        "Thanks for having me, Eric. It is a topic I care about a lot, because most teams get it "
        "wrong in the same way.",
    ),
    (HOST, "So what is the most common mistake you see when a company sets its first price?"),
    (
        GUEST,
        "They copy a competitor. They look at three other websites, pick a number in the "
        "middle, and never test it again. A year later the product has changed completely, but "
        "the price page has not.",
    ),
    (HOST, "How often should a team look at its prices, then?"),
    (
        GUEST,
        "We review ours every quarter. We talk to twenty customers, we look at which plans "
        "people choose, and we check how long deals take to close. Small changes, made often, "
        "beat one big change every few years.",
    ),
    (HOST, "Did publishing your prices on the website help or hurt?"),
    (
        GUEST,
        "It helped. Self serve signups went up by about forty percent, and our sales team "
        "stopped spending hours on tiny deals.",
    ),
    (HOST, "That is a great place to stop. Where can people find you?"),
    (
        GUEST,
        "I write a short newsletter about pricing every month, and I am always happy to answer "
        "questions from listeners.",
    ),
]

# A panel: the same host with two guests, the second a fast American female voice.
PANEL = [
    (
        HOST,
        "Welcome to the panel. Today two operators join me to talk about hiring the first sales "
        "team at a young software company.",
    ),
    (
        GUEST,
        "Thanks, Eric. The first hire matters more than any other, because that person writes the "
        "playbook everyone after them will follow.",
    ),
    (
        ANALYST,
        "I agree, and I would add that founders should sell on their own for longer than they "
        "think. You cannot hand over a process that does not exist yet.",
    ),
    (HOST, "How long is long enough before that first hire?"),
    (
        ANALYST,
        "When the founder has closed about ten customers who look alike, and can explain why "
        "each one said yes.",
    ),
    (
        GUEST,
        "For us it was twelve customers. We hired two people at once, so we could compare their "
        "results and learn faster.",
    ),
    (HOST, "What should the first sales hire be paid?"),
    (
        GUEST,
        "A fair base salary and a simple commission plan. Complicated plans make people chase "
        "the plan instead of the customer.",
    ),
    (
        ANALYST,
        "And review the plan after six months. Nobody gets it right the first time, and that is "
        "fine if you are honest about it.",
    ),
    (HOST, "Thank you both. This was a useful conversation for every founder listening."),
]

GERMAN_MONOLOGUE = [
    (
        GERMAN,
        "Willkommen zu unserem Podcast über Vertrieb und Preisgestaltung. Heute sprechen wir "
        "darüber, wie kleine Softwarefirmen ihre ersten Kunden gewinnen. Mein Gast leitet seit "
        "vielen Jahren den Vertrieb eines mittelständischen Unternehmens in München. Wir reden "
        "über Preise, über Verträge und über die Frage, wann man das erste Vertriebsteam "
        "einstellen sollte.",
    ),
]


@dataclass
class Recording:
    """An MP3 made from a script, with what was said, by whom, and when."""

    path: Path
    wav_path: Path
    turns: list[tuple[str, str]]  # (speaker label in speaking order, text)
    spans: list[tuple[float, float]]  # each turn's start and end in seconds
    duration: float

    @property
    def text(self) -> str:
        return " ".join(text for _, text in self.turns)

    @property
    def speakers(self) -> list[str]:
        return sorted({speaker for speaker, _ in self.turns})

    def words(self) -> list[tuple[str, str]]:
        """(speaker, normalised word) for every word of the script, in order."""
        return [(speaker, word) for speaker, text in self.turns for word in normalise(text)]

    def share(self) -> dict[str, float]:
        """Each speaker's share of the script's words, in percent."""
        return word_shares([speaker for speaker, _ in self.words()])

    def timed_words(self) -> list[tuple[float, float, str]]:
        """(start, end, word) with each turn's words spread evenly over its span."""
        timed = []
        for (_, text), (start, end) in zip(self.turns, self.spans, strict=True):
            words = text.split()
            step = (end - start) / len(words)
            timed.extend(
                (start + n * step, start + (n + 1) * step, word) for n, word in enumerate(words)
            )
        return timed


def tools_missing() -> list[str]:
    """Which of espeak-ng and ffmpeg are not on PATH."""
    return [tool for tool in ("espeak-ng", "ffmpeg") if shutil.which(tool) is None]


def speak(voice: Voice, text: str) -> np.ndarray:
    """espeak-ng's rendering of `text` as int16 samples at ESPEAK_RATE."""
    wav = subprocess.run(
        ["espeak-ng", "-v", voice.name, "-p", str(voice.pitch), "-s", str(voice.speed), "--stdout"],
        input=text.encode(),
        capture_output=True,
        check=True,
    ).stdout
    # espeak-ng streams a WAV whose header cannot know the length: skip the 44-byte header.
    samples = np.frombuffer(wav[44:], dtype=np.int16)
    return trim_silence(samples)


def trim_silence(samples: np.ndarray, floor: int = 200) -> np.ndarray:
    """Drop espeak's leading and trailing quiet, so turn gaps are exactly what we add."""
    loud = np.flatnonzero(np.abs(samples) > floor)
    return samples[loud[0] : loud[-1] + 1] if loud.size else samples[:0]


def render(
    script, dest: Path, *, repeat: int = 1, gap: float = TURN_GAP_SECONDS, bitrate: str = "64k"
) -> Recording:
    """Speak the script (`repeat` times over), join turns with `gap` s of silence, make an MP3."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    voices: dict[Voice, str] = {}
    spoken = {}
    for voice, text in script:
        voices.setdefault(voice, "ABCDEFGH"[len(voices)])
        if text not in spoken:
            spoken[text] = speak(voice, text)
    silence = np.zeros(round(gap * ESPEAK_RATE), dtype=np.int16)
    wav_path = dest.with_suffix(".wav")
    turns, spans, position = [], [], 0
    with wave.open(str(wav_path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(ESPEAK_RATE)
        for _ in range(repeat):
            for voice, text in script:
                if position:
                    out.writeframes(silence.tobytes())
                    position += silence.size
                samples = spoken[text]
                out.writeframes(samples.tobytes())
                spans.append((position / ESPEAK_RATE, (position + samples.size) / ESPEAK_RATE))
                turns.append((voices[voice], text))
                position += samples.size
    ffmpeg("-i", wav_path, "-ac", "1", "-b:a", bitrate, dest)
    return Recording(dest, wav_path, turns, spans, position / ESPEAK_RATE)


def ffmpeg(*args) -> None:
    """Run ffmpeg quietly, overwriting its output."""
    subprocess.run(
        ["ffmpeg", "-nostdin", "-y", "-loglevel", "error", *map(str, args)],
        check=True,
        capture_output=True,
    )


# --- bad input -------------------------------------------------------------------------------


def silence_mp3(dest: Path, seconds: float = 20) -> Path:
    """An MP3 of digital silence."""
    ffmpeg("-f", "lavfi", "-i", f"anullsrc=r=22050:cl=mono:d={seconds}", "-b:a", "64k", dest)
    return dest


def music_mp3(dest: Path, seconds: float = 30) -> Path:
    """An MP3 of a chord progression with a beat: tonal, loud, and no speech."""
    # Three sine voices whose notes change every half second, gated into a pulse.
    expr = (
        "0.25*sin(2*PI*t*220*pow(2,floor(mod(t*2,4))/12))"
        "+0.2*sin(2*PI*t*277*pow(2,floor(mod(t*2,3))/12))"
        "+0.2*sin(2*PI*t*330*pow(2,floor(mod(t,5))/12))"
    )
    pulse = "(0.6+0.4*gt(mod(t,0.5),0.25))"
    # Commas separate filters in a filter graph: escaped, they stay inside the expression.
    source = f"aevalsrc=({expr})*{pulse}".replace(",", "\\,") + f":s=22050:d={seconds}"
    ffmpeg("-f", "lavfi", "-i", source, "-b:a", "64k", dest)
    return dest


def video_with_audio(source: Path, dest: Path) -> Path:
    """An MP4 (MPEG-4 video, AAC audio) whose sound track is `source`."""
    ffmpeg(
        "-f", "lavfi", "-i", "color=c=navy:s=160x120:r=5", "-i", source, "-shortest",
        "-c:v", "mpeg4", "-c:a", "aac", "-b:a", "64k", dest,
    )  # fmt: skip
    return dest


def video_without_audio(dest: Path, seconds: float = 5) -> Path:
    """An MP4 with a picture and no sound track."""
    ffmpeg("-f", "lavfi", "-i", f"color=c=navy:s=160x120:r=5:d={seconds}", "-c:v", "mpeg4", dest)
    return dest


def unknown_codec_wav(source_wav: Path, dest: Path) -> Path:
    """A well-formed WAV whose codec tag (0x3A3A) no decoder knows."""
    data = bytearray(source_wav.read_bytes())
    fmt = data.index(b"fmt ")
    data[fmt + 8 : fmt + 10] = (0x3A3A).to_bytes(2, "little")
    dest.write_bytes(bytes(data))
    return dest


def truncated(source: Path, dest: Path, keep: float = 0.4) -> Path:
    """The first `keep` of a file, as a download cut short leaves it."""
    data = source.read_bytes()
    dest.write_bytes(data[: int(len(data) * keep)])
    return dest


def corrupted(source: Path, dest: Path, seed: int = 7) -> Path:
    """A file whose middle 80% is random bytes, its header intact."""
    data = bytearray(source.read_bytes())
    rng = np.random.default_rng(seed)
    start, end = len(data) // 10, len(data) * 9 // 10
    data[start:end] = rng.integers(0, 256, end - start, dtype=np.uint8).tobytes()
    dest.write_bytes(bytes(data))
    return dest


# --- scoring a transcript against the script ------------------------------------------------

CONTRACTIONS = {
    "won't": "will not",
    "can't": "cannot",
    "let's": "let us",
    "i'm": "i am",
    "it's": "it is",
    "that's": "that is",
    "what's": "what is",
    "there's": "there is",
}
SUFFIXES = {"n't": " not", "'re": " are", "'ve": " have", "'ll": " will", "'d": " would"}
ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> str:
    """English words for 0–999,999 ("forty two"); larger numbers stay digits."""
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return ONES[n // 100] + " hundred" + (" " + number_words(rest) if rest else "")
    if n < 1_000_000:
        rest = n % 1000
        return number_words(n // 1000) + " thousand" + (" " + number_words(rest) if rest else "")
    return str(n)


def normalise(text: str) -> list[str]:
    """Lower-case words with contractions expanded, numbers spelled out, punctuation gone."""
    text = text.lower().replace("’", "'").replace("%", " percent").replace("-", " ")
    text = re.sub(r"\$(\d[\d,]*)", r"\1 dollars", text)
    text = re.sub(r"(\d),(\d{3})", r"\1\2", text)
    text = re.sub(r"\d+", lambda m: " " + number_words(int(m.group())) + " ", text)
    for whole, expanded in CONTRACTIONS.items():
        text = re.sub(rf"\b{re.escape(whole)}\b", expanded, text)
    for suffix, expanded in SUFFIXES.items():
        text = text.replace(suffix, expanded)
    return re.findall(r"[a-z]+", text.replace("'s", "s"))


def word_error_rate(reference: list[str], hypothesis: list[str]) -> float:
    """Word-level Levenshtein distance over the reference's length."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, 1):
        current = [i]
        for j, hyp_word in enumerate(hypothesis, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
            )
        previous = current
    return previous[-1] / max(len(reference), 1)


def labelled_words(segments: list[dict]) -> list[tuple[str, str]]:
    """(speaker, normalised word) for every word of a transcript's segments."""
    return [(s["speaker"], word) for s in segments for word in normalise(s["text"])]


def word_shares(labels: list[str]) -> dict[str, float]:
    """Percent of the words per label."""
    total = len(labels) or 1
    return {label: 100 * labels.count(label) / total for label in sorted(set(labels))}
