"""The backends against each server's dialect over real loopback HTTP, in process: reasoning,
refusals, content parts, hostile values, error bodies of every shape, adapted parameters."""

from __future__ import annotations

import json
from typing import Any

import pytest

from goshi.config import HttpSettings, OllamaSettings, OpenAISettings
from goshi.errors import (
    AuthError,
    BackendError,
    RequestRejected,
    ServerError,
    ToolsUnsupported,
)
from goshi.llm import http
from goshi.llm.ollama import OllamaBackend
from goshi.llm.openai import OpenAIBackend, default_cap_field
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
    UsageReport,
)
from tests.wire_server import (
    WireServer,
    compact,
    ollama_error,
    ollama_stream,
    openai_events,
    openai_stream,
    replay,
    sse_stream,
)


def openai(server: WireServer, memory: InProcess | None = None, **kw: Any) -> OpenAIBackend:
    http.close()
    settings = OpenAISettings(base_url=f"{server.url}/v1", **kw)
    return OpenAIBackend(settings, HttpSettings(read_timeout_s=5), "sk-x", memory or InProcess())


def ollama(server: WireServer, **kw: Any) -> OllamaBackend:
    http.close()
    return OllamaBackend(OllamaSettings(host=server.url, **kw), HttpSettings(read_timeout_s=5))


def ask(stream: bool = True, cap: int | None = None) -> ChatRequest:
    return ChatRequest([Message("user", "hi")], "asked-model", stream=stream, max_tokens=cap)


def text_of(events: list[Event], kind: type = TextDelta) -> str:
    return "".join(e.text for e in events if isinstance(e, kind))  # type: ignore[attr-defined]


# --- reasoning, refusals, parts ----------------------------------------------------------------


@pytest.mark.parametrize("key", ["reasoning_content", "reasoning"])
def test_reasoning_is_its_own_event_never_the_answer(server: WireServer, key: str) -> None:
    server.openai.push(openai_stream(["4"], reasoning=["2+2", " is 4"], reasoning_key=key))
    events = list(openai(server).chat(ask()))
    assert text_of(events) == "4"
    assert text_of(events, ReasoningDelta) == "2+2 is 4"


def test_a_refusal_arrives_as_a_refusal(server: WireServer) -> None:
    server.openai.push(openai_stream([], refusal=["I can't ", "help with that."]))
    events = list(openai(server).chat(ask()))
    assert text_of(events) == "" and text_of(events, RefusalDelta) == "I can't help with that."


def test_refusal_without_streaming(server: WireServer) -> None:
    body = {
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": None, "refusal": "No."},
                "finish_reason": "stop",
            }
        ],
    }
    server.openai.push(replay(200, "application/json", compact(body), chunked=False))
    events = list(openai(server).chat(ask(stream=False)))
    assert text_of(events, RefusalDelta) == "No."


def test_content_as_a_list_of_parts_streamed(server: WireServer) -> None:
    parts = [
        {"type": "thinking", "thinking": [{"type": "text", "text": "hmm"}]},
        {"type": "text", "text": "Paris"},
    ]
    payloads = [
        compact({"choices": [{"index": 0, "delta": {"content": parts}}]}),
        compact({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
    ]
    server.openai.push(sse_stream(payloads))
    events = list(openai(server).chat(ask()))
    assert text_of(events) == "Paris" and text_of(events, ReasoningDelta) == "hmm"


# --- hostile values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "usage",
    [
        {"prompt_tokens": -5, "completion_tokens": 3},
        {"prompt_tokens": 10**30, "completion_tokens": 3},
        {"prompt_tokens": "10", "completion_tokens": 3},
        {"prompt_tokens": True, "completion_tokens": 3},
        {"prompt_tokens": 3, "completion_tokens": None},
    ],
)
def test_insane_usage_is_dropped_so_the_answer_is_estimated(server: WireServer, usage: Any) -> None:
    server.openai.push(openai_stream(["ok"], raw_usage=usage))
    events = list(openai(server).chat(ask()))
    assert not [e for e in events if isinstance(e, UsageReport)]
    assert text_of(events) == "ok"


def test_a_float_like_1e999_is_not_a_token_count(server: WireServer) -> None:
    hostile = b'{"choices":[],"usage":{"prompt_tokens":1e999,"completion_tokens":2}}'
    payloads = [*openai_events(["ok"])[:-1], hostile]
    server.openai.push(sse_stream(payloads))
    events = list(openai(server).chat(ask()))
    assert not [e for e in events if isinstance(e, UsageReport)]


def test_model_name_and_surrogates_from_a_hostile_server(server: WireServer) -> None:
    payloads = [
        b'{"model":["x"],"choices":[{"index":0,"delta":{"content":"a \\ud83d"}}]}',
        b'{"model":"m\\u001b[2J","choices":[{"index":0,"delta":{"content":"\\ude00 b \\udfff"}}]}',
        b'{"choices":[{"index":"0","delta":{"tool_calls":[{"index":1e9,"id":7,"function":'
        b'{"name":"read_file","arguments":"{\\"path\\":\\"\\ud800\\"}"}}]},"finish_reason":"stop"}]}',
    ]
    server.openai.push(sse_stream(payloads))
    events = list(openai(server).chat(ask()))
    assert text_of(events) == "a \U0001f600 b \ufffd"
    done = events[-1]
    assert isinstance(done, Done) and done.model == "asked-model"
    # a choice whose index is not 0 is another choice: its tool call is not ours
    assert done.tool_calls == ()


def test_hostile_tool_pieces_still_make_calls(server: WireServer) -> None:
    pieces = [
        {"index": -1, "id": "c1", "function": {"name": "read_file", "arguments": '{"path":'}},
        {"index": "zero", "id": "c1", "function": {"arguments": '"\\ud83d\\ude00"}'}},
        {"index": 0, "id": "c2", "function": {"name": "list_dir", "arguments": {"path": "."}}},
    ]
    payloads = [compact({"choices": [{"index": 0, "delta": {"tool_calls": [p]}}]}) for p in pieces]
    payloads.append(
        compact({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    )
    server.openai.push(sse_stream(payloads))
    done = list(openai(server).chat(ask()))[-1]
    assert isinstance(done, Done)
    assert [(c.id, c.name, json.loads(c.arguments)) for c in done.tool_calls] == [
        ("c1", "read_file", {"path": "\U0001f600"}),
        ("c2", "list_dir", {"path": "."}),
    ]


# --- errors of any shape ---------------------------------------------------------------------


def test_llama_cpp_error_line_mid_stream_says_its_text(server: WireServer) -> None:
    body = (
        b'data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n'
        b'error: {"code":500,"message":"llama_decode failed: KV cache full",'
        b'"type":"server_error"}\n\n'
    )
    server.openai.push(replay(200, "text/event-stream", body))
    with pytest.raises(ServerError) as caught:
        list(openai(server).chat(ask()))
    assert "KV cache full" in caught.value.message
    assert "HTTP 500" not in caught.value.message and "mid-answer" in caught.value.message


def test_a_200_whose_body_is_an_error_is_not_a_success(server: WireServer) -> None:
    body = compact({"error": {"message": "upstream model overloaded", "code": 503}})
    server.openai.push(replay(200, "application/json", body, chunked=False))
    with pytest.raises(ServerError, match="upstream model overloaded"):
        list(openai(server).chat(ask(stream=False)))


@pytest.mark.parametrize(
    "body",
    [
        b'{"object":"error","message":"\\"auto\\" tool choice requires --enable-auto-tool-choice'
        b' and --tool-call-parser to be set","type":"BadRequestError","code":400}',
        b'{"detail":"This model does not support tools"}',
        b"tools are not supported by this model",
    ],
)
def test_retry_without_tools_fires_for_every_shape(server: WireServer, body: bytes) -> None:
    server.openai.push(replay(400, "application/json", body, chunked=False))
    with pytest.raises(ToolsUnsupported):
        list(openai(server).chat(ask()))


def test_an_html_error_page_is_read_as_text(server: WireServer) -> None:
    page = (
        b"<!DOCTYPE html><html><head><title>Bad Gateway</title></head><body><p>The proxy"
        b" could not reach upstream.</p></body></html>"
    )
    server.openai.default = replay(502, "text/html", page, chunked=False)
    with pytest.raises(ServerError) as caught:
        list(openai(server).chat(ask()))
    assert "HTTP 502: Bad Gateway The proxy could not reach upstream." in caught.value.message
    assert "<" not in caught.value.message


def test_context_exceeded_says_so_for_llama_cpp(server: WireServer) -> None:
    body = compact(
        {
            "error": {
                "code": 400,
                "message": "the request exceeds the available context size (4096 tokens)",
                "type": "exceed_context_size_error",
            }
        }
    )
    server.openai.push(replay(400, "application/json", body, chunked=False))
    with pytest.raises(RequestRejected) as caught:
        list(openai(server).chat(ask()))
    assert "too long" in caught.value.hint


# --- parameters servers disagree on ----------------------------------------------------------


def test_max_completion_tokens_goes_to_openai_and_azure_hosts() -> None:
    for url in (
        "https://api.openai.com/v1",
        "https://eu.api.openai.com/v1",
        "https://res.openai.azure.com/openai/v1",
        "https://x.cognitiveservices.azure.com/o",
    ):
        assert default_cap_field(url) == "max_completion_tokens", url
    for url in (
        "http://127.0.0.1:8080/v1",
        "https://api.deepseek.com",
        "https://api.openai.com.evil/v1",
    ):
        assert default_cap_field(url) == "max_tokens", url


def test_a_rejected_cap_field_is_switched_once_and_remembered(server: WireServer) -> None:
    said = compact(
        {
            "error": {
                "message": "Unsupported parameter: 'max_tokens' is not supported"
                " with this model. Use 'max_completion_tokens' instead.",
                "type": "invalid_request_error",
                "param": "max_tokens",
                "code": "unsupported_parameter",
            }
        }
    )
    server.openai.push(replay(400, "application/json", said, chunked=False))
    memory = InProcess()
    assert text_of(list(openai(server, memory).chat(ask(cap=50)))) == "Hello from the test server."
    list(openai(server, memory).chat(ask(cap=50)))  # a later run starts with the right form
    sent = [r.body for r in server.chat_requests()]
    assert [("max_tokens" in b, b.get("max_completion_tokens")) for b in sent] == [
        (True, None),
        (False, 50),
        (False, 50),
    ]


def test_stream_options_dropped_on_a_422_naming_it(server: WireServer) -> None:
    said = compact(
        {
            "detail": [
                {
                    "type": "extra_forbidden",
                    "loc": ["body", "stream_options"],
                    "msg": "Extra inputs are not permitted",
                }
            ]
        }
    )
    server.openai.push(replay(422, "application/json", said, chunked=False))
    events = list(openai(server).chat(ask()))
    assert text_of(events) == "Hello from the test server."
    assert ["stream_options" in r.body for r in server.chat_requests()] == [True, False]


def test_a_forced_cap_field_is_never_switched(server: WireServer) -> None:
    said = compact({"error": {"message": "max_tokens is not supported", "param": "max_tokens"}})
    server.openai.push(replay(400, "application/json", said, chunked=False))
    with pytest.raises(RequestRejected):
        list(openai(server, max_tokens_field="max_tokens").chat(ask(cap=9)))
    assert len(server.chat_requests()) == 1


def test_stream_options_can_be_turned_off(server: WireServer) -> None:
    list(openai(server, stream_options=False).chat(ask()))
    assert "stream_options" not in server.chat_requests()[0].body


# --- Ollama ----------------------------------------------------------------------------------


def test_ollama_thinking_length_and_think_setting(server: WireServer) -> None:
    server.ollama.push(
        ollama_stream(["An", " answer"], thinking=["Let me", " see"], done_reason="length")
    )
    events = list(ollama(server, think="high").chat(ask()))
    assert text_of(events) == "An answer" and text_of(events, ReasoningDelta) == "Let me see"
    done = events[-1]
    assert isinstance(done, Done) and done.finish_reason == "length"
    assert server.chat_requests()[0].body["think"] == "high"


@pytest.mark.parametrize("status", [401, 403])
def test_ollama_auth_is_exit_4_with_the_signin_hint_never_retried(
    server: WireServer, status: int
) -> None:
    server.ollama.default = ollama_error(status, "unauthorized")
    with pytest.raises(AuthError) as caught:
        list(ollama(server).chat(ask()))
    assert caught.value.exit_code == 4 and "ollama signin" in caught.value.hint


def test_ollama_insane_counts_are_missing_usage(server: WireServer) -> None:
    server.ollama.push(ollama_stream("hi", raw_counts=(-1, 1e300)))
    events = list(ollama(server).chat(ask()))
    assert not [e for e in events if isinstance(e, UsageReport)]


def test_ollama_gets_tool_name_and_thinking_back(server: WireServer) -> None:
    req = ChatRequest(
        [
            Message("user", "read it"),
            Message(
                "assistant",
                "",
                [ToolCall("c", "read_file", '{"path":"x"}')],
                reasoning="I should read x",
            ),
            Message("tool", "contents", tool_call_id="c", tool_name="read_file"),
        ],
        "llama3.2",
    )
    list(ollama(server).chat(req))
    sent = server.chat_requests()[0].body["messages"]
    assert sent[1]["thinking"] == "I should read x"
    assert sent[2] == {"role": "tool", "content": "contents", "tool_name": "read_file"}


def test_ollama_error_line_mid_stream(server: WireServer) -> None:
    server.ollama.push(ollama_stream("one two three", error_after=2, error="out of memory"))
    with pytest.raises(BackendError, match="failed mid-answer: out of memory"):
        list(ollama(server).chat(ask()))


def test_a_cap_above_the_models_output_limit_is_lowered_and_remembered(server: WireServer) -> None:
    said = compact(
        {
            "error": {
                "message": "max_tokens is too large: 32768. This model supports at"
                " most 16384 completion tokens, whereas you provided 32768.",
                "type": "invalid_request_error",
                "param": "max_tokens",
            }
        }
    )
    server.openai.push(replay(400, "application/json", said, chunked=False))
    memory = InProcess()
    list(openai(server, memory).chat(ask(cap=32768)))
    list(openai(server, memory).chat(ask(cap=32768)))
    assert [r.body["max_tokens"] for r in server.chat_requests()] == [32768, 16384, 16384]


def test_a_huge_error_body_is_read_only_to_its_bound(server: WireServer) -> None:
    page = b"<html><body>" + b"overloaded " * 2_000_000 + b"</body></html>"  # 22 MB
    server.openai.push(replay(503, "text/html", page))
    with pytest.raises(ServerError) as caught:
        list(openai(server).chat(ask()))
    assert len(caught.value.message) < 400 and "overloaded overloaded" in caught.value.message


def test_think_is_dropped_for_a_model_that_does_not_think(server: WireServer) -> None:
    server.ollama.push(ollama_error(400, '"llama3.2" does not support thinking'))
    events = list(ollama(server, think=True).chat(ask()))
    assert text_of(events) == "Hello from Ollama."
    assert ["think" in r.body for r in server.chat_requests()] == [True, False]


def test_an_azure_style_url_keeps_its_query_and_sends_api_key(server: WireServer) -> None:
    from goshi.llm.openai import endpoint, is_azure

    azure = "https://res.openai.azure.com/openai/deployments/gpt4o?api-version=2024-10-21"
    assert endpoint(azure) == (
        "https://res.openai.azure.com/openai/deployments/gpt4o/chat/completions"
        "?api-version=2024-10-21"
    )
    assert is_azure(azure) and not is_azure(f"{server.url}/v1")
    list(openai(server).chat(ask()))
    http.close()
    settings = OpenAISettings(base_url=f"{server.url}/v1/?api-version=2024-10-21")
    list(OpenAIBackend(settings, HttpSettings(), "sk-x", InProcess()).chat(ask()))
    assert server.chat_requests()[1].path == "/v1/chat/completions?api-version=2024-10-21"
    assert "api-key" not in server.chat_requests()[1].headers  # only Azure hosts get it


def test_two_same_name_calls_without_index_or_id_stay_two() -> None:
    from goshi.llm.types import ToolCallAssembler, ToolCallDelta

    calls = ToolCallAssembler()
    for args in ('{"path": "a.py"}', '{"path": "b.py"}'):
        calls.add(ToolCallDelta(None, None, "read_file", ""))
        calls.add(ToolCallDelta(None, None, None, args))
    made = calls.calls()
    assert [c.arguments for c in made] == ['{"path": "a.py"}', '{"path": "b.py"}']
    assert len({c.id for c in made}) == 2
