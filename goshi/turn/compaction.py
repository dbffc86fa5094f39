"""Folding a conversation's oldest turns, and what stands for them afterwards:

    fold(plan)   context.strategy drop: the turns are left out; summarize: a summary request
                 (goshi/turn/summary.py) -> either way a compaction recorded in the store
                 (goshi/store/context.py), and the new head with a line saying what was done
    head(system) the system message: the system prompt + the last compaction's summary, or a
                 note that old turns were left out

The stored messages never change; `goshi history show` marks each compaction.
"""

from __future__ import annotations

from goshi.context.fit import Plan
from goshi.cost.meter import format_usd
from goshi.llm.types import Message
from goshi.store import Compaction
from goshi.turn.measure import Measure
from goshi.turn.parts import Parts
from goshi.ui.view import human_tokens
from goshi.words import counted


def head(system: str | None, last: Compaction | None) -> list[Message]:
    """The system message: the system prompt and what stands for the folded turns."""
    parts = [system] if system else []
    if last is not None and last.summary:
        parts.append(
            f"Summary of the {counted(last.turns, 'earliest turn')} of this conversation, made to"
            f" fit the context window:\n{last.summary}"
        )
    elif last is not None:
        parts.append(
            f"The {counted(last.turns, 'earliest turn')} of this conversation were left out to fit "
            "the context window."
        )
    return [Message("system", "\n\n".join(parts))] if parts else []


def fold(
    p: Parts,
    measure: Measure,
    system: str | None,
    plan: Plan,
    budget: int,
    max_cost_usd: float | None,
) -> tuple[list[Message], str]:
    """Fold the plan's oldest turns: a summary, or left out. Recorded in the store; returns
    the new head and what was done."""
    upto = plan.folded_upto
    last = p.store.last_compaction(p.cid)
    turns = len(plan.folded) + (last.turns if last else 0)
    n = len(plan.folded)
    if p.settings.context.strategy == "drop":
        if upto is not None:
            p.store.add_compaction(p.cid, upto, "drop", turns, None, 0, 0)
        return head(system, p.store.last_compaction(p.cid)), f"left out {counted(n, 'old turn')}"
    from goshi.turn.summary import summarize  # most answers never fold: loaded when one does

    window = measure.window()
    made = summarize(
        p.selector,
        p.meter,
        last.summary if last else None,
        plan.folded,
        window_budget=budget if window is None else window.tokens,
        cap=measure.summary_cap(window.tokens if window else budget),
        max_cost_usd=max_cost_usd,
    )
    if upto is not None:
        p.store.add_compaction(
            p.cid, upto, "summarize", turns, made.text, made.tokens, made.charge.cost
        )
    said = (
        f"folded {counted(n, 'old turn')} into a summary ({human_tokens(made.tokens)} tokens, "
        f"{format_usd(made.charge.cost)})"
    )
    return head(system, p.store.last_compaction(p.cid)), said
