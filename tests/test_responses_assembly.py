"""Responses API event assembly from streams shaped unlike OpenAI's own, over loopback: each
piece goes to the item its output_index names, and a `.done` event adds only what no delta
brought. (tests/test_responses_backend.py holds the streams shaped like OpenAI's.)"""

from __future__ import annotations

from typing import Any

from goshi.llm.types import Done, ToolCallDelta
from tests.responses_server import responses_events, typed_sse
from tests.test_responses_backend import CALLS, ask, backend, done, text
from tests.wire_server import WireServer


def test_two_calls_whose_argument_pieces_interleave_stay_apart(server: WireServer) -> None:
    """A server that streams two calls' arguments at once, by output_index, and sends no
    `.done` with the whole arguments: the pieces alone must make each call."""
    events = responses_events([], tool_calls=CALLS)
    pieces = [e for e in events if e[0] == "response.function_call_arguments.delta"]
    first = [e for e in pieces if e[1]["output_index"] == 0]
    second = [e for e in pieces if e[1]["output_index"] == 1]
    mixed = [e for pair in zip(first, second, strict=False) for e in pair]
    mixed += first[len(second) :] + second[len(first) :]
    head = [e for e in events if e[0] == "response.output_item.added"]
    end = [e for e in events if e[0] == "response.completed"]
    server.responses.push(typed_sse(head + mixed + end))
    got = list(backend(server).chat(ask()))
    assert [(c.id, c.name, c.arguments) for c in done(got).tool_calls] == CALLS
    joined: dict[Any, str] = {}
    for e in got:
        if isinstance(e, ToolCallDelta):
            joined[(e.index, e.id)] = joined.get((e.index, e.id), "") + e.arguments
    assert joined == {(0, "call_a"): CALLS[0][2], (1, "call_b"): CALLS[1][2]}


def test_a_done_event_adds_only_what_the_deltas_did_not_bring(server: WireServer) -> None:
    """A server that skipped the last text delta: its `.done` brings the rest, once."""
    events = responses_events(["Hel", "lo", " there"])
    last = max(i for i, e in enumerate(events) if e[0] == "response.output_text.delta")
    server.responses.push(typed_sse(events[:last] + events[last + 1 :]))
    got = list(backend(server).chat(ask()))
    assert text(got) == "Hello there"
    assert isinstance(got[-1], Done) and got[-1].finish_reason == "stop"
