"""The Ollama backend: POST {host}/api/chat, NDJSON streaming (or one JSON body).

status check -> one JSON object per line -> TextDelta / ToolCallDelta -> the `done: true` line
with prompt_eval_count / eval_count -> UsageReport, Done. Errors are `{"error": "text"}`, with a
status or as a line in the middle of a stream. A model that is still loading sends its first byte
late: the first byte may take `ollama.first_byte_timeout_s`, each later one `http.read_timeout_s`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx

from goshi.config import HttpSettings, OllamaSettings
from goshi.errors import (
    BackendError,
    ModelNotFound,
    RequestRejected,
    ServerError,
    StreamCut,
    ToolsUnsupported,
)
from goshi.llm import http
from goshi.llm.retry import parse_retry_after
from goshi.llm.types import (
    ChatRequest,
    Done,
    Event,
    Message,
    TextDelta,
    ToolCallAssembler,
    ToolCallDelta,
    Usage,
    UsageReport,
)
from goshi.llm.wire import translate_errors

log = logging.getLogger("goshi")
NAME = "ollama"


class OllamaBackend:
    name = NAME

    def __init__(self, settings: OllamaSettings, http_settings: HttpSettings) -> None:
        self.settings = settings
        self.http_settings = http_settings
        self.url = settings.host.rstrip("/") + "/api/chat"

    def chat(self, request: ChatRequest) -> Iterator[Event]:
        client = http.client(self.http_settings)
        first_byte_s = max(self.settings.first_byte_timeout_s, self.http_settings.read_timeout_s)
        refused = f"is `ollama serve` running at {self.settings.host}?"
        with (
            translate_errors(NAME, self.settings.host, self.http_settings.read_timeout_s, refused),
            client.stream(
                "POST",
                self.url,
                json=self._body(request),
                timeout=http.timeout(self.http_settings, read_s=first_byte_s),
            ) as response,
        ):
            # The headers came: from now on a silence of read_timeout_s is a stall.
            response.request.extensions["timeout"]["read"] = self.http_settings.read_timeout_s
            if response.status_code != 200:
                response.read()
                raise _status_error(response, request.model)
            if request.stream:
                yield from _events(_ndjson(response), request.model)
            else:
                response.read()
                yield from _events(iter([response.content]), request.model)

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [_message(m) for m in request.messages],
            "stream": request.stream,
        }
        if request.tools:
            body["tools"] = request.tools
        options = {
            k: v
            for k, v in (
                ("temperature", self.settings.temperature),
                ("num_ctx", self.settings.num_ctx),
                ("num_predict", request.max_tokens),
            )
            if v is not None
        }
        if options:
            body["options"] = options
        if self.settings.keep_alive is not None:
            body["keep_alive"] = self.settings.keep_alive
        return body


def _ndjson(response: httpx.Response) -> Iterator[bytes]:
    """Lines split on b"\\n" only: a U+0085 or U+2028 inside JSON text must not split a line."""
    rest = b""
    for data in response.iter_bytes():
        lines = (rest + data).split(b"\n")
        rest = lines.pop()
        yield from lines
    if rest.strip():
        yield rest


def _events(lines: Iterator[bytes], model: str) -> Iterator[Event]:
    calls = ToolCallAssembler()
    delivered = False
    for line in lines:
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise TypeError
        except (ValueError, TypeError):
            log.info("%s: skipped a malformed line: %.200r", NAME, line)
            continue
        if "error" in obj:
            raise ServerError(
                f"{NAME}: the model failed mid-answer: {obj['error']}"
                if delivered
                else f"{NAME}: {obj['error']}",
                "try again; `ollama ps` and the server log say more",
                backend=NAME,
            )
        message = obj.get("message") or {}
        if content := message.get("content"):
            delivered = True
            yield TextDelta(content)
        for call in message.get("tool_calls") or ():
            fn = call.get("function") or {}
            index = len(calls.calls())
            args = fn.get("arguments")
            event = ToolCallDelta(
                index,
                call.get("id") or f"call_{index}",
                fn.get("name") or "",
                args if isinstance(args, str) else json.dumps(args or {}),
            )
            calls.add(event)
            delivered = True
            yield event
        if obj.get("done"):
            yield UsageReport(
                Usage(int(obj.get("prompt_eval_count") or 0), int(obj.get("eval_count") or 0))
            )
            yield Done(obj.get("done_reason") or "stop", obj.get("model") or model, calls.calls())
            return
    raise StreamCut(f"{NAME}: the stream ended before the answer did", "try again", backend=NAME)


def _status_error(response: httpx.Response, model: str) -> BackendError:
    try:
        text = str(response.json().get("error") or "")
    except (ValueError, AttributeError):
        text = response.text[:300]
    text = text or response.reason_phrase
    status = response.status_code
    if status == 400 and "does not support tools" in text:
        return ToolsUnsupported(f"{NAME}: {text}", "goshi goes on without tools", backend=NAME)
    if status == 404 and "model" in text.lower():
        return ModelNotFound(
            f"{NAME}: model {model!r} not found ({text})",
            f"run `ollama pull {model}`, or set ollama.model",
            backend=NAME,
        )
    if status in (400, 404, 422):
        return RequestRejected(f"{NAME}: HTTP {status}: {text}", "check the request", backend=NAME)
    return ServerError(
        f"{NAME}: HTTP {status}: {text}",
        "try again; the Ollama server log says more",
        backend=NAME,
        retry_after=parse_retry_after(response.headers),
    )


def _message(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = [
            {"function": {"name": c.name, "arguments": _arguments(c.arguments)}}
            for c in message.tool_calls
        ]
    return out


def _arguments(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return {}
