"""The Responses API as a user meets it: `goshi ask` against a server that serves /v1/responses
byte for byte like OpenAI. Endpoint choice and switching, tool rounds with the reasoning carried,
refusals, reasoning apart from the answer, how an answer ends, -c, --no-stream, failover, the
ledger and the exact cost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from goshi.store.engine import sqlite3
from tests.responses_server import CHAT_ONLY, ENCRYPTED, refuse_chat, refusing, responses_stream
from tests.wire_server import WireServer, openai_error, openai_models, openai_stream

RESPONSES = {"GOSHI_OPENAI_API": "responses"}
CALLS = [
    ("call_R1", "read_file", json.dumps({"path": "README.md"})),
    ("call_R2", "list_dir", json.dumps({"path": "."})),
]


def paths(server: WireServer) -> list[str]:
    return [r.path for r in server.chat_requests()]


def test_a_codex_model_refused_on_chat_answers_via_responses_and_is_remembered(
    goshi: Any, server: WireServer
) -> None:
    server.openai.default = refuse_chat("gpt-5.3-codex", "not-a-chat-model", openai_stream("chat"))
    first = goshi("ask", "-v", "-m", "gpt-5.3-codex", "hi")
    assert first.code == 0, first.stderr
    assert first.stdout == "Hello from the test server.\n"
    assert "gpt-5.3-codex answers on /responses here" in first.stderr  # said once, with -v
    assert paths(server) == ["/v1/chat/completions", "/v1/responses"]
    second = goshi("ask", "-v", "-m", "gpt-5.3-codex", "again")  # a new process: the store knows
    assert second.code == 0 and "answers on /responses" not in second.stderr
    other = goshi("ask", "hi")  # the default model stays on chat completions
    assert other.stdout == "chat\n"
    assert paths(server)[2:] == ["/v1/responses", "/v1/chat/completions"]
    server.models.push(openai_models(["gpt-4o-mini", "gpt-5.3-codex"]))
    listed = {
        m["id"]: m["endpoint"] for m in json.loads(goshi("models", "--json").stdout)[0]["models"]
    }
    assert listed == {"gpt-4o-mini": "chat", "gpt-5.3-codex": "responses"}


def test_without_v_the_switch_is_silent(goshi: Any, server: WireServer) -> None:
    server.openai.default = refuse_chat("gpt-5.5-pro", "not-accessible", openai_stream("chat"))
    r = goshi("ask", "-m", "gpt-5.5-pro", "hi")
    assert (r.code, r.stdout, r.stderr) == (0, "Hello from the test server.\n", "")


def test_forced_responses_does_not_move_a_chat_only_model(goshi: Any, server: WireServer) -> None:
    server.responses.default = refusing("gpt-4o-search", *CHAT_ONLY, responses_stream("resp"))
    r = goshi("ask", "-m", "gpt-4o-search-preview", "hi", **RESPONSES)
    assert r.code == 7 and "openai.api is responses" in r.stderr  # forced: no switch
    assert paths(server) == ["/v1/responses"]


def test_openai_api_responses_sends_every_model_there(goshi: Any, server: WireServer) -> None:
    for model in ("gpt-4o-mini", "gpt-4.1", "my-local-model"):
        r = goshi("ask", "-m", model, "hi", **RESPONSES)
        assert (r.code, r.stdout) == (0, "Hello from the test server.\n"), r.stderr
    assert paths(server) == ["/v1/responses"] * 3
    body = server.chat_requests()[0].body
    assert body["store"] is False and body["input"][-1] == {"role": "user", "content": "hi"}


def test_a_tool_round_carries_the_reasoning_to_the_next_request(
    goshi: Any, server: WireServer, home: Path
) -> None:
    (home / "work" / "README.md").write_text("# the readme\n")
    server.responses.push(
        responses_stream([], tool_calls=CALLS, reasoning=["Read the ", "readme first."]),
        responses_stream("It is a readme."),
    )
    r = goshi("ask", "--json", "-m", "gpt-5.3-codex", "what is here?", **RESPONSES)
    assert r.code == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["text"] == "It is a readme."
    assert got["reasoning"] == "Read the readme first."
    first, second = (q.body for q in server.chat_requests())
    assert first["include"] == ["reasoning.encrypted_content"] and first["store"] is False
    items = second["input"]
    kinds = [i.get("type", i.get("role")) for i in items]
    assert kinds == [
        "user",
        "reasoning",
        "function_call",
        "function_call",
        "function_call_output",
        "function_call_output",
    ]
    reasoning = items[1]
    assert reasoning["encrypted_content"] == ENCRYPTED and reasoning["id"] == "rs_0abc"
    assert [(i["call_id"], i["name"]) for i in items[2:4]] == [
        ("call_R1", "read_file"),
        ("call_R2", "list_dir"),
    ]
    outputs = {i["call_id"]: i["output"] for i in items[4:]}
    assert "# the readme" in outputs["call_R1"] and "README.md" in outputs["call_R2"]


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
def test_every_reasoning_item_goes_back_in_its_place_among_the_calls(
    goshi: Any, server: WireServer, home: Path, stream: bool
) -> None:
    """Reasoning before, between and after the calls: round 2 sends each item back unchanged,
    in the order the model produced them, then the calls' outputs."""
    (home / "work" / "README.md").write_text("# the readme\n")
    server.responses.push(
        responses_stream([], tool_calls=CALLS, reasoning=["Plan."], layout="RCRCR"),
        responses_stream("Done."),
    )
    flags = [] if stream else ["--no-stream"]
    r = goshi("ask", *flags, "-m", "gpt-5.3-codex", "what is here?", **RESPONSES)
    assert (r.code, r.stdout) == (0, "Done.\n"), r.stderr
    sent = server.chat_requests()[1].body["input"]

    def thought(n: int, text: str, secret: str) -> dict[str, Any]:
        summary = [{"type": "summary_text", "text": text}]
        return {
            "id": f"rs_{n}abc",
            "type": "reasoning",
            "summary": summary,
            "encrypted_content": secret,
        }

    def call(n: int) -> dict[str, Any]:
        call_id, name, arguments = CALLS[n]
        return {"type": "function_call", "call_id": call_id, "name": name, "arguments": arguments}

    assert sent[:6] == [
        {"role": "user", "content": "what is here?"},
        thought(0, "Plan.", ENCRYPTED),
        call(0),
        thought(2, "Step 1.", f"{ENCRYPTED}-1"),
        call(1),
        thought(4, "Step 2.", f"{ENCRYPTED}-2"),
    ]
    assert [(i["type"], i["call_id"]) for i in sent[6:]] == [
        ("function_call_output", "call_R1"),
        ("function_call_output", "call_R2"),
    ]


def test_a_refusal_and_reasoning_apart_from_the_answer(goshi: Any, server: WireServer) -> None:
    server.responses.push(responses_stream([], refusal=["I can't ", "do that."]))
    r = goshi("ask", "--json", "hi", **RESPONSES)
    got = json.loads(r.stdout)
    assert (got["text"], got["refusal"], got["finish_reason"]) == ("I can't do that.", True, "stop")
    server.responses.push(responses_stream(["The answer."], reasoning=["Secret ", "thoughts."]))
    piped = goshi("ask", "-m", "gpt-5.3-codex", "hi", **RESPONSES)
    assert piped.stdout == "The answer.\n" and "thoughts" not in piped.stdout + piped.stderr


def test_an_error_event_keeps_the_partial_answer_marked(
    goshi: Any, server: WireServer, home: Path
) -> None:
    server.responses.push(responses_stream(["so far", " so good", " not this"], error_after=6))
    r = goshi("ask", "hi", **RESPONSES)
    assert r.code == 5
    assert r.stdout == "so far so good\n"
    assert "The server had an error" in r.stderr and "after 14 characters" in r.stderr
    assert "kept in conversation 1" in r.stderr and "Traceback" not in r.stderr
    db = sqlite3.connect(home / "data" / "goshi" / "goshi.db")
    assert db.execute("SELECT content, status FROM messages WHERE role='assistant'").fetchall() == [
        ("so far so good", "interrupted")
    ]
    assert len(server.chat_requests()) == 1  # text arrived: not asked again


def test_continue_sends_the_conversation_itself(goshi: Any, server: WireServer) -> None:
    server.responses.push(responses_stream("First answer."), responses_stream("Second answer."))
    goshi("ask", "-s", "Be brief.", "first question", **RESPONSES)
    r = goshi("ask", "-c", "second question", **RESPONSES)
    assert r.stdout == "Second answer.\n"
    body = server.chat_requests()[1].body
    assert body["instructions"].startswith("Be brief.")
    assert body["input"] == [
        {"role": "user", "content": "first question"},
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "First answer."}],
        },
        {"role": "user", "content": "second question"},
    ]
    assert "previous_response_id" not in body and body["store"] is False


def test_no_stream_asks_for_one_json_body(goshi: Any, server: WireServer) -> None:
    server.responses.push(responses_stream(["Whole", " answer."], usage=(20, 2, 0, 0)))
    r = goshi("ask", "--no-stream", "--json", "hi", **RESPONSES)
    got = json.loads(r.stdout)
    assert (got["text"], got["usage"]["completion_tokens"]) == ("Whole answer.", 2)
    assert server.chat_requests()[0].body["stream"] is False


def test_openai_failing_on_responses_fails_over_to_ollama(
    goshi: Any, server: WireServer, home: Path
) -> None:
    (home / "auto.yaml").write_text(
        "backend: auto\nretry: {attempts: 3, base_delay_s: 0.01, max_delay_s: 1}\n"
        "openai: {api: responses}\n"
    )
    server.responses.push(
        openai_error(503, "The engine is currently overloaded", type_="server_error")
    )
    r = goshi("ask", "hi", GOSHI_CONFIG=str(home / "auto.yaml"))
    assert (r.code, r.stdout) == (0, "Hello from Ollama.\n"), r.stderr
    assert "overloaded" in r.stderr and "using ollama" in r.stderr
    assert paths(server) == ["/v1/responses", "/api/chat"]


def test_the_exact_cost_of_cached_and_reasoning_tokens_goes_to_the_ledger(
    goshi: Any, server: WireServer
) -> None:
    # gpt-5.3-codex: $1.75 input, $0.175 cached input, $14.00 output per 1M tokens (the table);
    # reasoning tokens are output tokens: 176 x 1.75 + 1024 x 0.175 + 340 x 14 = 5247.2 per 1M
    server.responses.push(
        responses_stream(["Done."], model="gpt-5.3-codex", usage=(1200, 340, 1024, 256))
    )
    r = goshi("ask", "--json", "-m", "gpt-5.3-codex", "hi", **RESPONSES)
    got = json.loads(r.stdout)
    assert got["cost_usd"] == pytest.approx(0.0052472, abs=1e-12)
    assert got["cost_estimated"] is False
    assert got["usage"] == {"prompt_tokens": 1200, "completion_tokens": 340}
    spent = json.loads(goshi("cost", "--json").stdout)
    assert spent["total_usd"] == pytest.approx(0.0052472, abs=1e-12)
    assert spent["answers"] == 1


def test_cache_writes_in_the_responses_usage_cost_their_price(
    goshi: Any, server: WireServer, home: Path
) -> None:
    """A proxy's Responses usage naming cache writes (`input_tokens_details`): at the price
    cost.prices gives them, else at the input price."""
    (home / "w.yaml").write_text(
        "backend: openai\ncost: {prices: {house: {input_per_mtok: 2, cached_input_per_mtok: 0.2,"
        " cache_write_per_mtok: 2.5, output_per_mtok: 8}}}\n"
    )
    details = {"cached_tokens": 1_000, "cache_write_tokens": 4_000}
    usage = {"input_tokens": 6_000, "input_tokens_details": details, "output_tokens": 100}
    server.responses.push(responses_stream(["Done."], model="house", raw_usage=usage))
    r = goshi("ask", "--json", "-m", "house", "hi", GOSHI_CONFIG=str(home / "w.yaml"), **RESPONSES)
    # 1,000 x $2 + 1,000 x $0.20 + 4,000 x $2.50 + 100 x $8 per 1M tokens
    assert json.loads(r.stdout)["cost_usd"] == 0.013
    db = sqlite3.connect(home / "data" / "goshi" / "goshi.db")
    assert db.execute("SELECT cost_pico FROM ledger").fetchall() == [(13_000_000_000,)]


def test_a_priority_tier_answer_is_charged_at_its_tier(goshi: Any, server: WireServer) -> None:
    # the service tier the response names sets the price: priority is 2x the standard rates
    server.responses.push(
        responses_stream(["ok"], usage=(1000, 100, 0, 0), service_tier="priority")
    )
    r = goshi("ask", "--json", "-m", "gpt-5.3-codex", "hi", **RESPONSES)
    assert json.loads(r.stdout)["cost_usd"] == pytest.approx(0.0063, abs=1e-12)  # 2 x 3150/1M


def test_a_failed_response_over_an_image_is_not_asked_again(
    goshi: Any, server: WireServer, home: Path
) -> None:
    # openai-python ResponseError codes: image_too_large and its kin are the request's fault;
    # they were classed as server errors, retried and told to "try again later"
    (home / "work" / "big.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    failure = {"code": "image_too_large", "message": "The image is too large."}
    server.responses.push(responses_stream([], failure=failure))
    r = goshi("ask", "-f", "big.png", "what is this?", **RESPONSES)
    assert r.code == 7, r.stderr
    assert "The image is too large." in r.stderr and "try again" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert len(server.chat_requests()) == 1


def test_a_cap_under_sixteen_is_sent_as_sixteen(goshi: Any, server: WireServer) -> None:
    # OpenAI: "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16"
    r = goshi("ask", "-o", "max_tokens", "8", "one word?", **RESPONSES)
    assert (r.code, r.stdout) == (0, "Hello from the test server.\n"), r.stderr
    assert server.chat_requests()[0].body["max_output_tokens"] == 16
