"""Every failure of `goshi ask` gives its documented exit code, a hint, and no traceback;
retries follow the rules: total attempts, Retry-After, never for 4xx, never after the first
token."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from goshi.store.engine import sqlite3
from tests.conftest import GOSHI, Result
from tests.wire_server import (
    WireServer,
    openai_error,
    openai_events,
    openai_stream,
    refused_port,
    sse_stream,
    stall,
)


def assert_clean_failure(r: Result, code: int, *needles: str) -> None:
    assert r.code == code, (r.code, r.stderr)
    assert "Traceback" not in r.stderr
    assert r.stdout == ""
    for needle in needles:
        assert needle in r.stderr, r.stderr


@pytest.mark.parametrize("status", [401, 403])
def test_auth_rejected_exits_4_naming_the_key_variable(goshi, server, status: int) -> None:
    server.openai.push(openai_error(status, "Incorrect API key provided: sk-test-***RET."))
    r = goshi("ask", "hi")
    assert_clean_failure(r, 4, "rejected", "$OPENAI_API_KEY")
    assert "sk-test" not in r.stderr
    assert len(server.chat_requests()) == 1


def test_missing_key_for_openai_exits_4_before_sending(goshi, server: WireServer) -> None:
    r = goshi(
        "ask",
        "hi",
        OPENAI_API_KEY="",
        OPENAI_BASE_URL="https://api.openai.com/v1",
        OLLAMA_HOST="http://127.0.0.1:1",
    )
    assert_clean_failure(r, 4, "OPENAI_API_KEY is not set")


def test_unknown_model_exits_7_naming_it(goshi, server: WireServer) -> None:
    server.openai.push(
        openai_error(
            404,
            "The model `gpt-9` does not exist or you do not have access to it.",
            code="model_not_found",
        )
    )
    r = goshi("ask", "-m", "gpt-9", "hi")
    assert_clean_failure(r, 7, "'gpt-9' not found", "-m MODEL")
    assert len(server.chat_requests()) == 1


@pytest.mark.parametrize("status", [400, 422])
def test_rejected_request_exits_7_without_retry(goshi, server, status: int) -> None:
    server.openai.push(openai_error(status, "Invalid 'messages': empty array."))
    r = goshi("ask", "hi")
    assert_clean_failure(r, 7, f"HTTP {status}", "Invalid 'messages'")
    assert len(server.chat_requests()) == 1


def test_wrong_base_url_404_points_at_base_url(goshi, server: WireServer) -> None:
    r = goshi("ask", "hi", OPENAI_BASE_URL=f"{server.url}/nope")
    assert_clean_failure(r, 7, "HTTP 404", "openai.base_url")


def test_insufficient_quota_is_billing_and_never_retried(goshi, server: WireServer) -> None:
    server.openai.push(
        openai_error(
            429,
            "You exceeded your current quota.",
            code="insufficient_quota",
            type_="insufficient_quota",
        )
    )
    r = goshi("ask", "hi")
    assert_clean_failure(r, 5, "quota", "billing")
    assert len(server.chat_requests()) == 1


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503])
def test_transient_status_is_retried_then_answers(goshi, server, status: int) -> None:
    server.openai.push(
        openai_error(status, "busy"),
        openai_error(status, "busy"),
        openai_stream("third time lucky"),
    )
    r = goshi("ask", "hi")
    assert (r.code, r.stdout) == (0, "third time lucky\n"), r.stderr
    assert len(server.chat_requests()) == 3
    assert r.stderr.count("retrying") == 2


def test_attempts_is_the_total_number_of_tries(goshi, server, home: Path) -> None:
    for _ in range(5):
        server.openai.push(openai_error(503, "overloaded"))
    r = goshi("ask", "hi")
    assert_clean_failure(r, 5, "HTTP 503")
    assert len(server.chat_requests()) == 3
    (home / "one.yaml").write_text("backend: openai\nretry: {attempts: 1}\n")
    server.requests.clear()
    r = goshi("ask", "hi", GOSHI_CONFIG=str(home / "one.yaml"))
    assert_clean_failure(r, 5, "HTTP 503")
    assert len(server.chat_requests()) == 1


def test_retry_after_ms_is_honoured(goshi, server: WireServer) -> None:
    server.openai.push(
        openai_error(429, "slow down", headers={"retry-after-ms": "600"}), openai_stream("ok")
    )
    r = goshi("ask", "hi")
    assert r.code == 0, r.stderr
    first, second = server.chat_requests()
    assert second.at - first.at >= 0.6


def test_retry_after_seconds_is_honoured(goshi, server: WireServer) -> None:
    server.openai.push(openai_error(503, "down", headers={"Retry-After": "1"}), openai_stream("ok"))
    assert goshi("ask", "hi").code == 0
    first, second = server.chat_requests()
    assert second.at - first.at >= 1.0


def test_retry_after_longer_than_max_delay_gives_up_at_once(goshi, server) -> None:
    server.openai.push(openai_error(429, "rate limited", headers={"Retry-After": "120"}))
    r = goshi("ask", "hi")
    assert_clean_failure(r, 5, "wait 120 s")
    assert len(server.chat_requests()) == 1


def test_a_refused_connection_on_this_machine_is_said_at_once_and_exits_5(goshi) -> None:
    """Nothing listens there: trying again a second later cannot help (a newcomer with no
    server running waited ~2 s for the same line)."""
    r = goshi("ask", "hi", OPENAI_BASE_URL=f"http://127.0.0.1:{refused_port()}/v1")
    assert_clean_failure(r, 5, "connection refused", "is the server running")
    assert "retrying" not in r.stderr


def test_tls_to_a_plain_http_server_fails_clearly(goshi, server: WireServer) -> None:
    r = goshi("ask", "hi", OPENAI_BASE_URL=server.url.replace("http:", "https:") + "/v1")
    assert_clean_failure(r, 5, "TLS", "https")


def test_read_timeout_exits_5(goshi, server: WireServer, home: Path) -> None:
    (home / "slow.yaml").write_text(
        "backend: openai\nretry: {attempts: 1}\nhttp: {read_timeout_s: 0.5}\n"
    )
    server.openai.push(stall(5))
    r = goshi("ask", "hi", GOSHI_CONFIG=str(home / "slow.yaml"))
    assert_clean_failure(r, 5, "sent nothing for 0.5 s", "read_timeout_s")


def test_stall_mid_stream_keeps_the_partial_answer(goshi, server, home: Path) -> None:
    (home / "slow.yaml").write_text("backend: openai\nhttp: {read_timeout_s: 0.5}\n")
    server.openai.push(openai_stream(["partial", " answer", " lost"], stall_after=3, stall_s=3))
    r = goshi("ask", "hi", GOSHI_CONFIG=str(home / "slow.yaml"))
    assert r.code == 5
    assert r.stdout == "partial answer\n"
    assert "after 14 characters" in r.stderr and "kept in conversation" in r.stderr
    assert len(server.chat_requests()) == 1


def test_reset_after_the_first_token_is_not_retried(goshi, server, home: Path) -> None:
    server.openai.push(openai_stream(["one", " two", " three"], reset_after=2))
    r = goshi("ask", "hi")
    assert r.code == 5
    assert r.stdout == "one\n"
    assert "Traceback" not in r.stderr and "broke" in r.stderr
    assert len(server.chat_requests()) == 1
    db = sqlite3.connect(home / "data" / "goshi" / "goshi.db")
    assert db.execute("SELECT content, status FROM messages WHERE role='assistant'").fetchall() == [
        ("one", "interrupted")
    ]


def test_reset_before_the_first_token_is_retried(goshi, server: WireServer) -> None:
    server.openai.push(openai_stream(["never"], reset_after=1), openai_stream("second try"))
    r = goshi("ask", "hi")
    assert (r.code, r.stdout) == (0, "second try\n")
    assert len(server.chat_requests()) == 2


def test_stream_without_done_or_finish_is_a_cut(goshi, server: WireServer) -> None:
    events = openai_events(["half"], include_usage=False)[:-1]  # no finish chunk
    for _ in range(3):
        server.openai.push(sse_stream(events, done=False))
    r = goshi("ask", "hi")
    assert r.code == 5 and r.stdout == "half\n"
    assert "ended before the answer did" in r.stderr


def test_verbose_adds_detail(goshi) -> None:
    r = goshi("ask", "-v", "hi", OPENAI_BASE_URL=f"http://127.0.0.1:{refused_port()}/v1")
    assert "detail: ConnectError" in r.stderr


def test_failed_question_is_kept(goshi, server: WireServer, home: Path) -> None:
    server.openai.push(openai_error(400, "bad"))
    goshi("ask", "precious question")
    db = sqlite3.connect(home / "data" / "goshi" / "goshi.db")
    assert db.execute("SELECT content, status FROM messages").fetchall() == [
        ("precious question", "failed")
    ]


def test_ctrl_c_mid_answer_exits_130_and_keeps_the_partial(env, home, server) -> None:
    server.openai.push(openai_stream([f" w{i}" for i in range(200)], delay_s=0.02))
    proc = subprocess.Popen(
        [GOSHI, "ask", "hi"],
        env=env,
        cwd=home / "work",
        text=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.read(3) == " w0"
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 130
    assert "Traceback" not in err and "interrupted" in err
    db = sqlite3.connect(home / "data" / "goshi" / "goshi.db")
    ((text, status),) = db.execute(
        "SELECT content, status FROM messages WHERE role='assistant'"
    ).fetchall()
    assert status == "interrupted" and text.startswith(" w0 w1") and len(text) < 800
    assert (" w0" + out).rstrip("\n") == text


def test_config_error_exits_3_with_file_line_and_key(goshi, home: Path) -> None:
    (home / "bad.yaml").write_text("backend: auto\nretry:\n  attempts: three\n")
    r = goshi("ask", "--config", str(home / "bad.yaml"), "hi")
    assert_clean_failure(r, 3, "bad.yaml:3: retry.attempts: expected an integer, got 'three'")
