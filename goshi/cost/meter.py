"""The meter: what an answer cost, what a request may cost, and the limits that stop it.

Money is integer pico-dollars (10^-12 USD), so a sum of costs equals the cost of the sums:

    cost     = (prompt - cached - written) * input + cached * cached_input
               + written * cache_write + completion * output
    (written: prompt tokens a proxy for Anthropic's models says were written to its cache,
    at the row's cache-write price, else at the input price)
    estimate = estimated prompt tokens * max(input, cache_write) + output cap * output
                                                                  (before sending)

The prompt estimate is ceil(UTF-8 bytes / 3) + 4 per message + 3, and IMAGE_TOKENS an image:
above the real count for English prose and code (about 4 bytes a token) and for CJK text (3 bytes
a character). With a limit set, goshi also sends the output cap as `max_tokens`, so the estimate
bounds the real cost. The cap is `openai.max_tokens` when set, else sized from what the tightest
limit leaves after the prompt, at most OUTPUT_CAP_CEILING (reasoning models spend much of it
thinking, so a small fixed cap starves them) and at least OUTPUT_CAP_FLOOR (less would only buy a
cut answer: refused).

The ledger row of a request is opened at that estimate *before* it is sent (`open`) and closed
with the real usage (`charge`), so a process killed mid-answer leaves its estimate counted.
Usage from a server is checked before it is priced: anything but whole token counts from 0 to
MAX_TOKENS is treated as missing, and the answer is estimated (and marked so).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from goshi.config import Settings
from goshi.cost.prices import (
    FREE_BACKENDS,
    STANDARD,
    Pricing,
    Rate,
    Table,
    load_table,
    region_of,
    resolve,
)
from goshi.errors import CostLimitError
from goshi.llm.types import Message, Usage
from goshi.llm.values import MAX_TOKENS
from goshi.record import record
from goshi.store import Store

log = logging.getLogger("goshi")
_EMPTY = Table("1970-01-01", "", {}, "")

PICO = 10**12
OUTPUT_CAP_CEILING = 32_768
OUTPUT_CAP_FLOOR = 1_024
IMAGE_TOKENS = 1_536
OPEN_OUTPUT_ESTIMATE = 4096  # an open row's answer when no cap was sent: a long answer


def usd(pico: int) -> float:
    return pico / PICO


def format_usd(pico: int | None) -> str:
    if pico is None:
        return "$?"
    value = usd(pico)
    return f"${value:.6f}" if value < 0.01 else f"${value:.4f}"


def cost_of(usage: Usage, rate: Rate) -> int:
    cached = min(usage.cached_tokens, usage.prompt_tokens)
    written = min(usage.cache_write_tokens, usage.prompt_tokens - cached)
    return (
        (usage.prompt_tokens - cached - written) * rate.input
        + cached * rate.cached_input
        + written * rate.written()
        + usage.completion_tokens * rate.output
    )


def estimate_tokens(text: str) -> int:
    return -(-len(text.encode("utf-8")) // 3)


def estimate_prompt_tokens(messages: list[Message]) -> int:
    return 3 + sum(4 + estimate_tokens(m.content) + image_tokens(m) for m in messages)


def image_tokens(message: Message) -> int:
    """An attached image's bound, whatever its size: OpenAI bills at most 1,445 tokens for one
    (4o's tiles at auto detail) or 1,536 patches (4.1-mini, o4-mini); Ollama's models fewer."""
    return IMAGE_TOKENS * len(message.images)


def estimate_usage(messages: list[Message], answer_text: str) -> Usage:
    """For a server that reported no usage: the figure is marked as estimated."""
    return Usage(estimate_prompt_tokens(messages), estimate_tokens(answer_text))


def plausible(usage: Usage) -> bool:
    """Whole, non-negative token counts of a sane size (a server may send anything)."""
    counts = (
        usage.prompt_tokens,
        usage.completion_tokens,
        usage.cached_tokens,
        usage.cache_write_tokens,
    )
    return all(type(n) is int and 0 <= n <= MAX_TOKENS for n in counts)


@record(frozen=True)
class Spent:
    """Pico-dollars spent in this session (conversation) and today."""

    session: int
    today: int


def limits_apply(settings: Settings, max_cost_usd: float | None) -> bool:
    c = settings.cost
    return any(x is not None for x in (c.session_limit_usd, c.daily_limit_usd, max_cost_usd))


def check_limits(
    settings: Settings,
    model: str,
    price: Callable[[int], Rate] | None,
    messages: list[Message],
    spent: Spent,
    max_cost_usd: float | None,
) -> int:
    """Raise CostLimitError when the request could break a limit; return the output cap.
    `price(prompt_tokens)` is the rate that prompt would be billed at (long context, tier...)."""
    if price is None:
        raise CostLimitError(
            f"cannot enforce the cost limit: no price for model {model!r}",
            "add its price under cost.prices in goshi.yaml (`goshi config path`)",
        )
    prompt = estimate_prompt_tokens(messages)
    rate = price(prompt)
    prompt_cost = prompt * max(rate.input, rate.written())  # any of it may be a cache write
    c = settings.cost
    checks = [
        (name, limit, already)
        for name, limit, already in (
            ("--max-cost", max_cost_usd, 0),
            ("cost.session_limit_usd", c.session_limit_usd, spent.session),
            ("cost.daily_limit_usd", c.daily_limit_usd, spent.today),
        )
        if limit is not None
    ]
    left = min(round(limit * PICO) - already for _, limit, already in checks)
    cap = settings.openai.max_tokens
    if cap is None:
        affordable = (left - prompt_cost) // rate.output if rate.output else OUTPUT_CAP_CEILING
        cap = max(OUTPUT_CAP_FLOOR, min(OUTPUT_CAP_CEILING, affordable))
    estimate = prompt_cost + cap * rate.output
    for name, limit, already in checks:
        if already + estimate > round(limit * PICO):
            raise CostLimitError(
                f"this request could cost up to {format_usd(estimate)} and {name} is "
                f"${limit:g} with {format_usd(already)} spent; nothing was sent",
                "raise the limit, shorten the conversation, or use -b ollama",
            )
    return cap


@record(frozen=True)
class Charge:
    """What one answer cost, and the session (conversation) so far; None: no price known."""

    cost: int | None
    session: int
    estimated: bool


class Meter:
    """Prices answers of one conversation, guards requests against the limits, keeps the ledger."""

    def __init__(self, settings: Settings, store: Store, cid: int) -> None:
        self.settings = settings
        self.store = store
        self.cid = cid
        self._table: Table | None = None

    def pricing(self, backend: str, model: str) -> Pricing | None:
        if backend in FREE_BACKENDS:
            return resolve(model, backend, _EMPTY, {})
        return resolve(model, backend, self.table(), self.settings.cost.prices)

    def table(self) -> Table:
        if self._table is None:
            self._table = load_table()
        return self._table

    def rate(
        self, backend: str, model: str, prompt_tokens: int = 0, tier: str | None = None
    ) -> Rate | None:
        """The rate a request is billed at: the tier the response named (else the one asked
        for in openai.service_tier), long context by its prompt size, the region by the host."""
        pricing = self.pricing(backend, model)
        if pricing is None:
            return None
        if backend in FREE_BACKENDS:
            return pricing.rate()
        region = region_of(self.settings.openai.base_url, self.table())
        return pricing.rate(prompt_tokens, tier or self.settings.openai.service_tier, region)

    def guard(
        self,
        backend: str,
        model: str,
        messages: list[Message],
        max_cost_usd: float | None,
        tools: list[dict[str, Any]] | None = None,
    ) -> int | None:
        """Refuse a request that could break a limit; return the max_tokens to send, if any."""
        if not limits_apply(self.settings, max_cost_usd) or backend in FREE_BACKENDS:
            return None
        spent = Spent(self.store.spent(cid=self.cid), self.store.spent(since=local_midnight()))
        sent = messages
        if tools:  # the tool schemas are prompt tokens too
            sent = [*messages, Message("system", json.dumps(tools))]
        price = None
        if self.pricing(backend, model) is not None:

            def price(prompt_tokens: int) -> Rate:
                rate = self.rate(backend, model, prompt_tokens)
                assert rate is not None
                return rate

        return check_limits(self.settings, model, price, sent, spent, max_cost_usd)

    def open(
        self,
        backend: str,
        model: str,
        messages: list[Message],
        tools: list[dict[str, Any]] | None = None,
        cap: int | None = None,
    ) -> int:
        """The ledger row of a request about to be sent, at its pre-request estimate: the
        prompt (and tool schemas) plus the output cap sent (else openai.max_tokens, else
        OPEN_OUTPUT_ESTIMATE). `charge` or `drop` closes it."""
        sent = [*messages, Message("system", json.dumps(tools))] if tools else messages
        output = cap or self.settings.openai.max_tokens or OPEN_OUTPUT_ESTIMATE
        usage = Usage(estimate_prompt_tokens(sent), output)
        rate = self.rate(backend, model, usage.prompt_tokens)
        cost = None if rate is None else cost_of(usage, rate)
        applied = STANDARD if rate is None else rate.applied
        return self.store.record_spend(
            self.cid, backend, model, usage, cost, True, applied, open_=True
        )

    def drop(self, entry: int) -> None:
        """Nothing arrived for the request: its open row goes."""
        self.store.drop_spend(entry)

    def charge(
        self,
        backend: str,
        model: str,
        usage: Usage | None,
        messages: list[Message],
        answer_text: str,
        service_tier: str | None = None,
        *,
        entry: int | None = None,
    ) -> Charge:
        """Price an answer and record it: closing its open row `entry`, or as a new row."""
        if usage is not None and not plausible(usage):
            usage = None  # the backend says so when it drops a figure; this is the last guard
        estimated = usage is None
        if usage is None:
            usage = estimate_usage(messages, answer_text)
        rate = self.rate(backend, model, usage.prompt_tokens, service_tier)
        cost = None if rate is None else cost_of(usage, rate)
        applied = STANDARD if rate is None else rate.applied
        before = self.store.spent(cid=self.cid, besides=entry)
        if entry is None:
            self.store.record_spend(self.cid, backend, model, usage, cost, estimated, applied)
        else:
            self.store.close_spend(entry, backend, model, usage, cost, estimated, applied)
        session = before + (cost or 0)
        if rate is None:
            _say_unpriced(model)
        warn = self.settings.cost.warn_usd
        if warn is not None and before < round(warn * PICO) <= session:
            log.warning(
                "this conversation has now cost %s, past cost.warn_usd ($%g)",
                format_usd(session),
                warn,
            )
        return Charge(cost, session, estimated)


def _say_unpriced(model: str) -> None:
    """Once a model and day on stderr (always in the log), with the lines to paste."""
    from goshi.cost.unpriced import first_today

    level = logging.WARNING if first_today(model) else logging.INFO
    log.log(
        level,
        "no price for model %r: its cost is unknown (said once a day); to count it, add to"
        " goshi.yaml (`goshi config path`): cost: {prices: {%s: {input_per_mtok: USD,"
        " output_per_mtok: USD}}}",
        model,
        json.dumps(model),
    )


def local_midnight() -> float:
    now = time.localtime()
    return time.mktime((now.tm_year, now.tm_mon, now.tm_mday, 0, 0, 0, 0, 0, -1))
