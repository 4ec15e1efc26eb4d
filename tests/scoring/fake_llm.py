"""A real OpenAI-compatible HTTP server on 127.0.0.1 with scripted answers, for litellm tests."""

import json
import threading
import time
from collections import deque

from tests.factories.http import LocalServer


class FakeLLM:
    """Answers POST /v1/chat/completions from a script; records every request it receives."""

    def __init__(self):
        self.requests: list[dict] = []
        self.script: deque = deque()
        self.prompt_tokens = 1000
        self.completion_tokens = 300
        self._lock = threading.Lock()
        self._server = LocalServer()
        self._server.serve("/v1/chat/completions", handler=self._chat)

    @property
    def url(self) -> str:
        return self._server.url("/v1")

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
        self._server.start()
        return self

    def stop(self):
        self._server.stop()

    def _next(self):
        with self._lock:
            return self.script.popleft() if self.script else ("fail", 500, {})

    def _chat(self, request):
        self.requests.append(json.loads(request.body))
        action = self._next()
        if action[0] == "drop":
            request.drop()
        elif action[0] == "hang":
            time.sleep(action[1])
            request.send_json(200, self._completion("{}"))
        elif action[0] == "fail":
            request.send_json(action[1], {"error": {"message": "scripted failure"}}, action[2])
        else:
            request.send_json(200, self._completion(action[1]))

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
