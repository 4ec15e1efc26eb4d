"""A real OpenAI-compatible /v1/audio/transcriptions server on 127.0.0.1, for litellm tests.

It knows one recording and when each of its words is said. For every upload it decodes the
piece, finds where in the recording the piece starts (cross-correlation), and answers the words
that fall inside it, timed from the piece's start, as verbose_json: what a provider does,
without a model. It can be told to fail: 413, 429, 500, a hang past the client's timeout.
"""

import json
import tempfile
import threading
import time
from collections import deque
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
from scipy.signal import correlate

from episodes.asr.audio import SAMPLE_RATE, load_audio

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
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/v1"

    def fail(self, status: int, headers: dict | None = None) -> None:
        """Queue an HTTP error for the next request."""
        self.script.append(("fail", status, headers or {}))

    def hang(self, seconds: float) -> None:
        """Queue an answer that comes only after `seconds` (a client timeout)."""
        self.script.append(("hang", seconds))

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

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

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.rstrip("/") != "/v1/audio/transcriptions":
                    self._send(404, {"error": {"message": "not found"}})
                    return
                fields, upload = self._form(body)
                request = {"fields": fields, "bytes": len(upload), "status": 200}
                fake.requests.append(request)
                action = fake._next()
                if action[0] == "fail":
                    request["status"] = action[1]
                    self._send(action[1], {"error": {"message": "scripted"}}, action[2])
                    return
                if fake.max_upload_bytes and len(upload) > fake.max_upload_bytes:
                    request["status"] = 413
                    self._send(413, {"error": {"message": "Maximum content size exceeded"}})
                    return
                if action[0] == "hang":
                    request["status"] = "timeout"
                    time.sleep(action[1])
                start, duration = fake.locate(upload)
                request.update(start=start, duration=duration)
                answer = fake.transcript(start, duration)
                if not fake.timestamps:
                    answer = {"text": answer["text"]}
                self._send(200, answer)

            def _form(self, body: bytes) -> tuple[dict, bytes]:
                head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
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

            def _send(self, status, payload, headers=None):
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): nothing to answer

        return Handler
