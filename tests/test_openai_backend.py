"""The OpenAI backend over real loopback HTTP, in process: events, tool calls, pooling."""

from __future__ import annotations

import json

from goshi.config import HttpSettings, OpenAISettings
from goshi.llm import http
from goshi.llm.openai import OpenAIBackend
from goshi.llm.types import ChatRequest, Done, Message, TextDelta, ToolCallDelta, UsageReport
from tests.wire_server import WireServer, openai_stream


def backend(server: WireServer) -> OpenAIBackend:
    http.close()
    return OpenAIBackend(OpenAISettings(base_url=f"{server.url}/v1"), HttpSettings(), "sk-x")


def request(stream: bool = True) -> ChatRequest:
    return ChatRequest([Message("user", "hi")], "gpt-4o-mini", stream=stream)


CALLS = [
    ("call_a", "read_file", json.dumps({"path": "README.md", "end_line": 40})),
    ("call_b", "list_dir", json.dumps({"path": ".", "recursive": True})),
]


def test_parallel_tool_calls_are_assembled_by_index(server: WireServer) -> None:
    server.openai.push(openai_stream([], tool_calls=CALLS))
    events = list(backend(server).chat(request()))
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    assert len(deltas) > 4  # the arguments really arrived in pieces
    done = events[-1]
    assert isinstance(done, Done) and done.finish_reason == "tool_calls"
    assert [(c.id, c.name, json.loads(c.arguments)) for c in done.tool_calls] == [
        ("call_a", "read_file", {"path": "README.md", "end_line": 40}),
        ("call_b", "list_dir", {"path": ".", "recursive": True}),
    ]


def test_tool_calls_without_streaming(server: WireServer) -> None:
    server.openai.push(openai_stream([], tool_calls=CALLS))
    done = list(backend(server).chat(request(stream=False)))[-1]
    assert isinstance(done, Done)
    assert [c.name for c in done.tool_calls] == ["read_file", "list_dir"]


def test_event_order_text_usage_done(server: WireServer) -> None:
    server.openai.push(openai_stream(["a", "b"], usage=(5, 2, 3)))
    events = list(backend(server).chat(request()))
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["TextDelta", "TextDelta", "UsageReport", "Done"]
    assert events[0] == TextDelta("a")
    usage = events[2]
    assert isinstance(usage, UsageReport) and usage.usage.cached_tokens == 3


def test_one_connection_is_reused_across_requests(server: WireServer) -> None:
    b = backend(server)
    for _ in range(3):
        list(b.chat(request()))
    ports = {r.client_port for r in server.chat_requests()}
    assert len(server.chat_requests()) == 3 and len(ports) == 1


def test_tool_messages_are_sent_in_openai_shape(server: WireServer) -> None:
    from goshi.llm.types import ToolCall

    req = ChatRequest(
        [
            Message("user", "read it"),
            Message("assistant", "", [ToolCall("call_a", "read_file", '{"path":"x"}')]),
            Message("tool", "contents", tool_call_id="call_a"),
        ],
        "gpt-4o-mini",
    )
    list(backend(server).chat(req))
    sent = server.chat_requests()[0].body["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_a",
                "type": "function",
                "function": {"name": "read_file", "arguments": '{"path":"x"}'},
            }
        ],
    }
    assert sent[2] == {"role": "tool", "content": "contents", "tool_call_id": "call_a"}
