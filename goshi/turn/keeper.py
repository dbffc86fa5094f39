"""The context keeper of one conversation: what is sent, and that it fits.

    view(system)     the head (goshi/turn/compaction.py: system prompt + the project's
                     AGENTS.md files (goshi/context/instructions.py, read once) + the last
                     compaction's summary, or a note that old turns were left out) + the stored
                     messages after the compaction's mark; the head is never folded
    fit(view)        before each request (goshi/turn/runner.py): window known (goshi/turn/
                     measure.py) and the view too big -> a plan (goshi/context/fit.py) -> old
                     turns folded (goshi/turn/compaction.py) -> a note saying what was done (one
                     stderr line, or a line in the chat)
    recover(error)   a "context exceeded" rejection (goshi/context/overflow.py): the window it
                     names is remembered, the view compacted once, and the request sent again once
    observe(usage)   after an answer: the server's prompt_tokens calibrate the count

The stored messages never change; `goshi history show` marks each compaction.
"""

from __future__ import annotations

import logging
from typing import Any

from goshi.context import count
from goshi.context.fit import TooBig, fit, split_turns
from goshi.context.instructions import Instruction, as_system, read
from goshi.context.overflow import overflow
from goshi.cost.meter import format_usd
from goshi.errors import ContextExceeded, RequestRejected
from goshi.llm.types import Message, Usage
from goshi.record import record
from goshi.turn.compaction import fold, head
from goshi.turn.measure import Measure
from goshi.turn.parts import Parts
from goshi.ui.view import ContextUse, human_tokens
from goshi.words import counted

log = logging.getLogger("goshi")

DROP_NOTE = 40  # tokens the "left out" note takes


@record
class Fitted:
    view: list[Message]  # the conversation as the model now sees it, tool results whole
    sent: list[Message]  # what this request sends: the view with old tool results shortened
    use: ContextUse


class ContextKeeper:
    def __init__(self, parts: Parts) -> None:
        self.s = parts
        self.measure = Measure(parts)
        self.system: str | None = None
        self.compacted = False  # this turn compacted the view
        self._instructions: list[Instruction] | None = None

    # --- the view ----------------------------------------------------------------------------

    def view(self, system: str | None, question: int | None = None) -> list[Message]:
        """What is sent before fitting: the system prompt with the last compaction's summary,
        and the stored messages after it; of the questions still pending, only `question`
        (the others are other processes' to answer)."""
        self.system = system
        last = self.s.store.last_compaction(self.s.cid)
        after = last.upto_message_id if last else 0
        return head(self.prompt(), last) + self.s.store.history(self.s.cid, after, question)

    def instructions(self) -> list[Instruction]:
        """The AGENTS.md files this conversation sends: read before its first request."""
        if self._instructions is None:
            self._instructions = read(self.s.settings)
        return self._instructions

    def prompt(self) -> str | None:
        """The system prompt, then the project's instructions."""
        parts = [self.system] if self.system else []
        if found := self.instructions():
            parts.append(as_system(found))
        return "\n\n".join(parts) or None

    # --- fitting ------------------------------------------------------------------------------

    def fit(
        self,
        view: list[Message],
        tools: list[dict[str, Any]],
        max_cost_usd: float | None,
        *,
        force: bool = False,
        budget: int | None = None,
        has_question: bool = True,
    ) -> Fitted:
        m = self.measure
        counter = m.counter()
        window = m.window()
        extra = count.tools_bound(tools)
        if window is None and budget is None:
            return Fitted(view, view, ContextUse(counter.count(view) + extra, None))
        if window is not None:
            limit = m.budget(window.tokens, tools)
            budget = limit if budget is None else min(budget, limit)
        assert budget is not None
        size = window.tokens if window else budget
        summarize = self.s.settings.context.strategy == "summarize"
        reserve = m.summary_cap(size) if summarize else DROP_NOTE
        try:
            plan = fit(
                view,
                budget,
                counter.count,
                keep=self.s.settings.context.keep_turns,
                fold_reserve=reserve,
                force=force,
                has_question=has_question,
            )
        except TooBig as exc:
            if force:  # recover() names the server's own numbers
                raise
            raise self.too_big(None, exc.tokens, exc.budget) from None
        before = plan.before + extra
        if not plan.folded and not plan.shortened:
            return Fitted(view, view, ContextUse(before, size))
        done = [f"shortened {plan.shortened} old tool results"] if plan.shortened else []
        first = plan.head
        if plan.folded:
            first, said = fold(self.s, m, self.prompt(), plan, budget, max_cost_usd)
            done.append(said)
        _, turns = split_turns(view)
        new_view = first + [msg for turn in turns[len(plan.folded) :] for msg in turn]
        sent = first + [msg for turn in plan.kept for msg in turn]
        note = f"context {before * 100 // size}% of {human_tokens(size)}: {', '.join(done)}"
        log.info("%s", note)
        self.compacted = True
        after = counter.count(sent) + count.tools_bound(tools)
        return Fitted(new_view, sent, ContextUse(after, size, compacted=True, note=note))

    def cap(self, cap: int | None, fitted: Fitted) -> int | None:
        """The answer's cap, lowered so that prompt + cap fit the window: OpenAI and vLLM
        refuse a max_tokens the window cannot hold."""
        window = self.measure.window()
        if self.measure.route()[0] == "openai":
            cap = cap or self.s.settings.openai.max_tokens
        if cap is None or window is None:
            return cap
        return max(1, min(cap, window.tokens - fitted.use.tokens))

    # --- when the server says no --------------------------------------------------------------

    def recover(
        self,
        error: RequestRejected,
        view: list[Message],
        sent: list[Message],
        tools: list[dict[str, Any]],
        max_cost_usd: float | None,
    ) -> Fitted | None:
        """A "context exceeded" rejection: remember the window it names, compact, and say what
        to send again. None when the rejection is about something else."""
        said = overflow(error.message)
        if said is None:
            return None
        self.measure.learn(said.window)
        shrink = (count.Counter().count(sent) + count.tools_bound(tools)) * 3 // 4
        try:
            return self.fit(view, tools, max_cost_usd, force=True, budget=shrink)
        except TooBig as exc:
            raise self.too_big(error, exc.tokens, exc.budget) from None

    def overflowed(self, error: RequestRejected) -> bool:
        return overflow(error.message) is not None

    def too_big(
        self, error: RequestRejected | None, tokens: int | None = None, budget: int | None = None
    ) -> ContextExceeded:
        """The request does not fit even with the history compacted: say by how much. With no
        error, goshi found it out before sending: nothing was sent."""
        said = overflow(error.message) if error else None
        window = self.measure.window()
        backend, model = self.measure.route()
        if said is not None and said.asked and said.window:
            by = f"{said.asked - said.window:,} tokens over the window of {said.window:,}"
        elif tokens is not None and budget is not None:
            by = f"about {tokens - budget:,} tokens over the {budget:,} the window leaves for it"
        elif window is not None:
            by = f"over the window of {window.tokens:,} tokens"
        else:
            by = "over the context window"
        return ContextExceeded(
            f"the question does not fit {model}'s context window even with the history"
            f" compacted: {by}",
            "shorten the question or what it pastes, or use a model with a larger window"
            + ("" if error else "; nothing was sent"),
            backend=error.backend if error else backend,
        )

    # --- after an answer ----------------------------------------------------------------------

    def observe(
        self, sent: list[Message], tools: list[dict[str, Any]], usage: Usage | None
    ) -> ContextUse:
        """The server's count of this request calibrates the next ones; the footer's figure."""
        window = self.measure.window()
        bound = count.Counter().count(sent) + count.tools_bound(tools)
        if usage is None or usage.prompt_tokens <= 0:
            estimate = self.measure.counter().scale(bound)
            return ContextUse(estimate, window.tokens if window else None, self.compacted)
        self.measure.calibrate(usage.prompt_tokens, bound)
        tokens = usage.prompt_tokens + usage.completion_tokens
        return ContextUse(tokens, window.tokens if window else None, self.compacted, False)

    # --- /compact and /context ----------------------------------------------------------------

    def compact(self, max_cost_usd: float | None) -> str:
        view = self.view(self.system)
        _, turns = split_turns(view)
        keep = self.s.settings.context.keep_turns
        if len(turns) <= keep:
            return (
                f"nothing to compact: {counted(len(turns), 'turn')}, and the last {keep} always go"
            )
        window = self.measure.window()
        budget = (
            self.measure.budget(window.tokens, [])
            if window
            else count.Counter().count(view) * 3 // 4
        )
        fitted = self.fit(view, [], max_cost_usd, force=True, budget=budget, has_question=False)
        return f"{fitted.use.note}\n{self.describe(fitted.view)}".lstrip()

    def describe(self, view: list[Message] | None = None) -> str:
        """What is sent: the window, the summary, the turns, the tokens."""
        view = self.view(self.system) if view is None else view
        window = self.measure.window()
        last = self.s.store.last_compaction(self.s.cid)
        _, turns = split_turns(view)
        tokens = self.measure.counter().count(view)
        if window is not None:
            said = f"window: {window.tokens:,} tokens ({window.source})"
        elif self.measure.route()[0] == "ollama":
            said = "window: not known: Ollama does not say the num_ctx in use; set ollama.num_ctx"
        else:
            said = "window: not known (name it under context.windows in goshi.yaml)"
        lines = [said]
        for found in self.instructions():
            size = self.measure.counter().count([Message("system", found.section())])
            cut = ", cut" if found.cut else ""
            lines.append(f"instructions: {found.label} (~{size:,} tokens{cut})")
        if last is not None and last.summary:
            lines.append(
                f"summary: {counted(last.turns, 'earlier turn')} in"
                f" {human_tokens(last.tokens)} tokens ({format_usd(last.cost_pico)})"
            )
        elif last is not None:
            lines.append(f"left out: {counted(last.turns, 'earlier turn')}")
        sent = f"{counted(len(turns), 'turn')}, {counted(len(view), 'message')}"
        lines.append(f"sent: {sent}, ~{tokens:,} tokens")
        if window:
            lines.append(ContextUse(tokens, window.tokens).label())
        return "\n".join(lines)
