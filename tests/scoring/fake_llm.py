"""A real OpenAI-compatible HTTP server on 127.0.0.1 with scripted answers, for litellm tests."""

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeLLM:
    """Answers POST /v1/chat/completions from a script; records every request it receives."""

    def __init__(self):
        self.requests: list[dict] = []
        self.script: deque = deque()
        self.prompt_tokens = 1000
        self.completion_tokens = 300
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/v1"

    def answer(self, content: str | dict) -> None:
        """Queue a 200 answer whose message content is `content` (a dict becomes JSON)."""
        text = json.dumps(content) if isinstance(content, dict) else content
        self.script.append(("answer", text))

    def fail(self, status: int, headers: dict | None = None) -> None:
        """Queue an HTTP error response."""
        self.script.append(("fail", status, headers or {}))

    def hang(self, seconds: float) -> None:
        """Queue a response that arrives only after `seconds` (a client timeout)."""
        self.script.append(("hang", seconds))

    def drop(self) -> None:
        """Queue a connection closed without any response."""
        self.script.append(("drop",))

    def user_prompt(self, n: int = -1) -> str:
        return next(m["content"] for m in self.requests[n]["messages"] if m["role"] == "user")

    def system_prompt(self, n: int = -1) -> str:
        return next(m["content"] for m in self.requests[n]["messages"] if m["role"] == "system")

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def _next(self):
        with self._lock:
            return self.script.popleft() if self.script else ("fail", 500, {})

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._send(404, {"error": {"message": "not found"}})
                    return
                fake.requests.append(json.loads(body))
                action = fake._next()
                if action[0] == "drop":
                    self.close_connection = True
                    self.connection.close()
                elif action[0] == "hang":
                    time.sleep(action[1])
                    self._send(200, fake._completion("{}"))
                elif action[0] == "fail":
                    self._send(
                        action[1], {"error": {"message": "scripted failure"}}, headers=action[2]
                    )
                else:
                    self._send(200, fake._completion(action[1]))

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

    def _completion(self, content: str) -> dict:
        return {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "fake-scorer",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "total_tokens": self.prompt_tokens + self.completion_tokens,
            },
        }


def point_scoring_at(settings, api_base: str) -> None:
    """Settings that send scoring to `api_base`, with fast retries and known prices."""
    settings.PODINDEX_SCORING_MODEL = "openai/fake-scorer"
    settings.PODINDEX_SCORING_API_BASE = api_base
    settings.PODINDEX_SCORING_API_KEY = "test-key"
    settings.PODINDEX_SCORING_TIMEOUT = 5.0
    settings.PODINDEX_SCORING_MAX_RETRIES = 2
    settings.PODINDEX_SCORING_RETRY_BACKOFF = 0.01
    settings.PODINDEX_SCORING_MAX_RETRY_WAIT = 5.0
    settings.PODINDEX_SCORING_CONTEXT_TOKENS = 0
    settings.PODINDEX_SCORING_PRICE_INPUT_PER_MTOK = 1.0
    settings.PODINDEX_SCORING_PRICE_OUTPUT_PER_MTOK = 4.0
    settings.PODINDEX_DAILY_LLM_BUDGET_USD = 5.0
