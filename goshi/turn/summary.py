"""The summary that folds old turns: a real request to the conversation's own model.

    previous summary + folded turns -> one plain-text transcript (clipped to fit the window)
    -> meter.guard (the cost limits refuse it like any request) -> selector (the same route
    and failover as an answer) -> meter.charge (the ledger: `goshi cost` counts it)

Ctrl-C while it streams charges what arrived and changes nothing else: no compaction is
recorded, so the conversation is as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from goshi.agent.turn import Answer, name_route, stream_answer
from goshi.cost.meter import Charge, Meter, estimate_tokens
from goshi.errors import CostLimitError, Interrupted
from goshi.llm.select import Selector
from goshi.llm.types import ChatRequest, Message

INSTRUCTIONS = (
    "You compress a conversation so that it can go on past the context window. Write a summary "
    "of the transcript below for your own later use: what the user wants, what was decided and "
    "done, facts worth keeping (file paths, names, numbers, commands, errors) and what is still "
    "open. Be concise; write only the summary."
)
MESSAGE_BYTES = 4000  # one message's share of the transcript, at most


@dataclass(frozen=True)
class Summary:
    text: str
    tokens: int
    charge: Charge


def transcript(previous: str | None, turns: list[list[Message]], budget_tokens: int) -> str:
    """The folded turns as plain text (no tool-call pairing to keep valid), newest kept whole
    when the budget is short."""
    lines: list[str] = []
    if previous:
        lines.append(f"Summary of what came before:\n{previous}")
    for turn in turns:
        for m in turn:
            text = m.content
            if len(text) > MESSAGE_BYTES:
                text = text[: MESSAGE_BYTES // 2] + "\n[...]\n" + text[-MESSAGE_BYTES // 2 :]
            calls = "".join(f"\n-> {c.name} {c.arguments[:200]}" for c in m.tool_calls)
            who = {"user": "User", "assistant": "Assistant", "tool": "Tool result"}.get(m.role)
            lines.append(f"{who or m.role}: {text}{calls}")
    sizes = [estimate_tokens(line) + 1 for line in lines]
    total = sum(sizes)
    first = 1 if previous else 0  # the earlier summary stays; the oldest turns go first
    cut = first
    while cut < len(lines) - 1 and total > budget_tokens:
        total -= sizes[cut]
        cut += 1
    return "\n\n".join(lines[:first] + lines[cut:])


def summarize(
    selector: Selector,
    meter: Meter,
    previous: str | None,
    turns: list[list[Message]],
    *,
    window_budget: int,
    cap: int,
    max_cost_usd: float | None,
) -> Summary:
    backend, model = selector.primary_backend(), selector.primary_model()
    room = window_budget - cap - estimate_tokens(INSTRUCTIONS) - 16
    messages = [
        Message("system", INSTRUCTIONS),
        Message("user", transcript(previous, turns, room)),
    ]
    try:
        meter.guard(backend, model, messages, max_cost_usd)
    except CostLimitError as exc:
        exc.message = f"the summary that would fit this conversation into the window: {exc.message}"
        exc.hint = f"{exc.hint}, or set context.strategy: drop (no summary, no cost)"
        raise
    answer = Answer(backend=backend, model=model)
    try:
        stream_answer(
            selector.stream(ChatRequest(messages, model, True, [], cap)), answer, lambda _: None
        )
    except KeyboardInterrupt:
        if answer.parts:
            name_route(answer, selector.used)
            meter.charge(answer.backend, answer.model, answer.usage, messages, answer.text)
        raise Interrupted(
            "interrupted while summarizing old turns; the conversation is as it was",
            "ask again, or /retry in goshi chat",
        ) from None
    name_route(answer, selector.used)
    charge = meter.charge(answer.backend, answer.model, answer.usage, messages, answer.text)
    text = answer.text.strip()
    return Summary(text, estimate_tokens(text), charge)
