"""Secrets through the side doors: a padded key is refused before it is sent and never shown,
URL passwords are masked everywhere, the log cannot be forged, goshi's files are private."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from goshi import credentials
from goshi.errors import GoshiError
from goshi.llm.wire import translate_errors
from tests.conftest import TEST_KEY
from tests.wire_server import (
    WireServer,
    ollama_stream,
    openai_error,
    openai_stream,
    refused_port,
    static,
)


def everything_stored(home: Path) -> str:
    """The log, the db and its WAL, the chat history: every byte goshi keeps, as text."""
    out = []
    for root in (home / "data", home / "state"):
        for file in root.rglob("*"):
            if file.is_file():
                out.append(file.read_bytes().decode("utf-8", "replace"))
    return "\n".join(out)


@pytest.mark.parametrize(
    ("padding", "said"),
    [(" ", "a space at its end"), ("\r", "a carriage return (CR) at its end"), ("\n", "newline")],
)
def test_a_padded_key_exits_4_before_sending_and_is_never_shown(
    goshi, home: Path, server: WireServer, padding: str, said: str
) -> None:
    for args in (("ask", "hi"), ("ask", "--json", "hi")):
        r = goshi(*args, OPENAI_API_KEY=TEST_KEY + padding)
        assert r.code == 4, r.stderr
        assert said in r.stderr and "$OPENAI_API_KEY" in r.stderr
        assert "Traceback" not in r.stderr
        assert TEST_KEY not in r.stdout + r.stderr
        assert "0123456789" not in r.stdout + r.stderr
    assert server.chat_requests() == []
    assert TEST_KEY not in everything_stored(home)


def test_a_non_ascii_key_is_refused_saying_where(goshi, server: WireServer) -> None:
    r = goshi("ask", "hi", OPENAI_API_KEY="sk-abc\u00e9def123456")
    assert r.code == 4 and "non-ASCII character at position 7 of 16" in r.stderr
    assert "abc" not in r.stderr
    assert server.chat_requests() == []
    r = goshi("status", OPENAI_API_KEY=TEST_KEY + "\r")
    assert r.code == 0 and "not asked: the API key in $OPENAI_API_KEY contains" in r.stdout
    assert TEST_KEY not in r.stdout + r.stderr
    # nothing carried the key (a window probe asks llama.cpp's public /props and /v1/models bare)
    assert all("authorization" not in q.headers for q in server.requests)


def test_the_transport_branch_redacts_what_httpx_quotes(server: WireServer) -> None:
    """httpx refuses an illegal header by quoting it, key and all."""
    key = TEST_KEY + "\n"
    credentials.remember(key)
    with (
        pytest.raises(GoshiError) as caught,
        httpx.Client() as client,
        translate_errors("openai", server.url, 2.0),
    ):
        client.get(server.url + "/v1/models", headers={"Authorization": f"Bearer {key}"})
    said = f"{caught.value.message} {caught.value.hint} {caught.value.detail}"
    assert caught.value.exit_code == 3
    assert TEST_KEY not in said and "[key]" in said


def test_url_credentials_are_masked_in_errors_log_show_status_and_store(
    goshi, home: Path, server: WireServer
) -> None:
    secret_url = f"http://alice:hunter2pw@127.0.0.1:{refused_port()}/v1"
    r = goshi("ask", "hi", OPENAI_BASE_URL=secret_url)
    assert r.code == 5
    assert "hunter2pw" not in r.stderr and "alice" not in r.stderr
    shown = goshi("config", "show", OPENAI_BASE_URL=secret_url).stdout
    assert "http://***@127.0.0.1" in shown and "hunter2pw" not in shown
    status = goshi("status", OPENAI_BASE_URL=secret_url)
    assert "http://***@127.0.0.1" in status.stdout and "hunter2pw" not in status.stdout
    status = goshi("status", "--json", OPENAI_BASE_URL=secret_url)
    assert "hunter2pw" not in status.stdout
    server.openai.push(openai_error(500, f"upstream {secret_url} failed"))
    proxied = f"http://bob:pw-in-url-42@{server.url.removeprefix('http://')}/v1"
    r = goshi("ask", "hi", "-v", OPENAI_BASE_URL=proxied)
    assert "pw-in-url-42" not in r.stderr and "hunter2pw" not in r.stderr
    stored = everything_stored(home)
    assert "hunter2pw" not in stored and "pw-in-url-42" not in stored
    assert "***@127.0.0.1" in stored  # the circuit is keyed by the masked URL


def test_a_server_cannot_forge_log_lines_or_leak_the_key_into_them(
    goshi, home: Path, server: WireServer
) -> None:
    forged = "oops\n2026-01-01 00:00:00,000 1 WARNING forged line\x1b[2J"
    server.openai.push(openai_error(500, forged), openai_error(500, forged))
    server.openai.push(openai_error(500, forged))
    r = goshi("ask", "hi")
    assert r.code == 5
    assert "\x1b" not in r.stderr and "forged line" in r.stderr
    assert len([line for line in r.stderr.splitlines() if "forged" in line]) == r.stderr.count(
        "forged"
    )
    server.openai.push(
        static(
            b'data: {"choices": [{"delta": {"content": "ok"}}]}\n\n'
            + f'data: {{"oops {TEST_KEY}\n\n'.encode()
            + b'data: {"choices": [{"delta": {}, "finish_reason": "stop"}]}\n\ndata: [DONE]\n\n',
            "text/event-stream",
        )
    )
    assert goshi("ask", "hi", "-v").code == 0
    log = (home / "state" / "goshi" / "goshi.log").read_text()
    assert not any(line.startswith("2026-01-01") for line in log.splitlines())
    assert "\x1b" not in log and "\\x1b[2J" in log
    assert "skipped a malformed event" in log and TEST_KEY not in log


def test_goshis_files_are_private_and_old_ones_are_tightened(
    goshi, home: Path, server: WireServer
) -> None:
    data, state = home / "data" / "goshi", home / "state" / "goshi"
    state.mkdir(mode=0o755)
    (state / "goshi.log").write_text("old\n")
    os.chmod(state, 0o755)
    os.chmod(state / "goshi.log", 0o644)
    assert goshi("ask", "hi").code == 0
    assert goshi("config", "trust", str(home / "fast.yaml")).code == 0
    for directory in (data, state):
        assert directory.stat().st_mode & 0o777 == 0o700, directory
    files = [f for f in (*data.iterdir(), *state.iterdir()) if f.is_file()]
    assert {f.name for f in files} >= {"goshi.db", "goshi.log", "trust.json"}
    for file in files:
        assert file.stat().st_mode & 0o777 == 0o600, file


def test_a_server_that_echoes_the_key_cannot_get_it_stored_or_exported(
    goshi, home: Path, server: WireServer
) -> None:
    """Split across deltas, in the reasoning, in a tool call's arguments and in the answer after
    it: goshi.db and every export hold [redacted] instead (the pipe still gets the model's bytes:
    that is the pipe contract)."""
    (home / "work" / "notes.txt").write_text("notes\n")
    half = len(TEST_KEY) // 2
    server.openai.push(
        openai_stream(
            ["reading ", TEST_KEY[:half], TEST_KEY[half:], " now"],
            reasoning=[f"the key is {TEST_KEY}"],
            tool_calls=[("c1", "read_file", f'{{"path": "notes.txt", "why": "{TEST_KEY}"}}')],
        ),
        openai_stream(f"done with {TEST_KEY}."),
    )
    r = goshi("ask", "go")
    assert r.code == 0, r.stderr
    assert TEST_KEY not in everything_stored(home)
    md = goshi("history", "export", "1", "--format", "md")
    js = goshi("history", "export", "1", "--format", "json")
    shown = goshi("history", "show", "1")
    for said in (md, js, shown):
        assert said.code == 0 and TEST_KEY not in said.stdout
    assert "reading [redacted] now" in md.stdout and "done with [redacted]." in md.stdout
    assert "[redacted]" in shown.stdout


def test_a_placeholder_key_leaves_the_servers_words_whole(goshi, server: WireServer) -> None:
    """`OPENAI_API_KEY=x` for a local server: llama.cpp's context error said
    "e[key]ceeds the available conte[key]t size" (found against the real server)."""
    said = "could not parse the request: expected value at line 1, column 1 (exit code 2)"
    server.openai.push(openai_error(400, said))
    r = goshi("ask", "hi", OPENAI_API_KEY="x")
    assert r.code == 7 and said in r.stderr, r.stderr
    assert "[key]" not in r.stderr


def test_the_value_of_any_api_key_env_is_never_stored(goshi, home: Path, server) -> None:
    """The variable the user's config names, also when Ollama answers."""
    secret = "gw-live-7f3a9c0e5b1d"
    (home / "gw.yaml").write_text("backend: ollama\nopenai: {api_key_env: GATEWAY_TOKEN}\n")
    server.ollama.push(ollama_stream(f"your token is {secret}"))
    r = goshi("ask", "--config", str(home / "gw.yaml"), f"is {secret} safe?", GATEWAY_TOKEN=secret)
    assert r.code == 0, r.stderr
    assert r.stdout == f"your token is {secret}\n"  # the pipe gets the model's bytes
    assert secret not in everything_stored(home)
    md = goshi("history", "export", "1", "--format", "md")
    assert "is [redacted] safe?" in md.stdout and "your token is [redacted]" in md.stdout
