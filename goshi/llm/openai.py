"""The OpenAI chat-completions backend (also any OpenAI-compatible server).

POST {base_url}/chat/completions -> status check -> SSE `data:` events (or one JSON body with
--no-stream) -> TextDelta / ToolCallDelta / UsageReport events -> Done. Unknown fields are ignored;
a malformed event is skipped, counted and logged; `[DONE]` ends the stream.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
from httpx_sse import EventSource

from goshi.config import OPENAI_URL, HttpSettings, OpenAISettings
from goshi.errors import (
    AuthError,
    BackendError,
    ModelNotFound,
    QuotaExceeded,
    RateLimited,
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
from goshi.llm.wire import redact, translate_errors

log = logging.getLogger("goshi")
NAME = "openai"


class OpenAIBackend:
    name = NAME

    def __init__(
        self, settings: OpenAISettings, http_settings: HttpSettings, api_key: str | None
    ) -> None:
        self.settings = settings
        self.http_settings = http_settings
        self.api_key = api_key
        self.url = settings.base_url.rstrip("/") + "/chat/completions"
        own = settings.base_url.rstrip("/") == OPENAI_URL
        self.cap_field = "max_completion_tokens" if own else "max_tokens"

    def chat(self, request: ChatRequest) -> Iterator[Event]:
        headers = {"Accept": "text/event-stream" if request.stream else "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        client = http.client(self.http_settings)
        with translate_errors(NAME, self.settings.base_url, self.http_settings.read_timeout_s):
            body = self._body(request)
            with client.stream("POST", self.url, json=body, headers=headers) as response:
                if response.status_code != 200:
                    response.read()
                    raise self._status_error(response, request.model)
                if request.stream and "event-stream" in response.headers.get("content-type", ""):
                    yield from self._stream(response, request.model)
                else:
                    response.read()
                    yield from self._whole(_json(response), request.model)

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [_message(m) for m in request.messages],
            "stream": request.stream,
        }
        if request.stream:
            body["stream_options"] = {"include_usage": True}
        if request.tools:
            body["tools"] = request.tools
            body["tool_choice"] = "auto"
        if (cap := request.max_tokens or self.settings.max_tokens) is not None:
            # OpenAI's own API takes max_completion_tokens (its reasoning models reject
            # max_tokens); compatible servers know max_tokens.
            body[self.cap_field] = cap
        if self.settings.temperature is not None:
            body["temperature"] = self.settings.temperature
        if self.settings.service_tier is not None:
            body["service_tier"] = self.settings.service_tier
        return body

    def _stream(self, response: httpx.Response, model: str) -> Iterator[Event]:
        calls = ToolCallAssembler()
        finish: str | None = None
        tier: str | None = None
        malformed = 0
        done = False
        for sse in EventSource(response).iter_sse():
            # After [DONE] keep reading to the end of the body, so the connection can be reused.
            if done:
                continue
            if sse.data == "[DONE]":
                done = True
                continue
            try:
                chunk = json.loads(sse.data)
                if "error" in chunk and not chunk.get("choices"):
                    raise self._error(chunk, 500, model, response)
                model = chunk.get("model") or model
                tier = _tier(chunk) or tier
                for choice in chunk.get("choices") or ():
                    delta = choice.get("delta") or {}
                    if content := delta.get("content"):
                        yield TextDelta(content)
                    for piece in delta.get("tool_calls") or ():
                        fn = piece.get("function") or {}
                        event = ToolCallDelta(
                            int(piece.get("index", 0)),
                            piece.get("id"),
                            fn.get("name"),
                            fn.get("arguments") or "",
                        )
                        calls.add(event)
                        yield event
                    finish = choice.get("finish_reason") or finish
                if usage := chunk.get("usage"):
                    yield UsageReport(_usage(usage))
            except (ValueError, TypeError, AttributeError, KeyError):
                malformed += 1
                said = redact(sse.data, self.api_key)
                log.info("%s: skipped a malformed event: %.200r", NAME, said)
        if malformed:
            log.warning("%s: skipped %d malformed event(s) in the stream", NAME, malformed)
        if not done and finish is None:
            raise StreamCut(
                f"{NAME}: the stream ended before the answer did",
                "try again",
                backend=NAME,
            )
        yield Done(finish, model, calls.calls(), tier)

    def _whole(self, body: dict[str, Any], model: str) -> Iterator[Event]:
        calls = ToolCallAssembler()
        finish = None
        for choice in body.get("choices") or ():
            message = choice.get("message") or {}
            if content := message.get("content"):
                yield TextDelta(content)
            for index, call in enumerate(message.get("tool_calls") or ()):
                fn = call.get("function") or {}
                event = ToolCallDelta(
                    index, call.get("id"), fn.get("name"), fn.get("arguments") or ""
                )
                calls.add(event)
                yield event
            finish = choice.get("finish_reason") or finish
        if usage := body.get("usage"):
            yield UsageReport(_usage(usage))
        yield Done(finish, body.get("model") or model, calls.calls(), _tier(body))

    def _status_error(self, response: httpx.Response, model: str) -> BackendError:
        try:
            body = response.json()
        except ValueError:
            body = {"error": {"message": response.text[:300] or response.reason_phrase}}
        if not isinstance(body, dict):
            body = {"error": {"message": str(body)[:300]}}
        return self._error(body, response.status_code, model, response)

    def _error(
        self, body: dict[str, Any], status: int, model: str, response: httpx.Response
    ) -> BackendError:
        return _error_from_body(
            body, status, model, self.api_key, self.settings.api_key_env, response
        )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise ServerError(
            f"{NAME}: the server sent a body that is not JSON", "try again", backend=NAME
        ) from None
    if not isinstance(body, dict):
        raise ServerError(f"{NAME}: the server sent an unexpected answer", backend=NAME)
    return body


def _error_from_body(
    body: dict[str, Any],
    status: int,
    model: str,
    key: str | None,
    key_env: str,
    response: httpx.Response,
) -> BackendError:
    error = body.get("error")
    if isinstance(error, dict):
        text = str(error.get("message") or "")
        code = str(error.get("code") or error.get("type") or "")
    else:
        text, code = str(error or ""), ""
    text = redact(text, key)[:300] or response.reason_phrase
    said = f"{NAME}: HTTP {status}: {text}"
    if status in (401, 403):
        hint = (
            f"set {key_env} to a valid API key"
            if not key
            else f"check the key in ${key_env}: it may be wrong, revoked or lack access"
        )
        return AuthError(
            f"{NAME}: the API key was rejected (HTTP {status}: {text})", hint, backend=NAME
        )
    if status == 404:
        if code == "model_not_found" or "model" in text.lower():
            return ModelNotFound(
                f"{NAME}: model {model!r} not found (HTTP 404: {text})",
                "pick another with -m MODEL, or set openai.model",
                backend=NAME,
            )
        return RequestRejected(
            said, f"check openai.base_url ({response.request.url})", backend=NAME
        )
    lowered = text.lower()
    if status == 400 and "tool" in lowered and ("not support" in lowered or "auto-tool" in lowered):
        return ToolsUnsupported(f"{NAME}: {text}", "goshi goes on without tools", backend=NAME)
    if status == 429 and code == "insufficient_quota":
        return QuotaExceeded(
            f"{NAME}: quota exhausted (HTTP 429: {text})",
            "check your plan and billing, or use -b ollama",
            backend=NAME,
        )
    retry_after = parse_retry_after(response.headers)
    if status == 429:
        return RateLimited(
            said, "wait a little and try again", backend=NAME, retry_after=retry_after
        )
    if status >= 500 or status in (408, 409):
        return ServerError(said, "try again later", backend=NAME, retry_after=retry_after)
    return RequestRejected(said, "the server refused this request as sent", backend=NAME)


def _tier(obj: dict[str, Any]) -> str | None:
    """The service tier a response names: a short word, or nothing (it decides the price)."""
    tier = obj.get("service_tier")
    if (
        isinstance(tier, str)
        and 0 < len(tier) <= 32
        and tier.isascii()
        and tier.replace("_", "").isalnum()
    ):
        return tier
    return None


def _usage(raw: dict[str, Any]) -> Usage:
    details = raw.get("prompt_tokens_details") or {}
    return Usage(
        int(raw.get("prompt_tokens") or 0),
        int(raw.get("completion_tokens") or 0),
        int(details.get("cached_tokens") or 0),
    )


def _message(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["content"] = message.content or None
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in message.tool_calls
        ]
    if message.tool_call_id:
        out["tool_call_id"] = message.tool_call_id
    return out
