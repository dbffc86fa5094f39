"""The Responses API dialect over real loopback HTTP, in process: what goshi sends to
/v1/responses, and the events it makes of OpenAI's typed stream (and of one whole body)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from goshi.config import HttpSettings, OpenAISettings
from goshi.errors import GoshiError, RateLimited, RequestRejected, ServerError
from goshi.llm import http
from goshi.llm.openai import OpenAIBackend
from goshi.llm.params import InProcess
from goshi.llm.types import (
    ChatRequest,
    Done,
    Event,
    Message,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    UsageReport,
)
from tests.responses_server import ENCRYPTED, refuse_chat, responses_stream
from tests.wire_server import WireServer, openai_stream

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "read_file",
            "description": "Read a file",
            "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
        },
    }
]
CALLS = [
    ("call_a", "read_file", json.dumps({"path": "README.md"})),
    ("call_b", "list_dir", json.dumps({"path": "."})),
]


def said_item(text: str) -> dict[str, Any]:
    """An assistant's earlier text as llama.cpp requires it (and OpenAI takes it)."""
    return {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text}],
    }


def settings(server: WireServer, api: str = "responses", **kw: Any) -> OpenAISettings:
    return OpenAISettings(base_url=f"{server.url}/v1", api=api, **kw)


def backend(server: WireServer, api: str = "responses", memory: Any = None) -> OpenAIBackend:
    http.close()
    return OpenAIBackend(settings(server, api), HttpSettings(), "sk-x", memory or InProcess())


def ask(
    model: str = "gpt-5.3-codex",
    stream: bool = True,
    messages: list[Message] | None = None,
    cap: int | None = None,
) -> ChatRequest:
    return ChatRequest(messages or [Message("user", "hi")], model, stream, TOOLS, cap)


def text(events: list[Event]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta | RefusalDelta))


def done(events: list[Event]) -> Done:
    assert isinstance(events[-1], Done)
    return events[-1]


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
def test_text_usage_and_done(server: WireServer, stream: bool) -> None:
    server.responses.push(responses_stream(["Hel", "lo"], usage=(120, 30, 100, 12)))
    events = list(backend(server).chat(ask(stream=stream)))
    assert text(events) == "Hello"
    usage = [e.usage for e in events if isinstance(e, UsageReport)]
    assert [
        (u.prompt_tokens, u.completion_tokens, u.cached_tokens, u.reasoning_tokens) for u in usage
    ] == [(120, 30, 100, 12)]
    end = done(events)
    assert (end.finish_reason, end.model, end.service_tier) == ("stop", "gpt-5.3-codex", "default")
    sent = server.chat_requests()[0]
    assert sent.path == "/v1/responses"
    assert sent.body["stream"] is stream and sent.body["store"] is False


def test_the_request_in_the_responses_shape(server: WireServer) -> None:
    messages = [
        Message("system", "Be brief."),
        Message("user", "hi"),
        Message("assistant", "hello"),
        Message("user", "read it"),
    ]
    list(backend(server).chat(ask(messages=messages, cap=500)))
    body = server.chat_requests()[0].body
    assert body["instructions"] == "Be brief."
    assert body["input"] == [
        {"role": "user", "content": "hi"},
        said_item("hello"),
        {"role": "user", "content": "read it"},
    ]
    assert body["tools"] == [
        {
            "type": "function",
            "name": "read_file",
            "description": "Read a file",
            "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
            # omitted, Responses makes every optional argument required (OpenAI's function
            # calling guide: "explicitly set strict: false" to keep best-effort calling)
            "strict": False,
        }
    ]
    assert body["max_output_tokens"] == 500 and "max_tokens" not in body
    assert body["include"] == ["reasoning.encrypted_content"]  # a reasoning model, nothing stored
    assert body["reasoning"] == {"summary": "auto"}
    assert "messages" not in body and "stream_options" not in body


def test_a_model_that_does_not_reason_is_not_asked_for_reasoning(server: WireServer) -> None:
    list(backend(server).chat(ask(model="gpt-4.1")))
    body = server.chat_requests()[0].body
    assert "include" not in body and "reasoning" not in body


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
def test_parallel_calls_are_assembled_with_their_reasoning(
    server: WireServer, stream: bool
) -> None:
    server.responses.push(responses_stream([], tool_calls=CALLS, reasoning=["Look ", "first."]))
    events = list(backend(server).chat(ask(stream=stream)))
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == "Look first."
    assert text(events) == ""
    if stream:
        assert len([e for e in events if isinstance(e, ToolCallDelta)]) > 4
    end = done(events)
    assert end.finish_reason == "tool_calls"
    assert [(c.id, c.name, json.loads(c.arguments)) for c in end.tool_calls] == [
        ("call_a", "read_file", {"path": "README.md"}),
        ("call_b", "list_dir", {"path": "."}),
    ]
    carried = end.tool_calls[0].carried
    assert [i["type"] for i in carried] == ["reasoning"] and carried[0][
        "encrypted_content"
    ] == ENCRYPTED
    assert end.tool_calls[1].carried == ()


def test_reasoning_goes_back_right_before_the_call_that_followed_it(server: WireServer) -> None:
    reasoning = {"id": "rs_1", "type": "reasoning", "summary": [], "encrypted_content": "gAAA"}
    calls = [
        ToolCall("call_a", "read_file", '{"path": "a"}', ({**reasoning}, {"type": "message"})),
        ToolCall("call_b", "read_file", '{"path": "b"}'),
    ]
    messages = [
        Message("user", "read a and b"),
        Message("assistant", "Reading both.", calls),
        Message("tool", "A", tool_call_id="call_a"),
        Message("tool", "B", tool_call_id="call_b"),
    ]
    list(backend(server).chat(ask(messages=messages)))
    sent = server.chat_requests()[0].body["input"]
    assert sent == [
        {"role": "user", "content": "read a and b"},
        reasoning,
        said_item("Reading both."),
        {
            "type": "function_call",
            "call_id": "call_a",
            "name": "read_file",
            "arguments": '{"path": "a"}',
        },
        {
            "type": "function_call",
            "call_id": "call_b",
            "name": "read_file",
            "arguments": '{"path": "b"}',
        },
        {"type": "function_call_output", "call_id": "call_a", "output": "A"},
        {"type": "function_call_output", "call_id": "call_b", "output": "B"},
    ]


def test_a_refusal_is_the_answer_marked(server: WireServer) -> None:
    server.responses.push(responses_stream([], refusal=["I can't ", "help with that."]))
    events = list(backend(server).chat(ask()))
    assert [e.text for e in events if isinstance(e, RefusalDelta)] == [
        "I can't ",
        "help with that.",
    ]
    assert done(events).finish_reason == "stop"


@pytest.mark.parametrize(
    ("reason", "finish"), [("max_output_tokens", "length"), ("content_filter", "content_filter")]
)
def test_an_incomplete_response_says_why(server: WireServer, reason: str, finish: str) -> None:
    server.responses.push(
        responses_stream(["cut", " here"], status="incomplete", incomplete_reason=reason)
    )
    events = list(backend(server).chat(ask()))
    assert text(events) == "cut here" and done(events).finish_reason == finish


def test_a_failed_response_is_classed_by_its_code(server: WireServer) -> None:
    failure = {"code": "rate_limit_exceeded", "message": "Rate limit reached for gpt-5.3-codex"}
    server.responses.push(responses_stream(["partial"], failure=failure))
    got: list[Event] = []
    with pytest.raises(RateLimited) as caught:
        got.extend(backend(server).chat(ask()))
    assert "Rate limit reached" in str(caught.value)
    server.responses.push(
        responses_stream(["partial"], failure={"code": "server_error", "message": "boom"})
    )
    with pytest.raises(ServerError):
        list(backend(server).chat(ask()))


@pytest.mark.parametrize(
    "error",
    [
        {"code": "context_length_exceeded", "message": "Your input exceeds the context window"},
        {
            "error": {
                "type": "invalid_request_error",
                "code": "context_length_exceeded",
                "message": "Your input exceeds the context window",
                "param": "input",
            }
        },
    ],
    ids=["flat", "nested"],
)
def test_an_error_event_keeps_what_arrived(server: WireServer, error: dict[str, Any]) -> None:
    server.responses.push(responses_stream(["so far", " so good"], error_after=8, error=error))
    got: list[Event] = []
    with pytest.raises(RequestRejected) as caught:
        for event in backend(server).chat(ask()):
            got.append(event)
    assert text(got) == "so far so good"
    assert "exceeds the context window" in str(caught.value)


def test_llamacpp_completed_at_the_cap_is_a_cut_answer(server: WireServer) -> None:
    server.responses.push(responses_stream(["a", "b", "c"], usage=(9, 64, 0, 0)))
    events = list(backend(server).chat(ask(cap=64)))  # (a cap under 16 is sent as 16)
    assert done(events).finish_reason == "length"


def test_a_cut_stream_is_a_stream_cut(server: WireServer) -> None:
    server.responses.push(responses_stream(["a", "b", "c"], reset_after=6))
    with pytest.raises(GoshiError) as caught:
        list(backend(server).chat(ask()))
    assert caught.value.exit_code == 5


@pytest.mark.parametrize("shape", ["code", "names-responses", "not-accessible", "not-a-chat-model"])
def test_auto_moves_to_responses_when_chat_refuses_the_model(
    server: WireServer, shape: str
) -> None:
    memory = InProcess()
    server.openai.default = refuse_chat("gpt-5.3-codex", shape, openai_stream("chat answer"))
    events = list(backend(server, "auto", memory).chat(ask()))
    assert text(events) == "Hello from the test server."
    assert [r.path for r in server.chat_requests()] == ["/v1/chat/completions", "/v1/responses"]
    list(backend(server, "auto", memory).chat(ask()))  # remembered: straight there
    list(backend(server, "auto", memory).chat(ask(model="gpt-4o-mini")))  # others stay on chat
    assert [r.path for r in server.chat_requests()[2:]] == ["/v1/responses", "/v1/chat/completions"]


def test_forced_chat_does_not_move_and_says_why(server: WireServer) -> None:
    server.openai.default = refuse_chat("gpt-5.3-codex", "code", openai_stream("x"))
    with pytest.raises(RequestRejected) as caught:
        list(backend(server, "chat").chat(ask()))
    assert "openai.api is chat" in str(caught.value)
    assert len(server.chat_requests()) == 1


@pytest.mark.parametrize(
    ("said", "field"),
    [
        ("Encrypted content is not supported with this model.", "include"),
        (
            "Your organization must be verified to generate reasoning summaries. Please go to:"
            " https://platform.openai.com/settings/organization/general",
            "reasoning",
        ),
    ],
)
def test_an_optional_field_the_server_refuses_is_dropped_once(
    server: WireServer, said: str, field: str
) -> None:
    from tests.wire_server import openai_error

    server.responses.push(openai_error(400, said, code="unsupported_value"))
    memory = InProcess()
    list(backend(server, memory=memory).chat(ask()))
    list(backend(server, memory=memory).chat(ask()))
    sent = [field in r.body for r in server.chat_requests()]
    assert sent == [True, False, False]


def test_auto_moves_a_chat_only_model_back_to_chat(server: WireServer) -> None:
    from tests.responses_server import CHAT_ONLY, refusing

    memory = InProcess()
    memory.remember_param(backend(server).base_url, "api gpt-4o-search-preview", "responses")
    server.responses.default = refusing("gpt-4o-search", *CHAT_ONLY, responses_stream("r"))
    events = list(backend(server, "auto", memory).chat(ask(model="gpt-4o-search-preview")))
    assert text(events) == "Hello from the test server."
    assert [r.path for r in server.chat_requests()] == ["/v1/responses", "/v1/chat/completions"]
    assert memory.params_for(backend(server).base_url)["api gpt-4o-search-preview"] == "chat"


def test_openai_hosts_default_to_responses() -> None:
    from goshi.llm.api_choice import default_api

    for url in (
        "https://api.openai.com/v1",
        "https://eu.api.openai.com/v1",
        "https://res.openai.azure.com/openai/v1",
        "https://res.openai.azure.com/openai/v1/",
    ):
        assert default_api(url) == "responses", url
    for url in (
        "http://127.0.0.1:8080/v1",
        "https://res.openai.azure.com/openai/deployments/gpt4o?api-version=2024-10-21",
        "https://openrouter.ai/api/v1",
        "https://api.openai.com.evil.example/v1",
    ):
        assert default_api(url) == "chat", url


def test_an_azure_v1_base_keeps_its_query_on_responses() -> None:
    from goshi.llm.openai import endpoint

    base = "https://res.openai.azure.com/openai/v1/?api-version=preview"
    assert endpoint(base, "/responses") == (
        "https://res.openai.azure.com/openai/v1/responses?api-version=preview"
    )


def test_reasoning_effort_goes_in_each_dialects_own_field(server: WireServer) -> None:
    for api in ("responses", "chat"):
        http.close()
        s = settings(server, api, reasoning_effort="high")
        list(OpenAIBackend(s, HttpSettings(), "sk-x", InProcess()).chat(ask(model="o4-mini")))
    on_responses, on_chat = (r.body for r in server.chat_requests())
    assert on_responses["reasoning"] == {"summary": "auto", "effort": "high"}
    assert on_chat["reasoning_effort"] == "high" and "reasoning" not in on_chat


def next_round(server: WireServer, end: Done, said: str) -> list[dict[str, Any]]:
    """The input items of the round after `end` (its one call, to call_a, answered "A")."""
    messages = [
        Message("user", "hi"),
        Message("assistant", said, list(end.tool_calls)),
        Message("tool", "A", tool_call_id="call_a"),
    ]
    list(backend(server).chat(ask(messages=messages)))
    items: list[dict[str, Any]] = server.chat_requests()[-1].body["input"]
    return items


def test_text_between_reasoning_and_calls_keeps_its_place(server: WireServer) -> None:
    server.responses.push(
        responses_stream(["Let me look."], tool_calls=CALLS[:1], reasoning=["Plan."])
    )
    end = done(list(backend(server).chat(ask())))
    first = end.tool_calls[0]
    assert [i["type"] for i in first.carried] == ["reasoning", "message"]
    sent = next_round(server, end, "Let me look.")
    assert [i.get("type", i.get("role")) for i in sent] == [
        "user",
        "reasoning",
        "message",
        "function_call",
        "function_call_output",
    ]


def test_what_no_delta_brought_comes_from_the_done_events(server: WireServer) -> None:
    """A server that sends only part of a text (or none of a call's arguments) as deltas and the
    whole in the .done events: goshi passes on the rest, once."""
    from tests.responses_server import typed_sse

    call = {"id": "fc_1", "type": "function_call", "call_id": "call_z", "name": "read_file"}
    events: list[tuple[str, dict[str, Any]]] = [
        ("response.output_item.added", {"output_index": 0, "item": {"id": "m", "type": "message"}}),
        ("response.output_text.delta", {"output_index": 0, "item_id": "m", "delta": "Hel"}),
        ("response.output_text.done", {"output_index": 0, "item_id": "m", "text": "Hello"}),
        ("response.output_item.added", {"output_index": 1, "item": {**call, "arguments": ""}}),
        (
            "response.function_call_arguments.done",
            {"output_index": 1, "item_id": "fc_1", "arguments": '{"path": "a"}'},
        ),
        ("response.completed", {"response": {"status": "completed", "model": "m1"}}),
    ]
    server.responses.push(typed_sse([(k, {"type": k, **v}) for k, v in events]))
    got = list(backend(server).chat(ask()))
    assert text(got) == "Hello"
    assert [(c.id, c.arguments) for c in done(got).tool_calls] == [("call_z", '{"path": "a"}')]


def test_summary_parts_are_paragraphs_of_the_reasoning(server: WireServer) -> None:
    from tests.responses_server import typed_sse

    kind = "response.reasoning_summary_text.delta"
    parts = [(0, "**Plan**"), (0, " read it."), (1, "**Check**"), (1, " then test.")]
    events = [
        (kind, {"type": kind, "item_id": "rs_1", "output_index": 0, "summary_index": n, "delta": d})
        for n, d in parts
    ]
    done_event = {"type": "response.completed", "response": {"status": "completed"}}
    server.responses.push(typed_sse([*events, ("response.completed", done_event)]))
    got = list(backend(server).chat(ask()))
    reasoning = "".join(e.text for e in got if isinstance(e, ReasoningDelta))
    assert reasoning == "**Plan** read it.\n\n**Check** then test."
