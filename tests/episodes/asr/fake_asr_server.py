"""A real OpenAI-compatible /v1/audio/transcriptions server on 127.0.0.1, for litellm tests.

It knows one recording and when each of its words is said. For every upload it decodes the
piece, finds where in the recording the piece starts (cross-correlation), and answers the words
that fall inside it, timed from the piece's start, as verbose_json: what a provider does,
without a model. It can be told to fail: 413, 429, 500, a hang past the client's timeout.
"""

import tempfile
import threading
import time
from collections import deque
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path

import numpy as np
from scipy.signal import correlate

from episodes.asr.audio import SAMPLE_RATE, load_audio
from tests.factories.http import LocalServer

# Seconds of an upload matched against the recording to place it.
PROBE_SECONDS = 4.0


class FakeTranscriber:
    """Transcribes pieces of one known recording; records every request it receives."""

    def __init__(self, reference: np.ndarray, words: list[tuple[float, float, str]]):
        self.reference = reference
        self.words = words
        self.requests: list[dict] = []
        self.script: deque = deque()
        # Uploads bigger than this get 413, as a provider's size limit would.
        self.max_upload_bytes = 0
        # False: answer the text alone, as providers without timestamps do.
        self.timestamps = True
        self._lock = threading.Lock()
        self._server = LocalServer()
        self._server.serve("/v1/audio/transcriptions", handler=self._transcribe)

    @property
    def url(self) -> str:
        return self._server.url("/v1")

    def fail(self, status: int, headers: dict | None = None) -> None:
        """Queue an HTTP error for the next request."""
        self.script.append(("fail", status, headers or {}))

    def hang(self, seconds: float) -> None:
        """Queue an answer that comes only after `seconds` (a client timeout)."""
        self.script.append(("hang", seconds))

    def start(self):
        self._server.start()
        return self

    def stop(self):
        self._server.stop()

    @property
    def answered(self) -> list[dict]:
        """The requests answered 200, in order."""
        return [request for request in self.requests if request["status"] == 200]

    def _next(self):
        with self._lock:
            return self.script.popleft() if self.script else ("answer",)

    def locate(self, upload: bytes) -> tuple[float, float]:
        """(start in the recording, duration) of an uploaded piece."""
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "piece.mp3"
            path.write_bytes(upload)
            piece = load_audio(path, max_seconds=24 * 3600)
        probe = piece[: int(PROBE_SECONDS * SAMPLE_RATE)]
        scores = correlate(self.reference, probe, mode="valid", method="fft")
        return int(np.argmax(scores)) / SAMPLE_RATE, piece.size / SAMPLE_RATE

    def transcript(self, start: float, duration: float) -> dict:
        """verbose_json for the stretch [start, start + duration) of the recording."""
        inside = [
            (begin - start, end - start, text)
            for begin, end, text in self.words
            if start <= (begin + end) / 2 < start + duration
        ]
        words = [
            {"word": text, "start": round(max(begin, 0.0), 2), "end": round(end, 2)}
            for begin, end, text in inside
        ]
        # One segment per sentence, as whisper would.
        segments, current = [], []
        for word in words:
            current.append(word)
            if word["word"].endswith((".", "?", "!")) or word is words[-1]:
                segments.append(
                    {
                        "id": len(segments),
                        "seek": 0,
                        "start": current[0]["start"],
                        "end": current[-1]["end"],
                        "text": " " + " ".join(w["word"] for w in current),
                        "tokens": [],
                        "temperature": 0.0,
                        "avg_logprob": -0.2,
                        "compression_ratio": 1.4,
                        "no_speech_prob": 0.01,
                    }
                )
                current = []
        return {
            "task": "transcribe",
            "language": "english",
            "duration": round(duration, 2),
            "text": " ".join(word["word"] for word in words),
            "words": words,
            "segments": segments,
        }

    def _transcribe(self, request):
        fields, upload = multipart_form(request.headers["Content-Type"], request.body)
        record = {"fields": fields, "bytes": len(upload), "status": 200}
        self.requests.append(record)
        action = self._next()
        if action[0] == "fail":
            record["status"] = action[1]
            request.send_json(action[1], {"error": {"message": "scripted"}}, action[2])
            return
        if self.max_upload_bytes and len(upload) > self.max_upload_bytes:
            record["status"] = 413
            request.send_json(413, {"error": {"message": "Maximum content size exceeded"}})
            return
        if action[0] == "hang":
            record["status"] = "timeout"
            time.sleep(action[1])
        start, duration = self.locate(upload)
        record.update(start=start, duration=duration)
        answer = self.transcript(start, duration)
        if not self.timestamps:
            answer = {"text": answer["text"]}
        request.send_json(200, answer)


def multipart_form(content_type: str, body: bytes) -> tuple[dict, bytes]:
    """The text fields (name: [values]) and the uploaded file of a multipart/form-data body."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    fields, upload = {}, b""
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if part.get_filename():
            upload = payload
        else:
            fields.setdefault(name, []).append(payload.decode())
    return fields, upload
