"""Retries with capped exponential backoff and full jitter, around any backend's event stream.

Rules: `attempts` counts every try, the first included. Only `TransientError` is retried
(connect errors, timeouts, 408, 409, 429 other than insufficient_quota, 5xx, a cut stream; not a
refused connection to this machine, where nothing listens), and never once a text or tool-call
delta has reached the consumer. A server's Retry-After (seconds or an HTTP date) or
retry-after-ms replaces the jittered delay; when it asks for longer than `max_delay_s`, goshi
gives up at once and says when to try again rather than hang.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping

from goshi.errors import TransientError
from goshi.llm.types import Event, TextDelta, ToolCallDelta
from goshi.record import record

log = logging.getLogger("goshi")


@record(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry a failed request."""

    attempts: int = 3
    base_delay_s: float = 1.0
    max_delay_s: float = 20.0

    def delay(
        self, failed_attempt: int, retry_after: float | None, rand: Callable[[], float]
    ) -> float | None:
        """Seconds to wait after try number `failed_attempt` failed; None: do not retry."""
        if failed_attempt >= self.attempts:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_delay_s else None
        cap = min(self.max_delay_s, self.base_delay_s * 2.0 ** (failed_attempt - 1))
        return float(rand() * cap)


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """The wait a server asked for, in seconds, from retry-after-ms or Retry-After."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import email.utils  # only for the rare HTTP-date form

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def retrying(
    attempt: Callable[[], Iterator[Event]],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
) -> Iterator[Event]:
    """Yield the events of `attempt()`, trying again on a transient failure before any delta."""
    tries = 1
    while True:
        delivered = False
        try:
            for event in attempt():
                if isinstance(event, TextDelta | ToolCallDelta):
                    delivered = True
                yield event
            return
        except TransientError as exc:
            wait = (
                None if delivered or not exc.retry else policy.delay(tries, exc.retry_after, rand)
            )
            if wait is None:
                if exc.retry_after is not None and exc.retry_after > policy.max_delay_s:
                    exc.hint = f"the server asks to wait {exc.retry_after:.0f} s; try again then"
                raise
            log.warning(
                "%s; retrying in %.1f s (attempt %d of %d)",
                exc.message,
                wait,
                tries + 1,
                policy.attempts,
            )
            sleep(wait)
            tries += 1
