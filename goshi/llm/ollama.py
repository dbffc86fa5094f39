"""The Ollama backend: POST {host}/api/chat, NDJSON streaming (or one JSON body).

status check -> one JSON object per line -> ReasoningDelta (`message.thinking`) / TextDelta /
ToolCallDelta (each call arrives whole) -> the `done: true` line with done_reason,
prompt_eval_count / eval_count -> UsageReport, Done. Values are checked (goshi/llm/values.py).
Errors are `{"error": "text"}` (read by goshi/llm/error_body.py), with a status or as a line in the
middle of a stream; 401/403 (a cloud model without `ollama signin`) is an auth error, never retried.
`think` comes from `ollama.think`; tool results carry `tool_name` and an assistant's thinking is
sent back as `thinking`, as Ollama's API documents. A model that is still loading sends its first
byte late: the first byte may take `ollama.first_byte_timeout_s`, each later one
`http.read_timeout_s`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx

from goshi import json_bounds
from goshi.config import HttpSettings, OllamaSettings
from goshi.errors import (
    AuthError,
    BackendError,
    ModelNotFound,
    RequestRejected,
    ServerError,
    StreamCut,
    ToolsUnsupported,
)
from goshi.llm import error_body, http
from goshi.llm.retry import parse_retry_after
from goshi.llm.surrogates import TextJoiner
from goshi.llm.types import (
    ChatRequest,
    Done,
    Event,
    Message,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    UsageReport,
    finished_calls,
)
from goshi.llm.values import model_name, split_content, tool_id, usage_of
from goshi.llm.wire import translate_errors

log = logging.getLogger("goshi")
NAME = "ollama"


class OllamaBackend:
    name = NAME

    def __init__(self, settings: OllamaSettings, http_settings: HttpSettings) -> None:
        self.settings = settings
        self.http_settings = http_settings
        self.url = settings.host.rstrip("/") + "/api/chat"
        self.think = settings.think  # dropped once a model says it does not think

    def chat(self, request: ChatRequest) -> Iterator[Event]:
        client = http.client(self.http_settings)
        first_byte_s = max(self.settings.first_byte_timeout_s, self.http_settings.read_timeout_s)
        refused = f"is `ollama serve` running at {self.settings.host}?"
        with translate_errors(NAME, self.settings.host, self.http_settings.read_timeout_s, refused):
            while True:
                with client.stream(
                    "POST",
                    self.url,
                    json=self._body(request),
                    timeout=http.timeout(self.http_settings, read_s=first_byte_s),
                ) as response:
                    # The headers came: from now on a silence of read_timeout_s is a stall.
                    response.request.extensions["timeout"]["read"] = (
                        self.http_settings.read_timeout_s
                    )
                    if response.status_code != 200:
                        error = _status_error(response, request.model)
                        if self.think is not None and "not support thinking" in error.message:
                            log.warning("%s; asking without ollama.think", error.message)
                            self.think = None
                            continue
                        raise error
                    if request.stream:
                        yield from _events(_ndjson(response), request.model)
                    else:
                        response.read()
                        yield from _events(iter([response.content]), request.model)
                    return

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [_message(m) for m in request.messages],
            "stream": request.stream,
        }
        if request.tools:
            body["tools"] = request.tools
        if self.think is not None:
            body["think"] = self.think
        options = {
            k: v
            for k, v in (
                ("temperature", self.settings.temperature),
                ("top_p", self.settings.top_p),
                ("seed", self.settings.seed),
                ("num_ctx", self.settings.num_ctx),
                ("num_predict", _least(request.max_tokens, self.settings.num_predict)),
            )
            if v is not None
        }
        if options:
            body["options"] = options
        if self.settings.keep_alive is not None:
            body["keep_alive"] = self.settings.keep_alive
        return body


def _least(*caps: int | None) -> int | None:
    return min((c for c in caps if c is not None), default=None)


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
    calls: list[ToolCall] = []
    text, thinking = TextJoiner(), TextJoiner()
    delivered = False
    for line in lines:
        if not line.strip():
            continue
        try:
            obj = json_bounds.loads(line)
            if not isinstance(obj, dict):
                raise TypeError
        except (ValueError, TypeError):
            log.info("%s: skipped a malformed line: %.200r", NAME, line)
            continue
        if obj.get("error") not in (None, False):
            said = error_body.from_json(obj).text or "no reason given"
            raise ServerError(
                f"{NAME}: the model failed mid-answer: {said}" if delivered else f"{NAME}: {said}",
                "try again; `ollama ps` and the server log say more",
                backend=NAME,
            )
        model = model_name(obj.get("model"), model)
        message = obj.get("message")
        message = message if isinstance(message, dict) else {}
        content, thought = split_content(message.get("content"))
        if isinstance(message.get("thinking"), str):
            thought = message["thinking"] + thought
        if thought and (out := thinking.feed(thought)):
            yield ReasoningDelta(out)
        if content and (out := text.feed(content)):
            delivered = True
            yield TextDelta(out)
        raw_calls = message.get("tool_calls")
        for call in raw_calls if isinstance(raw_calls, list) else ():
            if not isinstance(call, dict):
                continue
            fn: dict[str, Any] = call["function"] if isinstance(call.get("function"), dict) else {}
            name: str = fn["name"] if isinstance(fn.get("name"), str) else ""
            args = fn.get("arguments")
            arguments = args if isinstance(args, str) else json.dumps(args or {})
            call_id = tool_id(call.get("id")) or ""
            calls.append(ToolCall(call_id, name, arguments))  # each call arrives whole
            delivered = True
            yield ToolCallDelta(len(calls) - 1, call_id or None, name, arguments)
        if obj.get("done"):
            if out := thinking.flush():
                yield ReasoningDelta(out)
            if out := text.flush():
                yield TextDelta(out)
            usage = usage_of(obj.get("prompt_eval_count"), obj.get("eval_count"))
            if usage is not None:
                yield UsageReport(usage)
            reason = obj.get("done_reason")
            finish = reason if isinstance(reason, str) and 0 < len(reason) <= 40 else "stop"
            yield Done(finish, model, finished_calls(calls))
            return
    raise StreamCut(f"{NAME}: the stream ended before the answer did", "try again", backend=NAME)


def _status_error(response: httpx.Response, model: str) -> BackendError:
    fault = error_body.parse(error_body.read_bounded(response.iter_bytes()))
    text = fault.text or response.reason_phrase or "no reason given"
    status = response.status_code
    if status in (401, 403):
        return AuthError(
            f"{NAME}: not allowed (HTTP {status}: {text})",
            "run `ollama signin` (cloud models need an ollama.com account), or pick a local model",
            backend=NAME,
        )
    if status == 400 and error_body.tools_unsupported(fault):
        return ToolsUnsupported(f"{NAME}: {text}", "goshi goes on without tools", backend=NAME)
    if status == 404 and "model" in text.lower():
        return ModelNotFound(
            f"{NAME}: model {model!r} not found ({text})",
            f"run `ollama pull {model}`, or set ollama.model",
            backend=NAME,
        )
    if status in (400, 404, 413, 422):
        hint = (
            "the conversation is too long for the model: start a new one, or raise ollama.num_ctx"
            if error_body.context_exceeded(fault)
            else "check the request"
        )
        return RequestRejected(f"{NAME}: HTTP {status}: {text}", hint, backend=NAME)
    return ServerError(
        f"{NAME}: HTTP {status}: {text}",
        "try again; the Ollama server log says more",
        backend=NAME,
        retry_after=parse_retry_after(response.headers),
    )


def _message(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.reasoning and message.role == "assistant":
        out["thinking"] = message.reasoning
    if message.images:
        out["images"] = [i.data for i in message.images]
    if message.tool_calls:
        out["tool_calls"] = [
            {"function": {"name": c.name, "arguments": _arguments(c.arguments)}}
            for c in message.tool_calls
        ]
    if message.role == "tool" and message.tool_name:
        out["tool_name"] = message.tool_name
    return out


def _arguments(text: str) -> Any:
    try:
        return json_bounds.loads(text)
    except ValueError:
        return {}
