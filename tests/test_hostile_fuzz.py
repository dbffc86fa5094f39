"""A seeded fuzz over hostile servers: random values where numbers, names, text, parts and tool
pieces belong, streamed and not, over real loopback HTTP. No crash but goshi's own errors, and
every event the backend yields holds values goshi can store and print."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from goshi.config import HttpSettings, OllamaSettings, OpenAISettings
from goshi.errors import GoshiError, ServerError
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


SEEDS = range(1000)


@pytest.mark.parametrize("block", [0])
def test_a_seeded_sample_of_hostile_servers(server: WireServer, block: int) -> None:
    http.close()
    for seed in list(SEEDS)[::10]:  # 100 of the 1,000; `pytest --slow` runs them all
        run_case(server, seed)


@pytest.mark.slow
def test_every_hostile_server(server: WireServer) -> None:
    http.close()
    for seed in SEEDS:
        run_case(server, seed)
