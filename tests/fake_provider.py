"""A fake LLM provider on 127.0.0.1 that speaks the four real wire formats.

Same paths as the real APIs, so a base URL pointed here exercises the real clients:

    POST /v1/chat/completions                      OpenAI
    POST /chat/completions                         DeepSeek
    POST /v1/messages                              Anthropic
    POST /v1beta/models/{model}:generateContent    Gemini

Every request is recorded (``fake.requests``). What the next requests get is switched with
``fake.behave(name, **options)``: without ``times`` it becomes the behaviour for every
request; with ``times=n`` it is queued for the next n requests only, after which the
standing behaviour ("ok" after ``reset()``) applies again. So "429 then ok" is
``fake.behave("429", retry_after=0, times=1)``.

Behaviours (see BEHAVIOURS): ok, fenced, prose, not_json, drop_placeholder, drop_not,
longer, truncated, 401, quota, 429, 500, 503, 529, slow, bad_body, enormous. Errors use
each provider's own body and status: Gemini's "401" is its real 400 API_KEY_INVALID,
its 429 carries RetryInfo instead of a Retry-After header, and "quota" is OpenAI's
insufficient_quota 429, Anthropic's low-credit 400, DeepSeek's 402 and Gemini's per-day
QuotaFailure. Error messages echo the key received, so tests can check it is scrubbed.
"""

import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from refinery.llm.meta_prompt import BEGIN_MARKER, END_MARKER

BEHAVIOURS = (
    "ok",
    "fenced",
    "prose",
    "not_json",
    "drop_placeholder",
    "drop_not",
    "longer",
    "truncated",
    "401",
    "quota",
    "429",
    "500",
    "503",
    "529",
    "slow",
    "bad_body",
    "enormous",
)
FILLER = re.compile(
    r"\b(please|kindly|really|very|just|basically|actually|quite|simply)\b[ \t]*", re.IGNORECASE
)
PLACEHOLDER = re.compile(r"\{\{?[^{}\s]+\}\}?|\$\{[^}]+\}")
GEMINI_PATH = re.compile(r"^/v1beta/models/(?P<model>[^/:]+):generateContent$")


@dataclass(frozen=True)
class Behaviour:
    """One way of answering, with its options."""

    name: str
    retry_after: float | str | None = None  # seconds, or a raw header value (an HTTP date)
    delay: float = 2.0  # seconds, for "slow"
    size: int = 16 << 20  # bytes, for "enormous"


@dataclass
class RecordedRequest:
    """What a client sent."""

    provider: str
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    json: Any
    at: float = field(default_factory=time.monotonic)


class FakeProvider:
    """The fake server: start it, point base URLs at ``url``, switch behaviours per test."""

    def __init__(self) -> None:
        """Set up an idle server answering "ok"."""
        self._lock = threading.Lock()
        self._standing = Behaviour("ok")
        self._queue: deque[Behaviour] = deque()
        self.requests: list[RecordedRequest] = []
        self._server = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> "FakeProvider":
        """Serve on a free loopback port in a background thread."""
        self._server = make_server(
            "127.0.0.1", 0, self.wsgi_app, threaded=True, request_handler=_QuietHandler
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut the server down."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeProvider":
        """Start when used as a context manager."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop at the end of the with block."""
        self.stop()

    def behave(self, name: str, *, times: int | None = None, **options: Any) -> None:
        """Answer with this behaviour from now on, or only for the next ``times`` requests."""
        if name not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {name!r}; expected one of {BEHAVIOURS}")
        behaviour = Behaviour(name, **options)
        with self._lock:
            if times is None:
                self._standing = behaviour
                self._queue.clear()
            else:
                self._queue.extend([behaviour] * times)

    def reset(self) -> None:
        """Back to "ok" for everything, with no recorded requests."""
        with self._lock:
            self._standing = Behaviour("ok")
            self._queue.clear()
            self.requests.clear()

    def calls(self, provider: str | None = None) -> list[RecordedRequest]:
        """The recorded requests, optionally only those for one provider."""
        with self._lock:
            return [r for r in self.requests if provider is None or r.provider == provider]

    def wsgi_app(self, environ: dict[str, Any], start_response: Any) -> Any:
        """The WSGI entry point."""
        request = Request(environ)
        provider, model = _route(request.path)
        body = request.get_json(silent=True)
        headers = {name.lower(): value for name, value in request.headers.items()}
        with self._lock:
            self.requests.append(
                RecordedRequest(provider, request.method, request.path, headers, body)
            )
            behaviour = self._queue.popleft() if self._queue else self._standing
        if provider == "unknown" or request.method != "POST":
            response = Response("not found", status=404)
        else:
            model = model or (body or {}).get("model") or "unknown-model"
            response = _answer(provider, model, headers, body, behaviour)
        return response(environ, start_response)


class _QuietHandler(WSGIRequestHandler):
    """A request handler that keeps test output clean."""

    def log(self, type: str, message: str, *args: Any) -> None:
        """Log nothing."""


def _route(path: str) -> tuple[str, str | None]:
    """Which provider a path belongs to, and the model when the path carries it."""
    if path == "/v1/chat/completions":
        return "openai", None
    if path == "/chat/completions":
        return "deepseek", None
    if path == "/v1/messages":
        return "anthropic", None
    match = GEMINI_PATH.match(path)
    if match:
        return "gemini", match.group("model")
    return "unknown", None


def _answer(
    provider: str, model: str, headers: dict[str, str], body: Any, behaviour: Behaviour
) -> Response:
    """The response for one request under one behaviour."""
    key = _key(provider, headers)
    name = behaviour.name
    if name == "slow":
        time.sleep(behaviour.delay)
    if name == "enormous":
        return Response(_enormous(behaviour.size), status=200, content_type="application/json")
    if name == "bad_body":
        return Response("<html><body>Bad gateway</body></html>", 200, content_type="text/html")
    if name in ("401", "quota", "429", "500", "503", "529"):
        return _error(provider, name, key, behaviour.retry_after)
    if not key:
        return _error(provider, "401", key, None)
    invalid = _invalid(provider, headers, body)
    if invalid:
        return _error(provider, "400", key, None, message=invalid)
    text = _prompt_text(provider, body)
    answer = _model_text(text, name)
    finished = name != "truncated"
    return _success(provider, model, text, answer, finished)


def _key(provider: str, headers: dict[str, str]) -> str:
    """The API key as that provider expects it."""
    if provider in ("openai", "deepseek"):
        auth = headers.get("authorization", "")
        return auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
    if provider == "anthropic":
        return headers.get("x-api-key", "")
    return headers.get("x-goog-api-key", "")


def _invalid(provider: str, headers: dict[str, str], body: Any) -> str:
    """What the real API would reject in this request, or ""."""
    if not isinstance(body, dict):
        return "The request body is not valid JSON."
    if provider in ("openai", "deepseek"):
        if not body.get("model") or not isinstance(body.get("messages"), list):
            return "you must provide a model parameter and messages"
    elif provider == "anthropic":
        if headers.get("anthropic-version") is None:
            return "anthropic-version: header is required"
        for required in ("model", "max_tokens", "messages"):
            if required not in body:
                return f"{required}: Field required"
        if any(m.get("role") == "system" for m in body["messages"] if isinstance(m, dict)):
            return 'messages: Unexpected role "system"; use the top-level system parameter'
    elif not isinstance(body.get("contents"), list):
        return "* GenerateContentRequest.contents: contents is not specified"
    return ""


def _prompt_text(provider: str, body: dict[str, Any]) -> str:
    """The user's prompt, taken from between the meta-prompt's markers."""
    if provider == "gemini":
        parts = body["contents"][-1].get("parts", [])
        message = "".join(p.get("text", "") for p in parts)
    else:
        message = body["messages"][-1].get("content", "")
    start = message.find(BEGIN_MARKER)
    end = message.rfind(END_MARKER)
    if start == -1 or end == -1:
        return message
    return message[start + len(BEGIN_MARKER) : end].strip("\n")


def _model_text(text: str, name: str) -> str:
    """What the "model" says: our JSON, shorter than the input, in the shape asked for."""
    removed = [m.group(1) for m in FILLER.finditer(text)]
    refined = re.sub(r"[ \t]{2,}", " ", FILLER.sub("", text)).strip()
    if name == "drop_placeholder":
        refined = PLACEHOLDER.sub("", refined, count=1)
    elif name == "drop_not":
        refined = re.sub(r"\bnot\s+", "", refined, count=1, flags=re.IGNORECASE)
    elif name == "longer":
        refined = text + " Also, be thorough and double-check every single detail carefully."
    answer = json.dumps(
        {
            "refinedText": refined,
            "removedSegments": [{"text": word, "reason": "filler"} for word in removed],
            "explanation": "Removed filler words.",
        }
    )
    if name == "fenced":
        return f"```json\n{answer}\n```"
    if name == "prose":
        return f"Sure! Here is the refined prompt:\n{answer}\nLet me know if you need more."
    if name == "not_json":
        return "I am sorry, but I cannot help with rewriting this prompt."
    if name == "truncated":
        return answer[: len(answer) // 2]
    return answer


def _success(provider: str, model: str, prompt: str, text: str, finished: bool) -> Response:
    """A successful answer in the provider's wire format."""
    tokens_in, tokens_out = len(prompt.split()) + 100, len(text.split())
    if provider in ("openai", "deepseek"):
        # OpenAI reports the dated snapshot that served the alias.
        reported = f"{model}-2026-03-17" if provider == "openai" else model
        payload: dict[str, Any] = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": reported,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "finish_reason": "stop" if finished else "length",
                }
            ],
            "usage": {
                "prompt_tokens": tokens_in,
                "completion_tokens": tokens_out,
                "total_tokens": tokens_in + tokens_out,
            },
        }
    elif provider == "anthropic":
        payload = {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn" if finished else "max_tokens",
            "stop_sequence": None,
            "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out},
        }
    else:
        payload = {
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": text}]},
                    "finishReason": "STOP" if finished else "MAX_TOKENS",
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": tokens_in,
                "candidatesTokenCount": tokens_out,
                "totalTokenCount": tokens_in + tokens_out,
            },
            "modelVersion": model,
            "responseId": "fake",
        }
    return Response(json.dumps(payload), status=200, content_type="application/json")


_OPENAI_ERRORS = {
    "401": (401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided: {key}."),
    "quota": (
        429,
        "insufficient_quota",
        "insufficient_quota",
        "You exceeded your current quota, please check your plan and billing details.",
    ),
    "429": (429, "requests", "rate_limit_exceeded", "Rate limit reached for requests."),
    "500": (500, "server_error", None, "The server had an error while processing your request."),
    "503": (503, "server_error", None, "The engine is currently overloaded."),
    "529": (529, "server_error", None, "Overloaded."),
    "400": (400, "invalid_request_error", None, "{message}"),
}
_ANTHROPIC_ERRORS = {
    "401": (401, "authentication_error", "invalid x-api-key {key}"),
    "quota": (
        400,
        "invalid_request_error",
        "Your credit balance is too low to access the Anthropic API. "
        "Please go to Plans & Billing to upgrade or purchase credits.",
    ),
    "429": (429, "rate_limit_error", "Number of requests has exceeded your rate limit."),
    "500": (500, "api_error", "Internal server error"),
    "503": (503, "api_error", "Service unavailable"),
    "529": (529, "overloaded_error", "Overloaded"),
    "400": (400, "invalid_request_error", "{message}"),
}
_GEMINI_ERRORS = {
    "401": (400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key. {key}"),
    "quota": (429, "RESOURCE_EXHAUSTED", "You exceeded your current quota for today."),
    "429": (
        429,
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan and billing details.",
    ),
    "500": (500, "INTERNAL", "An internal error has occurred."),
    "503": (503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
    "529": (529, "UNAVAILABLE", "Overloaded."),
    "400": (400, "INVALID_ARGUMENT", "{message}"),
}


def _error(
    provider: str, name: str, key: str, retry_after: float | str | None, message: str = ""
) -> Response:
    """An error in the provider's own body format, with Retry-After where it sends one."""
    headers = {}
    if retry_after is not None and provider != "gemini":
        raw = isinstance(retry_after, str)
        headers["Retry-After"] = retry_after if raw else f"{retry_after:g}"
    if provider in ("openai", "deepseek"):
        status, kind, code, text = _OPENAI_ERRORS[name]
        if provider == "deepseek" and name == "quota":
            status, kind, code, text = 402, "unknown_error", None, "Insufficient Balance"
        error = {"message": text.format(key=key, message=message), "type": kind, "param": None}
        payload: dict[str, Any] = {"error": {**error, "code": code}}
    elif provider == "anthropic":
        status, kind, text = _ANTHROPIC_ERRORS[name]
        error = {"type": kind, "message": text.format(key=key, message=message)}
        payload = {"type": "error", "error": error, "request_id": "req_fake"}
    else:
        status, grpc, text = _GEMINI_ERRORS[name]
        payload = {
            "error": {
                "code": status,
                "message": text.format(key=key, message=message),
                "status": grpc,
                "details": _gemini_details(name, retry_after),
            }
        }
    return Response(
        json.dumps(payload), status=status, headers=headers, content_type="application/json"
    )


def _gemini_details(name: str, retry_after: float | str | None) -> list[dict[str, Any]]:
    """The google.rpc details Gemini attaches to an error."""
    rpc = "type.googleapis.com/google.rpc."
    if name == "401":
        return [
            {"@type": rpc + "ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com"}
        ]
    if name not in ("429", "quota"):
        return []
    quota_id = (
        "GenerateRequestsPerDayPerProjectPerModel"
        if name == "quota"
        else ("GenerateRequestsPerMinutePerProjectPerModel")
    )
    details: list[dict[str, Any]] = [
        {"@type": rpc + "QuotaFailure", "violations": [{"quotaId": quota_id, "quotaValue": "15"}]}
    ]
    if isinstance(retry_after, int | float):
        details.append({"@type": rpc + "RetryInfo", "retryDelay": f"{retry_after:g}s"})
    return details


def _enormous(size: int):
    """A never-ending-looking JSON answer streamed in chunks (no Content-Length)."""
    yield b'{"choices": [{"message": {"content": "'
    chunk = b"x" * (64 << 10)
    for _ in range(size // len(chunk)):
        yield chunk
    yield b'"}}]}'


def main() -> None:
    """Serve in the foreground: ``python -m tests.fake_provider [behaviour]`` prints the URL."""
    import sys

    fake = FakeProvider().start()
    if len(sys.argv) > 1:
        fake.behave(sys.argv[1])
    print(fake.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
