"""`backend: auto`: OpenAI first, Ollama when OpenAI fails or its circuit is open, across
processes; and `goshi status` showing it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.wire_server import (
    WireServer,
    ollama_error,
    ollama_stream,
    openai_error,
    openai_stream,
    refused_port,
    stall,
)

# Long enough that the three goshi runs between opening and checking the circuit (a second
# each on a loaded 2-core machine) cannot outrun it.
COOLDOWN_S = 5


@pytest.fixture
def auto(home: Path) -> dict[str, str]:
    cfg = home / "auto.yaml"
    cfg.write_text(
        "backend: auto\nretry: {attempts: 3, base_delay_s: 0.01, max_delay_s: 1}\n"
        f"breaker: {{failure_threshold: 3, cooldown_s: {COOLDOWN_S}}}\n"
        "http: {connect_timeout_s: 2, read_timeout_s: 0.5}\n"
    )
    return {"GOSHI_CONFIG": str(cfg)}


def openai_hits(server: WireServer) -> int:
    return sum(r.path == "/v1/chat/completions" for r in server.chat_requests())


def ollama_hits(server: WireServer) -> int:
    return sum(r.path == "/api/chat" for r in server.chat_requests())


def ask_json(goshi, auto: dict[str, str], **extra: str) -> tuple[Result, dict]:
    r = goshi("ask", "--json", "hi", **auto, **extra)
    return r, (json.loads(r.stdout) if r.stdout else {})


def test_healthy_openai_answers(goshi, server: WireServer, auto) -> None:
    r, result = ask_json(goshi, auto)
    assert (result["backend"], result["fallback"]) == ("openai", False)
    assert r.stderr == "" and ollama_hits(server) == 0


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        (openai_error(503, "overloaded"), "openai: HTTP 503: overloaded; using ollama (llama3.2)"),
        (stall(5), "openai: 127.0.0.1"),
        (openai_error(429, "quota", code="insufficient_quota"), "quota exhausted"),
    ],
    ids=["5xx", "stall", "quota"],
)
def test_a_failing_openai_fails_over_at_once(goshi, server, auto, fault, said) -> None:
    server.openai.push(fault)
    server.ollama.push(ollama_stream("from ollama"))
    r, result = ask_json(goshi, auto)
    assert r.code == 0, r.stderr
    assert (result["text"], result["backend"], result["fallback"]) == (
        "from ollama",
        "ollama",
        True,
    )
    assert result["model"] == "llama3.2"
    assert openai_hits(server) == 1  # no retry budget spent on OpenAI
    assert said in r.stderr and "using ollama (llama3.2)" in r.stderr
    assert len(r.stderr.splitlines()) == 1


def test_refused_openai_fails_over_into_a_pipe(goshi, server, auto) -> None:
    server.ollama.push(ollama_stream("piped from ollama"))
    r = goshi("ask", "hi", OPENAI_BASE_URL=f"http://127.0.0.1:{refused_port()}/v1", **auto)
    assert (r.code, r.stdout) == (0, "piped from ollama\n")
    assert r.stderr.startswith("goshi: openai: connection refused by 127.0.0.1:")
    assert r.stderr.rstrip().endswith("; using ollama (llama3.2)")


@pytest.mark.parametrize(("status", "code"), [(401, 4), (400, 7), (404, 7)])
def test_the_users_own_faults_do_not_fail_over(goshi, server, auto, status, code) -> None:
    server.openai.push(
        openai_error(status, "no", code="model_not_found" if status == 404 else None)
    )
    r = goshi("ask", "hi", **auto)
    assert r.code == code
    assert ollama_hits(server) == 0
    status_json = json.loads(goshi("status", "--json", **auto).stdout)
    assert status_json[0]["failures"] == 0


def test_both_failing_exits_5_naming_both(goshi, server, auto) -> None:
    server.openai.push(openai_error(502, "bad gateway"))
    for _ in range(3):
        server.ollama.push(ollama_error(500, "llama runner process has terminated"))
    r = goshi("ask", "hi", **auto)
    assert r.code == 5 and r.stdout == ""
    last = r.stderr.splitlines()[-1]
    assert "no backend could answer: openai: HTTP 502: bad gateway; ollama: HTTP 500" in last
    assert "Traceback" not in r.stderr


def test_no_key_means_ollama_only(goshi, server, auto) -> None:
    r, result = ask_json(
        goshi, auto, OPENAI_API_KEY="", OPENAI_BASE_URL="https://api.openai.com/v1"
    )
    assert r.code == 0 and result["backend"] == "ollama" and result["fallback"] is False
    assert r.stderr == "" and openai_hits(server) == 0


def test_a_cut_after_text_is_never_glued_to_another_answer(goshi, server, auto) -> None:
    server.openai.push(openai_stream(["one", " two", " three"], reset_after=2))
    r = goshi("ask", "hi", **auto)
    assert (r.code, r.stdout) == (5, "one\n")
    assert ollama_hits(server) == 0
    assert "kept in conversation" in r.stderr


def test_the_circuit_opens_skips_openai_then_a_probe_closes_it(goshi, server, auto) -> None:
    for _ in range(3):
        server.openai.push(openai_error(503, "down"))
    lines = []
    for _ in range(3):
        r = goshi("ask", "hi", **auto)
        assert r.code == 0 and r.stdout == "Hello from Ollama.\n"
        lines.append(r.stderr.strip())
    assert all(line.count("\n") == 0 for line in lines)
    assert (
        lines[2] == "goshi: openai: circuit open after 3 failures; using ollama (llama3.2) for 5 s"
    )
    assert openai_hits(server) == 3

    r = goshi("ask", "hi", **auto)  # a later process skips OpenAI entirely
    assert r.code == 0 and openai_hits(server) == 3
    assert "openai: circuit open; using ollama (llama3.2) for" in r.stderr

    shown = goshi("status", **auto).stdout
    assert "circuit:   open, 3 consecutive failure(s), half-open in" in shown
    (openai_status, _) = json.loads(goshi("status", "--json", **auto).stdout)
    assert openai_status["circuit"] == "open" and 0 < openai_status["half_open_in_s"] <= COOLDOWN_S

    time.sleep(COOLDOWN_S + 0.1)
    r, result = ask_json(goshi, auto)  # the probe: OpenAI is healthy again
    assert result["backend"] == "openai" and result["fallback"] is False
    assert "circuit half-open" in r.stderr and "circuit closed again" in r.stderr
    assert "circuit:   closed" in goshi("status", **auto).stdout


def test_a_failed_probe_reopens_the_circuit(goshi, server, auto) -> None:
    for _ in range(4):
        server.openai.push(openai_error(500, "still down"))
    for _ in range(3):
        goshi("ask", "hi", **auto)
    time.sleep(COOLDOWN_S + 0.1)
    r = goshi("ask", "hi", **auto)
    assert r.code == 0 and openai_hits(server) == 4
    assert "circuit open after 4 failures" in r.stderr
    r = goshi("ask", "hi", **auto)
    assert openai_hits(server) == 4 and "circuit open; using ollama" in r.stderr


def test_status_shows_reachability_and_models(goshi, server, auto) -> None:
    r = goshi("status", **auto)
    assert r.code == 0
    assert f"openai: {server.url}/v1" in r.stdout
    assert "reachable: yes (HTTP 200)" in r.stdout
    assert "model:     gpt-4o-mini (present)" in r.stdout
    assert "model:     llama3.2 (present)" in r.stdout
    port = refused_port()
    r = goshi("status", "--json", OLLAMA_HOST=f"127.0.0.1:{port}", **auto)
    ollama = json.loads(r.stdout)[1]
    assert ollama["reachable"] is False and "connection refused" in ollama["detail"]


def test_a_first_run_with_no_key_and_no_ollama_says_what_to_set(goshi, auto) -> None:
    r = goshi(
        "ask",
        "hi",
        OPENAI_API_KEY="",
        OPENAI_BASE_URL="https://api.openai.com/v1",
        OLLAMA_HOST=f"127.0.0.1:{refused_port()}",
        **auto,
    )
    assert r.code == 5 and "Traceback" not in r.stderr
    last = r.stderr.splitlines()[-1]
    assert "is `ollama serve` running" in last and "set OPENAI_API_KEY to use OpenAI" in last
