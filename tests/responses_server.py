"""OpenAI's Responses API (POST /v1/responses) for the test server, byte for byte in OpenAI's shape.

    event: TYPE
    data: {"type": TYPE, "sequence_number": n, ...}

response.created, response.in_progress, then per output item (reasoning, message, function
calls) output_item.added -> its deltas -> .done events -> output_item.done, then one of
response.completed / response.incomplete / response.failed. No [DONE]. With `stream: false` the
final response object is the whole body. Faults as on the chat path (reset, stall, pause, an
error event mid-answer), and refusals of chat completions in each wording OpenAI uses for a
model that answers only here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from tests.wire_server import (
    CREATED,
    Handler,
    Reply,
    compact,
    completion_tokens,
    sse_stream,
    tokens_of,
)
from tests.wire_server import (
    STREAM_KEYS as WIRE_STREAM_KEYS,
)

RESP_ID = "resp_0123456789abcdef0123456789abcdef"
ENCRYPTED = "gAAAAABo-encrypted-reasoning-0123456789"

# The ways a server says a model is not served on chat completions (status, error object)
WRONG_ENDPOINT: dict[str, tuple[int, dict[str, Any]]] = {
    "code": (
        400,
        {
            "message": "This model is only supported in v1/responses and not in"
            " v1/chat/completions.",
            "type": "invalid_request_error",
            "param": "model",
            "code": "unsupported_api_for_model",
        },
    ),
    "names-responses": (
        400,
        {
            "message": "This model is only supported in v1/responses and not in"
            " v1/chat/completions.",
            "type": "invalid_request_error",
            "param": "model",
            "code": None,
        },
    ),
    "not-accessible": (
        400,
        {
            "message": "The model `gpt-5.5-pro` is not accessible via the /chat/completions"
            " endpoint.",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        },
    ),
    "not-a-chat-model": (
        404,
        {
            "message": "This is not a chat model and thus not supported in the"
            " v1/chat/completions endpoint. Did you mean to use v1/completions?",
            "type": "invalid_request_error",
            "param": "model",
            "code": None,
        },
    ),
}
# ... and what /v1/responses says of a chat-only model
CHAT_ONLY = (
    400,
    {
        "message": "The model gpt-4o-search-preview is not supported with the Responses API.",
        "type": "invalid_request_error",
        "param": "model",
        "code": None,
    },
)


def response_object(
    model: str,
    status: str,
    output: list[dict[str, Any]],
    usage: dict[str, Any] | None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": RESP_ID,
        "object": "response",
        "created_at": CREATED,
        "status": status,
        "background": False,
        "error": extra.pop("error", None),
        "incomplete_details": extra.pop("incomplete_details", None),
        "instructions": None,
        "max_output_tokens": None,
        "model": model,
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "service_tier": extra.pop("service_tier", "default"),
        "store": False,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage,
        "user": None,
        "metadata": {},
        **extra,
    }


def usage_object(inp: int, out: int, cached: int = 0, reasoning: int = 0) -> dict[str, Any]:
    return {
        "input_tokens": inp,
        "input_tokens_details": {"cached_tokens": cached},
        "output_tokens": out,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": inp + out,
    }


def responses_events(
    pieces: Iterable[str],
    *,
    model: str = "gpt-5.3-codex",
    usage: tuple[int, int, int, int] | None = None,
    tool_calls: list[tuple[str, str, str]] | None = None,
    reasoning: list[str] | None = None,
    encrypted: str | None = ENCRYPTED,
    refusal: list[str] | None = None,
    status: str = "completed",
    incomplete_reason: str = "max_output_tokens",
    failure: dict[str, Any] | None = None,
    service_tier: str = "default",
    raw_usage: Any = None,
    layout: str | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """(type, payload) of each event of a streamed response, in OpenAI's order and shape.
    `layout`: the output items in order, R reasoning, M the message, C the next call (default
    R if reasoning, M if text, a C per call); each R after the first thinks `Step k.` and has
    its own id and encrypted content."""
    pieces = list(pieces)
    calls = list(tool_calls or ())
    if layout is None:
        layout = "R" * bool(reasoning) + "M" * bool(pieces or refusal) + "C" * len(calls)
    events: list[tuple[str, dict[str, Any]]] = []
    output: list[dict[str, Any]] = []

    def add(kind: str, **fields: Any) -> None:
        events.append((kind, {"type": kind, "sequence_number": len(events), **fields}))

    add("response.created", response=response_object(model, "in_progress", [], None))
    add("response.in_progress", response=response_object(model, "in_progress", [], None))
    thoughts = 0
    for letter in layout:
        n = len(output)
        if letter == "R":
            said = reasoning if thoughts == 0 and reasoning else [f"Step {thoughts}."]
            secret = encrypted if thoughts == 0 or encrypted is None else f"{encrypted}-{thoughts}"
            output.append(_reasoning_item(add, n, said, secret))
            thoughts += 1
        elif letter == "M":
            done = "incomplete" if status == "incomplete" else "completed"
            output.append(_message_item(add, n, pieces, refusal, done))
        else:
            output.append(_call_item(add, n, *calls.pop(0)))
    if failure is not None:
        add(
            "response.failed",
            response=response_object(model, "failed", output, None, error=failure),
        )
        return events
    inp, out, cached, thought = usage or (11, completion_tokens(pieces, tool_calls), 0, 0)
    used = raw_usage if raw_usage is not None else usage_object(inp, out, cached, thought)
    if status == "incomplete":
        details = {"reason": incomplete_reason}
        final = response_object(
            model, "incomplete", output, used, incomplete_details=details, service_tier=service_tier
        )
        add("response.incomplete", response=final)
    else:
        add(
            "response.completed",
            response=response_object(model, "completed", output, used, service_tier=service_tier),
        )
    return events


Add = Callable[..., None]


def _reasoning_item(add: Add, n: int, pieces: list[str], encrypted: str | None) -> dict[str, Any]:
    rid = f"rs_{n}abc"
    item: dict[str, Any] = {"id": rid, "type": "reasoning", "summary": []}
    add("response.output_item.added", output_index=n, item=item)
    at = {"item_id": rid, "output_index": n, "summary_index": 0}
    add("response.reasoning_summary_part.added", **at, part={"type": "summary_text", "text": ""})
    for piece in pieces:
        add("response.reasoning_summary_text.delta", **at, delta=piece, obfuscation="x1")
    text = "".join(pieces)
    add("response.reasoning_summary_text.done", **at, text=text)
    add("response.reasoning_summary_part.done", **at, part={"type": "summary_text", "text": text})
    item = {"id": rid, "type": "reasoning", "summary": [{"type": "summary_text", "text": text}]}
    if encrypted is not None:
        item["encrypted_content"] = encrypted
    add("response.output_item.done", output_index=n, item=item)
    return item


def _message_item(
    add: Add, n: int, pieces: list[str], refusal: list[str] | None, status: str
) -> dict[str, Any]:
    mid = f"msg_{n}abc"
    item = {
        "id": mid,
        "type": "message",
        "status": "in_progress",
        "content": [],
        "role": "assistant",
    }
    add("response.output_item.added", output_index=n, item=item)
    kind, key = ("refusal", "refusal") if refusal else ("output_text", "text")
    blank: dict[str, Any] = {"type": kind, key: ""}
    if not refusal:
        blank = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
    at = {"item_id": mid, "output_index": n, "content_index": 0}
    add("response.content_part.added", **at, part=blank)
    for piece in refusal or pieces:
        extra = {} if refusal else {"logprobs": [], "obfuscation": "ab"}
        add(f"response.{kind}.delta", **at, delta=piece, **extra)
    text = "".join(refusal or pieces)
    done_extra = {key: text} if refusal else {"text": text, "logprobs": []}
    add(f"response.{kind}.done", **at, **done_extra)
    part = {**blank, key: text}
    add("response.content_part.done", **at, part=part)
    item = {"id": mid, "type": "message", "status": status, "content": [part], "role": "assistant"}
    add("response.output_item.done", output_index=n, item=item)
    return item


def _call_item(add: Add, n: int, call_id: str, name: str, arguments: str) -> dict[str, Any]:
    fid = f"fc_{n}abc"
    head = {
        "id": fid,
        "type": "function_call",
        "status": "in_progress",
        "arguments": "",
        "call_id": call_id,
        "name": name,
    }
    add("response.output_item.added", output_index=n, item=head)
    step = max(1, len(arguments) // 3)
    for i in range(0, len(arguments), step):
        delta = arguments[i : i + step]
        add(
            "response.function_call_arguments.delta",
            item_id=fid,
            output_index=n,
            delta=delta,
            obfuscation="q",
        )
    add(
        "response.function_call_arguments.done",
        item_id=fid,
        output_index=n,
        name=name,
        arguments=arguments,
    )
    item = {**head, "status": "completed", "arguments": arguments}
    add("response.output_item.done", output_index=n, item=item)
    return item


def frame(kind: str, payload: dict[str, Any]) -> bytes:
    return f"event: {kind}\ndata: ".encode() + compact(payload) + b"\n\n"


def typed_sse(
    events: list[tuple[str, dict[str, Any]]],
    *,
    error_after: int | None = None,
    error: dict[str, Any] | None = None,
    **faults: Any,
) -> Reply:
    """Send typed events as `event:` + `data:`, with the chat path's faults (reset_after,
    stall_after, pause_after, delay_s: tests/wire_server.py sse_stream); `error_after`: an
    error event (flat as documented, unless `error` nests it) in place of the rest."""
    frames = [frame(kind, payload) for kind, payload in events]
    if error_after is not None:
        fields = error or {"code": "server_error", "message": "The server had an error"}
        payload = {"type": "error", "sequence_number": error_after, **fields}
        frames = [*frames[:error_after], frame("error", payload)]
    return sse_stream(frames, framed=True, done=False, **faults)


STREAM_KEYS = {*WIRE_STREAM_KEYS, "error_after", "error"} - {"done"}


def responses_stream(text: str | list[str], **kwargs: Any) -> Reply:
    """An answer from /v1/responses: typed events, or one response object with stream: false."""
    pieces = tokens_of(text) if isinstance(text, str) else text
    stream_kwargs = {k: v for k, v in kwargs.items() if k in STREAM_KEYS}
    event_kwargs = {k: v for k, v in kwargs.items() if k not in STREAM_KEYS}

    def reply(h: Handler, body: dict[str, Any]) -> None:
        if fault := request_fault(body):
            h.send_json(400, {"error": fault})
            return
        events = responses_events(pieces, **event_kwargs)
        if not body.get("stream"):
            final = events[-1][1]["response"]
            h.send_json(200, final)
            return
        typed_sse(events, **stream_kwargs)(h, body)

    return reply


def request_fault(body: dict[str, Any]) -> dict[str, Any] | None:
    """What the strictest servers say of a request, or None: OpenAI takes no max_output_tokens
    under 16; llama.cpp's server (tools/server/server-chat.cpp) tells an assistant's item by its
    `type` and refuses one without it; vLLM validates input_image against the SDK type, where
    `detail` is required (vllm-project/vllm#57241, open)."""
    cap = body.get("max_output_tokens")
    if isinstance(cap, int) and cap < 16:
        return {
            "message": "Invalid 'max_output_tokens': integer below minimum value. Expected a"
            f" value >= 16, but got {cap} instead.",
            "type": "invalid_request_error",
            "param": "max_output_tokens",
            "code": "integer_below_min_value",
        }
    if (bad := untyped_item(body)) is not None:
        return bad
    items = body.get("input")
    for n, item in enumerate(items if isinstance(items, list) else ()):
        content = item.get("content")
        for k, part in enumerate(content if isinstance(content, list) else ()):
            if part.get("type") == "input_image" and "detail" not in part:
                return {
                    "message": "1 validation error for ResponsesRequest\n"
                    f"input.{n}.content.{k}.detail\n  Field required [type=missing]",
                    "type": "BadRequestError",
                    "param": None,
                    "code": 400,
                }
    return None


def untyped_item(body: dict[str, Any]) -> dict[str, Any] | None:
    """llama.cpp's refusal of an input item it cannot place (tools/server's responses-to-chat
    conversion): user/system/developer messages may leave out `type`; an assistant message needs
    `type: "message"` and a list of output_text parts; calls, their outputs and reasoning items
    need their `type`. OpenAI takes all of these, so the test server asks for them everywhere."""
    items = body.get("input")
    for item in items if isinstance(items, list) else ():
        kind, role = item.get("type"), item.get("role")
        if role in ("user", "system", "developer") and kind in (None, "message"):
            continue
        content = item.get("content")
        if role == "assistant" and kind == "message" and isinstance(content, list):
            if all(isinstance(p, dict) and p.get("type") == "output_text" for p in content):
                continue
            return {"code": 400, "message": "'type' must be 'output_text'", "type": INVALID}
        if kind in ("function_call", "function_call_output", "reasoning"):
            continue
        return {"code": 400, "message": "Cannot determine type of 'item'", "type": INVALID}
    return None


INVALID = "invalid_request_error"


def refuse_chat(model_prefix: str, shape: str, then: Reply) -> Reply:
    """Chat completions that refuse models starting with `model_prefix` in the wording `shape`
    (WRONG_ENDPOINT), and answer any other model with `then`."""
    return refusing(model_prefix, *WRONG_ENDPOINT[shape], then)


def refusing(model_prefix: str, status: int, error: dict[str, Any], then: Reply) -> Reply:
    """An endpoint that refuses models starting with `model_prefix` (for /v1/responses, a
    chat-only model: CHAT_ONLY) and answers any other with `then`."""

    def reply(h: Handler, body: dict[str, Any]) -> None:
        if str(body.get("model", "")).startswith(model_prefix):
            h.send_json(status, {"error": error})
            return
        then(h, body)

    return reply


def dump(events: list[tuple[str, dict[str, Any]]]) -> str:
    """The stream as text (for writing transcripts in tests/dialects/)."""
    return "".join(
        f"event: {k}\ndata: {json.dumps(p, separators=(',', ':'))}\n\n" for k, p in events
    )
