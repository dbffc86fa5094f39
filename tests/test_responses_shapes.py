"""The Responses API as the servers that serve it really send it, each shape read from its source:
OpenAI's schema (openai-python src/openai/types/responses), vLLM
(vllm/entrypoints/openai/responses), llama.cpp (tools/server/server-task.cpp) and Ollama
(openai/responses.go). Over real loopback HTTP, in process."""

from __future__ import annotations

import json
from typing import Any

import pytest

from goshi.llm.types import TextDelta, ToolCallDelta
from tests.responses_server import typed_sse
from tests.test_responses_backend import ask, backend, done, next_round, text
from tests.wire_server import Handler, WireServer

Events = list[tuple[str, dict[str, Any]]]


def typed(*events: dict[str, Any]) -> Events:
    return [(e["type"], e) for e in events]


def completed(status: str = "completed", **extra: Any) -> dict[str, Any]:
    return {"type": "response.completed", "response": {"status": status, **extra}}


def whole(body: dict[str, Any]) -> Any:
    def reply(h: Handler, _: dict[str, Any]) -> None:
        h.send_json(200, body)

    return reply


def test_a_message_of_two_text_parts_is_both_whole(server: WireServer) -> None:
    """A message's content is a list of parts (content_index): the second part's text was cut
    by the length of the first."""
    parts = [
        {"type": "output_text", "text": "Hello", "annotations": []},
        {"type": "output_text", "text": " world, again", "annotations": []},
    ]
    message = {"id": "msg_1", "type": "message", "role": "assistant", "content": parts}
    server.responses.push(whole({"status": "completed", "model": "m", "output": [message]}))
    assert text(list(backend(server).chat(ask(stream=False)))) == "Hello world, again"
    at = {"item_id": "msg_1", "output_index": 0}
    server.responses.push(
        typed_sse(
            typed(
                {"type": "response.output_item.added", "output_index": 0, "item": message},
                {"type": "response.output_text.delta", **at, "content_index": 0, "delta": "Hel"},
                {"type": "response.output_text.done", **at, "content_index": 0, "text": "Hello"},
                {
                    "type": "response.output_text.done",
                    **at,
                    "content_index": 1,
                    "text": " world, again",
                },
                {"type": "response.output_item.done", "output_index": 0, "item": message},
                completed(),
            )
        )
    )
    assert text(list(backend(server).chat(ask()))) == "Hello world, again"


def test_vllm_repeats_a_calls_first_arguments_in_a_delta(server: WireServer) -> None:
    """vLLM's output_item.added carries the first piece of the arguments, and the same piece
    comes again as the first delta (simple_streaming_events.py): it counts once."""
    head = {"type": "function_call", "id": "u1", "call_id": "call_u1", "name": "read_file"}
    at = {"item_id": "u1", "output_index": 0}
    args = '{"path": "a"}'
    server.responses.push(
        typed_sse(
            typed(
                {
                    "type": "response.output_item.added",
                    "output_index": 0,
                    "item": {**head, "arguments": '{"pa', "status": "in_progress"},
                },
                {"type": "response.function_call_arguments.delta", **at, "delta": '{"pa'},
                {"type": "response.function_call_arguments.delta", **at, "delta": 'th": "a"}'},
                {"type": "response.function_call_arguments.done", **at, "arguments": args},
                {
                    "type": "response.output_item.done",
                    "output_index": 0,
                    "item": {**head, "arguments": args, "status": "completed"},
                },
                # vLLM ends a response cut at max_tokens with response.completed, status incomplete
                completed("incomplete"),
            )
        )
    )
    events = list(backend(server).chat(ask()))
    streamed = "".join(e.arguments for e in events if isinstance(e, ToolCallDelta))
    assert streamed == args
    end = done(events)
    assert [(c.id, c.arguments) for c in end.tool_calls] == [("call_u1", args)]
    assert end.finish_reason == "length"


def test_llama_cpp_names_its_calls_by_call_id_alone(server: WireServer) -> None:
    """llama.cpp's call items have no id and its events no output_index: the arguments' deltas
    name the call by its call_id ("fc_" + the call's id), the final item again without an id."""
    calls = [("fc_A1", "read_file", '{"path": "a"}'), ("fc_B2", "list_dir", '{"path": "."}')]
    events: list[dict[str, Any]] = []
    for call_id, name, args in calls:
        item = {"arguments": "", "call_id": call_id, "name": name, "type": "function_call"}
        events.append({"type": "response.output_item.added", "item": item})
        for piece in (args[:5], args[5:]):
            delta = {"delta": piece, "item_id": call_id}
            events.append({"type": "response.function_call_arguments.delta", **delta})
    for call_id, name, args in calls:
        item = {"type": "function_call", "status": "completed", "arguments": args, "name": name}
        events.append({"type": "response.output_item.done", "item": {**item, "call_id": call_id}})
    usage = {"input_tokens": 30, "output_tokens": 12, "total_tokens": 42}
    server.responses.push(typed_sse(typed(*events, completed(usage=usage))))
    end = done(list(backend(server).chat(ask())))
    assert [(c.id, c.name, json.loads(c.arguments)) for c in end.tool_calls] == [
        (call_id, name, json.loads(args)) for call_id, name, args in calls
    ]
    assert end.finish_reason == "tool_calls"


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
def test_ollama_says_completed_at_its_cap(server: WireServer, stream: bool) -> None:
    """Ollama's /v1/responses says completed whatever its done_reason (openai/responses.go):
    an answer of exactly the cap goshi sent is read as cut, as for llama.cpp."""
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": "Part", "annotations": [], "logprobs": []}],
    }
    usage = {
        "input_tokens": 9,
        "output_tokens": 64,
        "total_tokens": 73,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens_details": {"reasoning_tokens": 0},
    }
    final = {"status": "completed", "model": "llama3.2", "output": [message], "usage": usage}
    at = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
    server.responses.push(
        typed_sse(
            typed(
                {"type": "response.output_item.added", "output_index": 0, "item": message},
                {"type": "response.output_text.delta", **at, "delta": "Part"},
                {"type": "response.output_text.done", **at, "text": "Part"},
                {"type": "response.output_item.done", "output_index": 0, "item": message},
                {"type": "response.completed", "response": final},
            )
        )
        if stream
        else whole(final)
    )
    events = list(backend(server).chat(ask(stream=stream, cap=64)))
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Part"
    assert done(events).finish_reason == "length"


def test_a_codex_commentary_goes_back_with_its_phase(server: WireServer) -> None:
    """gpt-5.3-codex labels a message `phase: commentary` (a preamble before its calls) or
    `final_answer`; OpenAI asks for the phase back on every assistant message (openai-python
    ResponseOutputMessage.phase: dropping it degrades the model)."""
    message = {
        "id": "msg_0",
        "type": "message",
        "role": "assistant",
        "phase": "commentary",
        "content": [{"type": "output_text", "text": "Let me look.", "annotations": []}],
    }
    call = {"id": "fc_1", "type": "function_call", "call_id": "call_a", "name": "read_file"}
    args = '{"path": "a"}'
    server.responses.push(
        typed_sse(
            typed(
                {"type": "response.output_item.added", "output_index": 0, "item": message},
                {"type": "response.output_item.done", "output_index": 0, "item": message},
                {"type": "response.output_item.added", "output_index": 1, "item": call},
                {
                    "type": "response.output_item.done",
                    "output_index": 1,
                    "item": {**call, "arguments": args},
                },
                completed(),
            )
        )
    )
    events = list(backend(server).chat(ask()))
    assert text(events) == "Let me look."
    end = done(events)
    sent = next_round(server, end, "Let me look.")
    assert sent[1] == {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "Let me look."}],
        "phase": "commentary",
    }
    assert [i.get("type", i.get("role")) for i in sent[2:]] == [
        "function_call",
        "function_call_output",
    ]
