"""Backoff arithmetic and error mapping that involve no wire (pure functions)."""

from __future__ import annotations

import email.utils
import socket
import ssl
from collections.abc import Iterator

import httpx
import pytest

from goshi.errors import ConnectFailed, RequestRejected, ServerError, TransientError
from goshi.llm.retry import RetryPolicy, parse_retry_after, retrying
from goshi.llm.types import Done, Event, TextDelta, ToolCallDelta
from goshi.llm.wire import redact, translate_errors


def test_full_jitter_is_bounded_by_the_exponential_cap() -> None:
    policy = RetryPolicy(attempts=10, base_delay_s=1.0, max_delay_s=5.0)
    assert policy.delay(1, None, lambda: 1.0) == 1.0
    assert policy.delay(2, None, lambda: 1.0) == 2.0
    assert policy.delay(3, None, lambda: 0.5) == 2.0
    assert policy.delay(6, None, lambda: 1.0) == 5.0
    assert policy.delay(3, None, lambda: 0.0) == 0.0


def test_no_delay_after_the_last_attempt() -> None:
    assert RetryPolicy(attempts=3).delay(3, None, lambda: 1.0) is None
    assert RetryPolicy(attempts=1).delay(1, 0.1, lambda: 1.0) is None


def test_retry_after_replaces_jitter_up_to_the_cap() -> None:
    policy = RetryPolicy(attempts=3, base_delay_s=1.0, max_delay_s=20.0)
    assert policy.delay(1, 7.0, lambda: 0.0) == 7.0
    assert policy.delay(1, 21.0, lambda: 0.0) is None


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    date = "Fri, 27 Nov 2026 10:00:30 GMT"
    now = email.utils.parsedate_to_datetime(date).timestamp() - 30
    assert parse_retry_after({"retry-after": date}, now=now) == 30.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def _flaky(failures: list[TransientError], then: list[Event]) -> Iterator[Event]:
    if failures:
        raise failures.pop(0)
    yield from then


def test_retrying_waits_and_tries_again() -> None:
    waits: list[float] = []
    failures = [ServerError("503"), ServerError("503", retry_after=0.5)]
    events = list(
        retrying(
            lambda: _flaky(failures, [TextDelta("ok"), Done("stop", "m")]),
            RetryPolicy(3, 1.0, 20.0),
            sleep=waits.append,
            rand=lambda: 0.5,
        )
    )
    assert events[0] == TextDelta("ok")
    assert waits == [0.5, 0.5]


@pytest.mark.parametrize(
    "delta",
    [TextDelta("partial"), ToolCallDelta(0, "call_1", "run_command", '{"command": "ma')],
    ids=["text", "tool-call"],
)
def test_retrying_never_after_a_delta_reached_the_consumer(delta: Event) -> None:
    """A retry would show the text twice, or send the tool call's pieces twice."""

    def cut() -> Iterator[Event]:
        yield delta
        raise ServerError("cut")

    got: list[Event] = []
    with pytest.raises(ServerError):
        for event in retrying(cut, RetryPolicy(5, 0, 0), sleep=lambda s: None):
            got.append(event)
    assert got == [delta]


def test_non_transient_errors_pass_straight_through() -> None:
    calls = 0

    def bad() -> Iterator[Event]:
        nonlocal calls
        calls += 1
        raise RequestRejected("400")
        yield  # pragma: no cover

    with pytest.raises(RequestRejected):
        list(retrying(bad, RetryPolicy(5, 0, 0), sleep=lambda s: None))
    assert calls == 1


def _raise_in_block(exc: Exception) -> ConnectFailed:
    with pytest.raises(ConnectFailed) as info, translate_errors("openai", "https://x.test/v1", 9):
        raise exc
    return info.value


def test_dns_failure_says_the_host_name_cannot_be_resolved() -> None:
    exc = httpx.ConnectError("[Errno -2] Name or service not known")
    exc.__cause__ = socket.gaierror(-2, "Name or service not known")
    err = _raise_in_block(exc)
    assert "cannot resolve the host name 'x.test'" in err.message


def test_connect_timeout_is_its_own_message() -> None:
    err = _raise_in_block(httpx.ConnectTimeout("timed out"))
    assert "within the connect timeout" in err.message
    assert "connect_timeout_s" in err.hint


def test_tls_failure_names_tls() -> None:
    exc = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    exc.__cause__ = ssl.SSLCertVerificationError("certificate verify failed")
    assert "TLS handshake" in _raise_in_block(exc).message


def test_redact_removes_keys_from_server_text() -> None:
    text = "Incorrect API key provided: sk-proj-abcDEF123***xyz9. You can find your key"
    assert "abcDEF" not in redact(text, None)
    assert redact("key is s3cr3t-value", "s3cr3t-value") == "key is [key]"
