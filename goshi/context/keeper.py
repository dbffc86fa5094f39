"""The context keeper of one conversation: what is sent, and that it fits.

    view(system)     system prompt (+ the last compaction's summary, or a note that old turns
                     were left out) + the stored messages after the compaction's mark
    fit(view)        before each request (goshi/agent/runner.py): window known and the view too
                     big -> a plan (goshi/context/fit.py) -> old turns folded: a summary request
                     (goshi/context/summary.py) or left out -> a compaction recorded in the store
                     -> a note saying what was done (one stderr line, or a line in the chat)
    recover(error)   a "context exceeded" rejection (goshi/context/overflow.py): the window it
                     names is remembered, the view compacted once, and the request sent again once
    observe(usage)   after an answer: the server's prompt_tokens calibrate the count

The stored messages never change; `goshi history show` marks each compaction.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from goshi.context import count
from goshi.context.fit import Plan, TooBig, fit, split_turns
from goshi.context.overflow import overflow
from goshi.context.window import RATIO, Window, WindowFinder, server_of
from goshi.cost.meter import format_usd
from goshi.errors import ContextExceeded, RequestRejected
from goshi.llm.types import Message, Usage
from goshi.record import record
from goshi.store import Compaction
from goshi.ui.output import ContextUse, human_tokens

if TYPE_CHECKING:
    from goshi.session import Session

log = logging.getLogger("goshi")

SUMMARY_CAP = 1024  # tokens a summary may take, at most (and an eighth of the window)
DROP_NOTE = 40  # tokens the "left out" note takes
DEFAULT_RESERVE = 4096  # tokens kept for the answer when openai.max_tokens says nothing


@record
class Fitted:
    view: list[Message]  # the conversation as the model now sees it, tool results whole
    sent: list[Message]  # what this request sends: the view with old tool results shortened
    use: ContextUse


class ContextKeeper:
    def __init__(self, session: Session) -> None:
        self.s = session
        self.finder = WindowFinder(session.settings, session.store, session.meter.table)
        self._window: dict[tuple[str, str], Window | None] = {}
        self._ratio: dict[tuple[str, str], float] = {}
        self.system: str | None = None
        self.compacted = False  # this turn compacted the view

    # --- what is known ---------------------------------------------------------------------

    def route(self) -> tuple[str, str]:
        return self.s.selector.primary_backend(), self.s.selector.primary_model()

    def window(self) -> Window | None:
        key = self.route()
        if key not in self._window:
            self._window[key] = self.finder.find(*key)
        return self._window[key]

    def counter(self) -> count.Counter:
        key = self.route()
        if key not in self._ratio:
            fact = self.s.store.model_fact(server_of(self.s.settings, key[0]), key[1], RATIO)
            self._ratio[key] = fact[0] if fact and fact[0] else 1.0
        return count.Counter(self._ratio[key])

    def reserve(self, window: int) -> int:
        """Tokens kept free for the answer."""
        c = self.s.settings.context
        if c.reserve_tokens is not None:
            return c.reserve_tokens
        return min(self.s.settings.openai.max_tokens or DEFAULT_RESERVE, window // 4)

    def budget(self, window: int, tools: list[dict[str, Any]]) -> int:
        return window - self.reserve(window) - count.tools_bound(tools)

    def summary_cap(self, window: int) -> int:
        return min(SUMMARY_CAP, max(64, window // 8))

    # --- the view ----------------------------------------------------------------------------

    def view(self, system: str | None) -> list[Message]:
        """What is sent before fitting: the system prompt with the last compaction's summary,
        and the stored messages after it."""
        self.system = system
        last = self.s.store.last_compaction(self.s.cid)
        after = last.upto_message_id if last else 0
        return self._head(last) + self.s.store.history(self.s.cid, after)

    def _head(self, last: Compaction | None) -> list[Message]:
        parts = [self.system] if self.system else []
        if last is not None and last.summary:
            parts.append(
                f"Summary of the {last.turns} earliest turns of this conversation, made to fit "
                f"the context window:\n{last.summary}"
            )
        elif last is not None:
            parts.append(
                f"The {last.turns} earliest turns of this conversation were left out to fit "
                "the context window."
            )
        return [Message("system", "\n\n".join(parts))] if parts else []

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
        counter = self.counter()
        window = self.window()
        extra = count.tools_bound(tools)
        if window is None and budget is None:
            return Fitted(view, view, ContextUse(counter.count(view) + extra, None))
        if window is not None:
            limit = self.budget(window.tokens, tools)
            budget = limit if budget is None else min(budget, limit)
        assert budget is not None
        size = window.tokens if window else budget
        summarize = self.s.settings.context.strategy == "summarize"
        reserve = self.summary_cap(size) if summarize else DROP_NOTE
        plan = fit(
            view,
            budget,
            counter.count,
            keep=self.s.settings.context.keep_turns,
            fold_reserve=reserve,
            force=force,
            has_question=has_question,
        )
        before = plan.before + extra
        if not plan.folded and not plan.shortened:
            return Fitted(view, view, ContextUse(before, size))
        done = [f"shortened {plan.shortened} old tool results"] if plan.shortened else []
        head = plan.head
        if plan.folded:
            head, said = self._fold(plan, budget, max_cost_usd)
            done.append(said)
        _, turns = split_turns(view)
        new_view = head + [m for turn in turns[len(plan.folded) :] for m in turn]
        sent = head + [m for turn in plan.kept for m in turn]
        note = f"context {before * 100 // size}% of {human_tokens(size)}: {', '.join(done)}"
        log.info("%s", note)
        self.compacted = True
        after = counter.count(sent) + count.tools_bound(tools)
        return Fitted(new_view, sent, ContextUse(after, size, compacted=True, note=note))

    def _fold(
        self, plan: Plan, budget: int, max_cost_usd: float | None
    ) -> tuple[list[Message], str]:
        """Fold the plan's oldest turns: a summary, or left out. Recorded in the store."""
        upto = plan.folded_upto
        last = self.s.store.last_compaction(self.s.cid)
        turns = len(plan.folded) + (last.turns if last else 0)
        n = len(plan.folded)
        if self.s.settings.context.strategy == "drop":
            if upto is not None:
                self.s.store.add_compaction(self.s.cid, upto, "drop", turns, None, 0, 0)
            return self._head(self.s.store.last_compaction(self.s.cid)), f"left out {n} old turns"
        from goshi.context.summary import summarize

        window = self.window()
        made = summarize(
            self.s,
            last.summary if last else None,
            plan.folded,
            window_budget=budget if window is None else window.tokens,
            cap=self.summary_cap(window.tokens if window else budget),
            max_cost_usd=max_cost_usd,
        )
        if upto is not None:
            self.s.store.add_compaction(
                self.s.cid, upto, "summarize", turns, made.text, made.tokens, made.charge.cost
            )
        said = (
            f"folded {n} old turns into a summary ({human_tokens(made.tokens)} tokens, "
            f"{format_usd(made.charge.cost)})"
        )
        return self._head(self.s.store.last_compaction(self.s.cid)), said

    def cap(self, cap: int | None, fitted: Fitted) -> int | None:
        """The answer's cap, lowered so that prompt + cap fit the window: OpenAI and vLLM
        refuse a max_tokens the window cannot hold."""
        window = self.window()
        if self.route()[0] == "openai":
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
        backend, model = self.route()
        if said.window:
            self.finder.learn(backend, model, said.window)
            self._window[(backend, model)] = Window(said.window, "learned from the server's error")
        self._ratio[(backend, model)] = 1.0  # the calibrated count fell short: use the bound
        shrink = (count.Counter().count(sent) + count.tools_bound(tools)) * 3 // 4
        try:
            return self.fit(view, tools, max_cost_usd, force=True, budget=shrink)
        except TooBig as exc:
            raise self.too_big(error, exc.tokens, exc.budget) from None

    def overflowed(self, error: RequestRejected) -> bool:
        return overflow(error.message) is not None

    def too_big(
        self, error: RequestRejected, tokens: int | None = None, budget: int | None = None
    ) -> ContextExceeded:
        """The request does not fit even with the history compacted: say by how much."""
        said = overflow(error.message)
        window = self.window()
        model = self.route()[1]
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
            "shorten the question or what it pastes, or use a model with a larger window",
            backend=error.backend,
        )

    # --- after an answer ----------------------------------------------------------------------

    def observe(
        self, sent: list[Message], tools: list[dict[str, Any]], usage: Usage | None
    ) -> ContextUse:
        """The server's count of this request calibrates the next ones; the footer's figure."""
        window = self.window()
        bound = count.Counter().count(sent) + count.tools_bound(tools)
        if usage is None or usage.prompt_tokens <= 0:
            estimate = self.counter().scale(bound)
            return ContextUse(estimate, window.tokens if window else None, self.compacted)
        used = self.s.selector.used
        if used is not None and not self.s.selector.fallback:
            ratio = count.learned_ratio(usage.prompt_tokens, bound)
            if ratio is not None:
                key = (used.backend.name, used.model)
                self._ratio[key] = ratio
                server = server_of(self.s.settings, key[0])
                self.s.store.set_model_fact(server, key[1], RATIO, ratio)
        tokens = usage.prompt_tokens + usage.completion_tokens
        return ContextUse(tokens, window.tokens if window else None, self.compacted, False)

    # --- /compact and /context ----------------------------------------------------------------

    def compact(self, max_cost_usd: float | None) -> str:
        view = self.view(self.system)
        _, turns = split_turns(view)
        keep = self.s.settings.context.keep_turns
        if len(turns) <= keep:
            return f"nothing to compact: {len(turns)} turns, and the last {keep} always go"
        window = self.window()
        budget = self.budget(window.tokens, []) if window else count.Counter().count(view) * 3 // 4
        fitted = self.fit(view, [], max_cost_usd, force=True, budget=budget, has_question=False)
        return f"{fitted.use.note}\n{self.describe(fitted.view)}".lstrip()

    def describe(self, view: list[Message] | None = None) -> str:
        """What is sent: the window, the summary, the turns, the tokens."""
        view = self.view(self.system) if view is None else view
        window = self.window()
        last = self.s.store.last_compaction(self.s.cid)
        _, turns = split_turns(view)
        tokens = self.counter().count(view)
        if window is not None:
            said = f"window: {window.tokens:,} tokens ({window.source})"
        elif self.route()[0] == "ollama":
            said = "window: not known: Ollama does not say the num_ctx in use; set ollama.num_ctx"
        else:
            said = "window: not known (name it under context.windows in goshi.yaml)"
        lines = [said]
        if last is not None and last.summary:
            lines.append(
                f"summary: {last.turns} earlier turns in {human_tokens(last.tokens)} tokens"
                f" ({format_usd(last.cost_pico)})"
            )
        elif last is not None:
            lines.append(f"left out: {last.turns} earlier turns")
        lines.append(f"sent: {len(turns)} turns, {len(view)} messages, ~{tokens:,} tokens")
        if window:
            lines.append(ContextUse(tokens, window.tokens).label())
        return "\n".join(lines)
