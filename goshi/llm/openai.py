"""The OpenAI backend (also any OpenAI-compatible server), in its two dialects.

    endpoint: goshi/llm/api_choice.py (openai.api, what this server said before, the host)
        chat completions -> the body below, chunks read by goshi/llm/chunks.py
        the Responses API -> goshi/llm/responses.py, typed events by goshi/llm/responses_stream.py
    a refusal naming the other endpoint -> asked there once, remembered (openai.api: auto)

POST {base_url}/chat/completions -> status check -> SSE events (goshi/llm/sse.py), or one JSON
body with --no-stream -> chunks read by goshi/llm/chunks.py -> ReasoningDelta / TextDelta /
RefusalDelta / ToolCallDelta / UsageReport -> Done. Every value a server sends is checked
(goshi/llm/values.py). Every error body, whatever its shape, is read by goshi/llm/error_body.py:
with a status, as an `error` event or chunk mid-stream, or as a 200 body. Unknown fields are
ignored; a malformed event is skipped, counted and logged; `[DONE]` ends the stream.

Servers disagree on two fields. The answer cap goes as `max_completion_tokens` to OpenAI and Azure
OpenAI hosts, as `max_tokens` elsewhere; a 400/422 naming the field sent as unsupported is retried
once with the other form (or without `stream_options`), and the choice is remembered per base URL
(goshi/llm/params.py) so later requests do not pay the extra round trip.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx

from goshi import json_bounds
from goshi.config import HttpSettings, OpenAISettings
from goshi.credentials import mask_url
from goshi.errors import BackendError, StreamCut
from goshi.llm import api_choice, error_body, http, sse
from goshi.llm.chunks import Chunks, is_error
from goshi.llm.error_body import ServerFault
from goshi.llm.faults import error_from_fault, read_json, status_of
from goshi.llm.params import ParamMemory, remembered
from goshi.llm.types import (
    ChatRequest,
    Event,
    Message,
)
from goshi.llm.wire import redact, translate_errors

log = logging.getLogger("goshi")
NAME = "openai"
CAP_FIELDS = ("max_tokens", "max_completion_tokens")
FINISH_MAX = 40
# Responses fields a server may refuse (named, or by what its message says): dropped, remembered
RESPONSES_OPTIONAL = {"include": "encrypted content", "reasoning.summary": "reasoning summar"}


AZURE_HOSTS = (".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com")


def endpoint(base_url: str, path: str = "/chat/completions") -> str:
    """{base_url}/chat/completions (or /responses), any query kept at the end (Azure's
    ?api-version=...)."""
    base, mark, query = base_url.partition("?")
    return base.rstrip("/") + path + mark + query


def is_azure(base_url: str) -> bool:
    return (urlsplit(base_url).hostname or "").lower().endswith(AZURE_HOSTS)


def default_cap_field(base_url: str) -> str:
    """OpenAI's own hosts (regional ones too) and Azure OpenAI take max_completion_tokens (their
    reasoning models reject max_tokens); other compatible servers know max_tokens."""
    host = (urlsplit(base_url).hostname or "").lower()
    openai_hosts = ("api.openai.com", ".api.openai.com", ".openai.azure.com")
    azure = host.endswith(".cognitiveservices.azure.com")
    if host == openai_hosts[0] or host.endswith(openai_hosts[1:]) or azure:
        return "max_completion_tokens"
    return "max_tokens"


class OpenAIBackend:
    name = NAME

    def __init__(
        self,
        settings: OpenAISettings,
        http_settings: HttpSettings,
        api_key: str | None,
        memory: ParamMemory | None = None,
    ) -> None:
        self.settings = settings
        self.http_settings = http_settings
        self.api_key = api_key
        self.url = endpoint(settings.base_url)
        self.base_url = mask_url(settings.base_url.rstrip("/"))  # the key of what is remembered
        self.memory = memory or remembered()
        known = self.memory.params_for(self.base_url)
        forced = settings.max_tokens_field
        self.cap_forced = forced != "auto"
        learned = known.get("cap_field") or default_cap_field(self.base_url)
        self.cap_field = forced if self.cap_forced else learned
        self.stream_options = settings.stream_options and known.get("stream_options") != "off"
        self.responses_url = endpoint(settings.base_url, "/responses")
        self.api_setting = settings.api
        self.default_api = api_choice.default_api(settings.base_url)

    def chat(self, request: ChatRequest) -> Iterator[Event]:
        headers = {"Accept": "text/event-stream" if request.stream else "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
            if is_azure(self.settings.base_url):  # Azure's keys go in api-key
                headers["api-key"] = self.api_key
        client = http.client(self.http_settings)
        api, switched = self.api_for(request.model), False
        with translate_errors(NAME, self.settings.base_url, self.http_settings.read_timeout_s):
            while True:
                if api == api_choice.RESPONSES:
                    url, body = self.responses_url, self._responses_body(request)
                else:
                    url, body = self.url, self._body(request)
                with client.stream("POST", url, json=body, headers=headers) as response:
                    if response.status_code != 200:
                        fault = error_body.parse(error_body.read_bounded(response.iter_bytes()))
                        if response.status_code in (400, 422) and self._adapt(fault, body, api):
                            continue
                        other = api_choice.other_endpoint(fault, api)
                        if other and not switched and response.status_code in (400, 404, 422):
                            if self.api_setting == "auto":
                                api, switched = self._switch(request.model, other), True
                                continue
                            fault = _forced(fault, self.api_setting)
                        raise self._error(fault, response.status_code, request.model, response)
                    streamed = request.stream and "event-stream" in response.headers.get(
                        "content-type", ""
                    )
                    if api == api_choice.RESPONSES:
                        yield from self._responses(response, request.model, body, streamed)
                    elif streamed:
                        yield from self._stream(response, request.model)
                    else:
                        response.read()
                        yield from self._whole(read_json(response), request.model, response)
                    return

    def api_for(self, model: str) -> str:
        """The endpoint this model is asked on (goshi/llm/api_choice.py)."""
        if self.api_setting != "auto":
            return self.api_setting
        known = self.memory.params_for(self.base_url).get(api_choice.memory_key(model))
        return known if known in (api_choice.CHAT, api_choice.RESPONSES) else self.default_api

    def _switch(self, model: str, api: str) -> str:
        where = "/responses" if api == api_choice.RESPONSES else "/chat/completions"
        log.info("%s: %s answers on %s here; asking there from now on", NAME, model, where)
        self.memory.remember_param(self.base_url, api_choice.memory_key(model), api)
        return api

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [_message(m) for m in request.messages],
            "stream": request.stream,
        }
        if request.stream and self.stream_options:
            body["stream_options"] = {"include_usage": True}
        if request.tools:
            body["tools"] = request.tools
            body["tool_choice"] = "auto"
        if (cap := self._cap(request)) is not None:
            body[self.cap_field] = cap
        for name in ("temperature", "top_p", "seed"):
            if (value := getattr(self.settings, name)) is not None:
                body[name] = value
        if self.settings.service_tier is not None:
            body["service_tier"] = self.settings.service_tier
        if self.settings.reasoning_effort is not None:
            body["reasoning_effort"] = self.settings.reasoning_effort
        return body

    def _cap(self, request: ChatRequest) -> int | None:
        """The answer's cap: the request's or openai.max_tokens, within what the model allows."""
        if (cap := request.max_tokens or self.settings.max_tokens) is None:
            return None
        most = self.memory.params_for(self.base_url).get(f"max_output {request.model}")
        return min(cap, int(most)) if most and most.isdigit() else cap

    def _responses_body(self, request: ChatRequest) -> dict[str, Any]:
        from goshi.llm import responses  # a chat completions ask never loads the other dialect

        known = self.memory.params_for(self.base_url)
        dropped = {f for f in RESPONSES_OPTIONAL if known.get(f"{f} {request.model}") == "off"}
        return responses.body(request, self.settings, self._cap(request), dropped)

    def _adapt(self, fault: ServerFault, sent: dict[str, Any], api: str) -> bool:
        """A 400/422 that names a field this server will not take: change it once, remember."""
        model = sent["model"]
        most = error_body.output_limit(fault)
        field = self.cap_field if api == api_choice.CHAT else "max_output_tokens"
        if most is not None and sent.get(field, 0) > most:
            log.info("%s: %s allows at most %d output tokens", NAME, model, most)
            self.memory.remember_param(self.base_url, f"max_output {model}", str(most))
            return True
        if api == api_choice.RESPONSES:
            for name, said in RESPONSES_OPTIONAL.items():
                top = name.partition(".")[0]
                if top in sent and (error_body.rejects_param(fault, name) or fault.mentions(said)):
                    log.info("%s: %s takes no %s here; asking without it", NAME, model, name)
                    self.memory.remember_param(self.base_url, f"{name} {model}", "off")
                    return True
            return False
        if (
            not self.cap_forced
            and self.cap_field in sent
            and error_body.rejects_param(fault, self.cap_field)
        ):
            other = CAP_FIELDS[1 - CAP_FIELDS.index(self.cap_field)]
            log.warning(
                "%s: the server does not take %s; sending %s from now on (openai.max_tokens_field)",
                NAME,
                self.cap_field,
                other,
            )
            self.cap_field, self.cap_forced = other, True  # once: never flip back and forth
            self.memory.remember_param(self.base_url, "cap_field", other)
            return True
        if "stream_options" in sent and error_body.rejects_param(fault, "stream_options"):
            log.warning(
                "%s: the server does not take stream_options; asking without it from now on"
                " (usage may then be estimated)",
                NAME,
            )
            self.stream_options = False
            self.memory.remember_param(self.base_url, "stream_options", "off")
            return True
        return False

    def _stream(self, response: httpx.Response, model: str) -> Iterator[Event]:
        chunks = Chunks(model)
        malformed = 0
        done = False
        for event in sse.events(response.iter_text()):
            # After [DONE] keep reading to the end of the body, so the connection can be reused.
            if done:
                continue
            if event.data == "[DONE]":
                done = True
                continue
            try:
                chunk = json_bounds.loads(event.data)
            except ValueError:  # TooDeep too
                chunk = None
            if event.event == "error":
                fault = (
                    error_body.from_json(chunk)
                    if chunk is not None
                    else ServerFault(error_body.parse(event.data).text)
                )
                raise self._mid_stream(fault, chunks.model, response)
            if not isinstance(chunk, dict):
                malformed += 1
                said = redact(event.data, self.api_key)
                log.info("%s: skipped a malformed event: %.200r", NAME, said)
                continue
            if is_error(chunk):
                raise self._mid_stream(error_body.from_json(chunk), chunks.model, response)
            yield from chunks.read(chunk, "delta")
        if malformed:
            log.warning("%s: skipped %d malformed event(s) in the stream", NAME, malformed)
        yield from chunks.flush()
        if not done and chunks.finish is None:
            raise StreamCut(
                f"{NAME}: the stream ended before the answer did",
                "try again",
                backend=NAME,
            )
        yield chunks.done()

    def _responses(
        self, response: httpx.Response, model: str, sent: dict[str, Any], streamed: bool
    ) -> Iterator[Event]:
        """A Responses API answer (goshi/llm/responses_stream.py); a failure classed by its code."""
        from goshi.llm.responses_stream import ResponseFailed, ResponseReader, answer

        reader = ResponseReader(model, sent.get("max_output_tokens"))
        try:
            yield from answer(response, reader, streamed, self.api_key)
        except ResponseFailed as failed:
            fault, said = failed.fault, f"{NAME}: the response failed"
            raise self._error(fault, status_of(fault), reader.model, response, said) from None

    def _whole(self, body: dict[str, Any], model: str, response: httpx.Response) -> Iterator[Event]:
        if is_error(body):
            raise self._mid_stream(error_body.from_json(body), model, response, whole=True)
        chunks = Chunks(model)
        yield from chunks.read(body, "message")
        yield from chunks.flush()
        yield chunks.done()

    def _mid_stream(
        self, fault: ServerFault, model: str, response: httpx.Response, whole: bool = False
    ) -> BackendError:
        """An error inside a 200 answer: its own code decides, when it is an HTTP status."""
        status = int(fault.code) if fault.code.isdigit() and 400 <= int(fault.code) < 600 else 500
        where = "in a 200 answer" if whole else "mid-answer"
        return self._error(fault, status, model, response, f"{NAME}: the server failed {where}")

    def _error(
        self,
        fault: ServerFault,
        status: int,
        model: str,
        response: httpx.Response,
        said: str | None = None,
    ) -> BackendError:
        return error_from_fault(
            fault, status, model, self.api_key, self.settings.api_key_env, response, said
        )


def _message(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.images:  # the text, then each image as a data URL
        text = [{"type": "text", "text": message.content}] if message.content else []
        out["content"] = [
            *text,
            *({"type": "image_url", "image_url": {"url": i.data_url()}} for i in message.images),
        ]
    if message.tool_calls:
        out["content"] = message.content or None
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in message.tool_calls
        ]
    if message.tool_call_id:
        out["tool_call_id"] = message.tool_call_id
    return out


def _forced(fault: ServerFault, api: str) -> ServerFault:
    """A refusal that names the other endpoint, while openai.api forces this one."""
    hint = f" (openai.api is {api}; `auto` would ask the other endpoint)"
    return ServerFault(fault.text + hint, fault.code, fault.param)
