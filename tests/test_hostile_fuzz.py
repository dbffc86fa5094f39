"""A seeded fuzz over hostile servers: random values where numbers, names, text, parts and tool
pieces belong, streamed and not, over real loopback HTTP. No crash but goshi's own errors, and
every event the backend yields holds values goshi can store and print."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from goshi.config import HttpSettings, OllamaSettings, OpenAISettings
from goshi.errors import BackendError, GoshiError, ServerError
from goshi.llm import http
from goshi.llm.ollama import OllamaBackend
from goshi.llm.openai import OpenAIBackend
from goshi.llm.params import InProcess
from goshi.llm.types import (
    ChatRequest,
    Done,
    Message,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    UsageReport,
)
from tests.wire_server import WireServer, replay

ODD: list[Any] = [
    None,
    True,
    False,
    -1,
    0,
    7,
    10**12,
    1.5,
    "1e999",
    "",
    "x",
    "\ud83d",
    "\ude00",
    "\x1b[2J",
    "a" * 3000,
    [],
    [1, "a"],
    {},
    {"type": "text", "text": "t"},
    {"type": "thinking"},
    [{"type": "thinking", "thinking": [{"type": "text", "text": "th"}]}, {"type": "text"}],
]


def odd(rng: random.Random) -> Any:
    return rng.choice(ODD)


def openai_chunk(rng: random.Random) -> dict[str, Any]:
    piece = {
        "index": odd(rng),
        "id": odd(rng),
        "function": rng.choice([odd(rng), {"name": odd(rng), "arguments": odd(rng)}]),
    }
    delta = {
        k: odd(rng)
        for k in rng.sample(["content", "reasoning", "reasoning_content", "refusal", "role"], 2)
    }
    delta["tool_calls"] = rng.choice([odd(rng), [piece], [odd(rng), piece]])
    choice = rng.choice(
        [
            odd(rng),
            {
                "index": rng.choice([0, odd(rng)]),
                "delta": delta,
                "finish_reason": odd(rng),
                "message": delta,
            },
        ]
    )
    usage = rng.choice(
        [
            odd(rng),
            {
                "prompt_tokens": odd(rng),
                "completion_tokens": odd(rng),
                "prompt_tokens_details": odd(rng),
            },
        ]
    )
    chunk = {"model": odd(rng), "choices": rng.choice([odd(rng), [choice]]), "usage": usage}
    if rng.random() < 0.05:
        chunk = rng.choice([{"error": odd(rng)}, {"object": "error", "message": odd(rng)}])
    return chunk


def ollama_line(rng: random.Random, last: bool) -> dict[str, Any]:
    message = rng.choice(
        [
            odd(rng),
            {
                "content": odd(rng),
                "thinking": odd(rng),
                "tool_calls": rng.choice([odd(rng), [{"function": odd(rng)}]]),
            },
        ]
    )
    line = {"model": odd(rng), "message": message, "done": last}
    if last:
        line.update(done_reason=odd(rng), prompt_eval_count=odd(rng), eval_count=odd(rng))
    return line


def dump(obj: Any) -> bytes:
    return json.dumps(obj).encode()  # ensure_ascii: lone surrogates travel as \\ud83d


def check(events: list[Any]) -> None:
    for e in events:
        if isinstance(e, TextDelta | ReasoningDelta | RefusalDelta):
            e.text.encode("utf-8")
        elif isinstance(e, UsageReport):
            assert 0 <= e.usage.prompt_tokens <= 10**9 and e.usage.completion_tokens >= 0
        elif isinstance(e, Done):
            assert isinstance(e.model, str) and e.model.isprintable()
            for c in e.tool_calls:
                (c.id + c.name + c.arguments).encode("utf-8")
            assert len({c.id for c in e.tool_calls}) == len(e.tool_calls)


def says_error(chunk: dict[str, Any]) -> bool:
    """A body the server means as its failure: an `error` that is not null or false (or 0, which
    reads as false), or `object: error` (vLLM), in place of choices."""
    return not chunk.get("choices") and (
        chunk.get("error") not in (None, False) or chunk.get("object") == "error"
    )


def run_case(server: WireServer, seed: int) -> None:
    """Events that reach the caller are good ones, and the answer ends with Done exactly when no
    body said error; one that did ends it with ServerError, after the events before it."""
    rng = random.Random(seed)
    stream = rng.random() < 0.7
    request = ChatRequest([Message("user", "hi")], "asked", stream=stream)
    failing = False
    if rng.random() < 0.7:
        if stream:
            chunks = [openai_chunk(rng) for _ in range(6)]
            body = b"".join(b"data: " + dump(chunk) + b"\n\n" for chunk in chunks)
            server.openai.push(replay(200, "text/event-stream", body + b"data: [DONE]\n\n"))
        else:
            chunks = [openai_chunk(rng)]
            server.openai.push(replay(200, "application/json", dump(chunks[0]), chunked=False))
        failing = any(says_error(chunk) for chunk in chunks)
        backend: Any = OpenAIBackend(
            OpenAISettings(base_url=f"{server.url}/v1"),
            HttpSettings(read_timeout_s=5),
            None,
            InProcess(),
        )
    else:
        lines = [ollama_line(rng, i == 4) for i in range(5)]
        if stream:
            body = b"".join(dump(line) + b"\n" for line in lines)
            server.ollama.push(replay(200, "application/x-ndjson", body))
        else:
            server.ollama.push(replay(200, "application/json", dump(lines[-1]), chunked=False))
        backend = OllamaBackend(OllamaSettings(host=server.url), HttpSettings(read_timeout_s=5))
    events: list[Any] = []
    try:
        events.extend(backend.chat(request))
    except GoshiError as exc:
        assert failing and type(exc) is ServerError, (seed, exc)
        assert not any(isinstance(e, Done) for e in events), seed
    else:
        assert not failing and isinstance(events[-1], Done), seed
    check(events)


EVENT_TYPES = [
    "response.created",
    "response.output_item.added",
    "response.output_item.done",
    "response.output_text.delta",
    "response.output_text.done",
    "response.refusal.delta",
    "response.refusal.done",
    "response.reasoning_summary_text.delta",
    "response.reasoning_text.delta",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done",
    "response.completed",
    "response.incomplete",
    "response.failed",
    "error",
    "response.something_new",
]


def responses_item(rng: random.Random) -> Any:
    kind = rng.choice(["message", "reasoning", "function_call", odd(rng)])
    return rng.choice(
        [
            odd(rng),
            {
                "type": kind,
                "id": odd(rng),
                "call_id": odd(rng),
                "name": odd(rng),
                "arguments": odd(rng),
                "content": rng.choice([odd(rng), [{"type": "output_text", "text": odd(rng)}]]),
                "summary": rng.choice([odd(rng), [{"type": "summary_text", "text": odd(rng)}]]),
                "encrypted_content": odd(rng),
            },
        ]
    )


def responses_object(rng: random.Random) -> Any:
    usage = rng.choice(
        [
            odd(rng),
            {
                "input_tokens": odd(rng),
                "output_tokens": odd(rng),
                "input_tokens_details": rng.choice([odd(rng), {"cached_tokens": odd(rng)}]),
                "output_tokens_details": rng.choice([odd(rng), {"reasoning_tokens": odd(rng)}]),
            },
        ]
    )
    return rng.choice(
        [
            odd(rng),
            {
                "object": "response",
                "status": rng.choice(["completed", "incomplete", "failed", odd(rng)]),
                "model": odd(rng),
                "service_tier": odd(rng),
                "usage": usage,
                "error": odd(rng),
                "incomplete_details": rng.choice([odd(rng), {"reason": odd(rng)}]),
                "output": rng.choice([odd(rng), [responses_item(rng) for _ in range(3)]]),
            },
        ]
    )


def responses_event(rng: random.Random, n: int) -> dict[str, Any]:
    """One typed event with random values where its fields belong (keys: OpenAI's, llama.cpp
    leaving out sequence_number and output_index)."""
    event: dict[str, Any] = {"type": rng.choice([*EVENT_TYPES, odd(rng)])}
    if rng.random() < 0.7:
        event["sequence_number"] = n
    for key in ("output_index", "item_id", "summary_index", "content_index"):
        if rng.random() < 0.6:
            event[key] = rng.choice([0, 1, 2, "fc_1", "msg_1", odd(rng)])
    for key in ("delta", "text", "refusal", "arguments", "code", "message", "name"):
        if rng.random() < 0.4:
            event[key] = odd(rng)
    if rng.random() < 0.5:
        event["item"] = responses_item(rng)
    if rng.random() < 0.3:
        event["response"] = responses_object(rng)
    if rng.random() < 0.1:
        event["error"] = rng.choice([odd(rng), {"code": odd(rng), "message": odd(rng)}])
    return event


def _name(event: dict[str, Any]) -> bytes:
    kind = event["type"]
    return kind.encode() if isinstance(kind, str) and kind.isascii() else b"x"


def run_responses_case(server: WireServer, seed: int) -> None:
    rng = random.Random(seed)
    stream = rng.random() < 0.7
    request = ChatRequest([Message("user", "hi")], "asked", stream=stream, max_tokens=7)
    if stream:
        events = [responses_event(rng, n) for n in range(10)]
        body = b"".join(b"event: " + _name(e) + b"\ndata: " + dump(e) + b"\n\n" for e in events)
        server.responses.push(replay(200, "text/event-stream", body))
    else:
        body = dump(responses_object(rng))
        server.responses.push(replay(200, "application/json", body, chunked=False))
    settings = OpenAISettings(base_url=f"{server.url}/v1", api="responses")
    backend = OpenAIBackend(settings, HttpSettings(read_timeout_s=5), None, InProcess())
    events: list[Any] = []
    try:
        events.extend(backend.chat(request))
    except BackendError:  # a failed, cut or refused answer: said as one, never another error
        assert not any(isinstance(e, Done) for e in events), seed
    else:
        assert isinstance(events[-1], Done), seed
    check(events)


SEEDS = range(1000)


CASES = pytest.mark.parametrize(
    "case", [run_case, run_responses_case], ids=["chat-and-ollama", "responses"]
)


@CASES
def test_a_seeded_sample_of_hostile_servers(server: WireServer, case: Any) -> None:
    http.close()
    for seed in list(SEEDS)[::10]:  # 100 of the 1,000; `pytest --slow` runs them all
        case(server, seed)


@pytest.mark.slow
@CASES
def test_every_hostile_server(server: WireServer, case: Any) -> None:
    http.close()
    for seed in SEEDS:
        case(server, seed)
