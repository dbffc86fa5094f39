"""One turn of a conversation: rounds of (stream -> tool calls -> results) until the model
answers without tools or tools.max_steps rounds have run.

    per round: context.fit (goshi/turn/keeper.py: compacts the view when it would pass the
    model's window) -> meter.guard (limits, before sending) -> meter.open (the ledger row, at the
    estimate, before sending) -> selector events -> output.write per delta (a "context exceeded"
    rejection: context.recover, the row reopened, sent again once) -> meter.charge (closes the
    row) -> the round's tool calls run and are stored with the answer (goshi/turn/toolround.py)
    -> next round -> output.finish (usage and cost summed over the rounds)

Ctrl-C, SIGTERM, SIGHUP or a cut stream keeps the partial answer, marked interrupted, and charges
for what arrived (goshi/signals.py). The store writes of a round are `held`: a signal waits until
they are whole. A store failure after the answer arrived finishes the output first (the answer
stays on stdout), then ends the turn with one StoreError line.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

from goshi.agent.turn import Answer, name_route, stream_answer
from goshi.cost.meter import Charge, estimate_prompt_tokens, usd
from goshi.errors import (
    BackendError,
    ContextExceeded,
    CostLimitError,
    GoshiError,
    Interrupted,
    RequestRejected,
    StoreError,
    ToolsUnsupported,
)
from goshi.llm.types import ChatRequest, Message
from goshi.record import record
from goshi.signals import held, hold, interrupted, release
from goshi.store.db import failure
from goshi.store.engine import sqlite3
from goshi.turn.ending import say_how_it_ended
from goshi.turn.keeper import ContextKeeper
from goshi.turn.parts import Parts
from goshi.turn.toolround import store_round
from goshi.ui.view import Output, TurnStart

log = logging.getLogger("goshi")


@record
class Outcome:
    """How a turn ended: the answer, what it cost, whether a fallback answered."""

    answer: Answer
    charge: Charge
    fallback: bool


class TurnRunner:
    def __init__(self, parts: Parts, context: ContextKeeper) -> None:
        self.s = parts
        self.context = context

    def run(
        self,
        question_id: int,
        messages: list[Message],
        out: Output,
        stream: bool,
        max_cost_usd: float | None,
    ) -> Outcome:
        """Rounds of (stream -> tool calls -> results) until the model answers without tools,
        or tools.max_steps rounds have run. `messages`: the view the question is asked in."""
        self.context.compacted = False
        backend, model = self.s.selector.primary_backend(), self.s.selector.primary_model()
        try:
            tools = self.s.tools.schemas() if self.s.settings.tools.enabled else []
        except KeyboardInterrupt:  # Ctrl-C while MCP servers start: nothing was sent
            self.s.store.set_status(question_id, "failed")
            raise Interrupted("interrupted while the MCP servers started", "ask again") from None
        total = Answer(backend=backend, model=model)  # what the user gets: every round's text
        charges: list[Charge] = []
        out.begin(
            TurnStart(
                backend,
                model,
                estimate_prompt_tokens(messages),
                self.s.meter.rate(backend, model),
                self.s.store.spent(cid=self.s.cid),
                self.s.selector.circuit_state(),
            )
        )
        for step in range(self.s.settings.tools.max_steps + 1):
            try:
                fitted = self.context.fit(messages, tools, max_cost_usd)
                messages, sent = fitted.view, fitted.sent
                out.context(fitted.use)
                cap = self.s.meter.guard(backend, model, sent, max_cost_usd, tools)
                cap = self.context.cap(cap, fitted)
            except (CostLimitError, ContextExceeded, Interrupted):
                self.s.store.set_status(question_id, "ok" if step else "failed")
                raise
            answer = Answer(backend=backend, model=model)
            request = ChatRequest(sent, model, stream, tools, cap)
            entry: int | None = None
            try:
                with held():
                    entry = self.s.meter.open(backend, model, sent, tools, cap)
                try:
                    tools = self._stream_round(request, answer, out, total)
                except RequestRejected as exc:
                    # too long for the model: compact once, send again once
                    refit = (
                        None
                        if answer.parts
                        else self.context.recover(exc, messages, sent, tools, max_cost_usd)
                    )
                    if refit is None:
                        raise
                    messages, sent = refit.view, refit.sent
                    out.context(refit.use)
                    request.messages = sent
                    with held():
                        self.s.meter.drop(entry)
                        entry = None
                        entry = self.s.meter.open(backend, model, sent, tools, cap)
                    try:
                        tools = self._stream_round(request, answer, out, total)
                    except RequestRejected as again:
                        if self.context.overflowed(again):
                            raise self.context.too_big(again) from None
                        raise
            except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, SIGHUP
                self._keep_partial(question_id, answer, messages, out, entry, total)
                raise interrupted(
                    exc, f"the partial answer is kept in conversation {self.s.cid}"
                ) from None
            except Interrupted:  # Ctrl-C while a summary was made: nothing was changed
                with held():
                    if entry is not None:
                        self.s.meter.drop(entry)
                    self.s.store.set_status(question_id, "ok" if step else "failed")
                raise
            except BackendError as exc:
                if answer.parts or step:
                    self._keep_partial(question_id, answer, messages, out, entry, total)
                    exc.message = f"{exc.message}, after {len(total.text)} characters of the answer"
                    exc.hint = f"the partial answer is kept in conversation {self.s.cid}"
                else:
                    with self._saving(total, out), held():
                        if entry is not None:
                            self.s.meter.drop(entry)
                        self.s.store.set_status(question_id, "failed")
                raise
            self._name_route(answer)
            with self._saving(total, out):
                with held():
                    charges.append(self._charge(answer, messages, entry))
                _log_usage(answer, self.s.cid, charges[-1])
                out.context(self.context.observe(sent, tools, answer.usage))
                _add_round(total, answer)
                calls = list(answer.tool_calls)
                last = step == self.s.settings.tools.max_steps
                if calls and last:
                    log.warning(
                        "stopped after %d tool rounds (tools.max_steps); ask again to let it go on",
                        step,
                    )
                try:
                    messages += store_round(
                        self.s, question_id, answer, calls, out, run_tools=not last
                    )
                except Interrupted:
                    self.s.store.set_status(question_id, "ok")
                    raise
            if not calls or last:
                break
        with self._saving(total, out):
            self.s.store.set_status(question_id, "ok")
        charge = _sum_charges(charges)
        out.finish(total, self.s.cid, self.s.selector.fallback, charge)
        say_how_it_ended(total, cap or self.s.settings.openai.max_tokens, self.s.cid)
        return Outcome(total, charge, self.s.selector.fallback)

    @contextlib.contextmanager
    def _saving(self, total: Answer, out: Output, finished: bool = False) -> Iterator[None]:
        """Store writes after text reached the user: if the store fails, the output is finished
        first (the answer stays on stdout), then one line says what happened."""
        try:
            yield
        except sqlite3.Error as exc:
            with contextlib.suppress(Exception):
                if total.parts and not finished:
                    out.finish(total, self.s.cid, self.s.selector.fallback, None)
                elif not finished:
                    out.finish_partial()
            raise self._unsaved(exc, bool(total.parts)) from None

    def _unsaved(self, exc: sqlite3.Error, answered: bool) -> GoshiError:
        error = failure(exc, self.s.store.path)
        if isinstance(exc, sqlite3.IntegrityError) and "FOREIGN KEY" in str(exc):
            error = StoreError(
                f"conversation {self.s.cid} was removed (goshi history rm) during the answer",
                "its cost is in `goshi cost`; ask again to start a new conversation",
            )
        if answered:
            error.message = f"the answer above is not saved: {error.message}"
        return error

    def _stream_round(
        self, request: ChatRequest, answer: Answer, out: Output, total: Answer
    ) -> list[dict[str, Any]]:
        """Stream one round into `answer`; a model that takes no tools gets the request again
        without them. Returns the tools the next rounds offer."""
        for attempt in ("with tools", "without"):
            try:
                events = self.s.selector.stream(request)
                stream_answer(events, answer, self._announcing(out, total), out.reasoning)
                break
            except ToolsUnsupported as exc:
                if attempt == "without" or not request.tools or answer.parts:
                    raise
                log.warning("%s; answering without tools", exc.message)
                request.tools = []
        return request.tools

    def _announcing(self, out: Output, total: Answer) -> Callable[[str], None]:
        """out.write, telling the output first whenever the selector changes route, and
        separating this round's text from an earlier round's by a blank line."""
        shown: list[object] = [None]
        write, parts = out.write, total.parts
        first = [bool(parts)]

        def on_text(delta: str) -> None:
            used = self.s.selector.used
            if used is not shown[0] and used is not None:
                shown[0] = used
                out.route(used.backend.name, used.model, self.s.selector.fallback)
            if first[0]:
                first[0] = False
                parts.append("\n\n")
                write("\n\n")
            hold()  # a signal between the two would store text that stdout never got
            try:
                parts.append(delta)
                write(delta)
            finally:
                release()

        return on_text

    def _name_route(self, answer: Answer) -> None:
        name_route(answer, self.s.selector.used)

    def _charge(self, answer: Answer, messages: list[Message], entry: int | None) -> Charge:
        """Close the round's ledger row with what the server reported (or an estimate)."""
        return self.s.meter.charge(
            answer.backend,
            answer.model,
            answer.usage,
            messages,
            answer.text,
            answer.service_tier,
            entry=entry,
        )

    def _keep_partial(
        self,
        question_id: int,
        answer: Answer,
        messages: list[Message],
        out: Output,
        entry: int | None,
        total: Answer,
    ) -> None:
        """A cut or interrupted answer: keep what arrived, and charge for it (estimated when
        the server sent no usage). The output is ended first: the terminal may be gone."""
        self._name_route(answer)
        with contextlib.suppress(Exception):
            out.finish_partial()
        with self._saving(total, out, finished=True), held():
            if answer.parts:
                self.s.store.add_message(
                    self.s.cid,
                    Message("assistant", answer.text, reasoning=answer.reasoning),
                    "interrupted",
                    backend=answer.backend,
                    model=answer.model,
                    usage=answer.usage,
                    refusal=answer.refusal,
                    question_id=question_id,
                )
                self._charge(answer, messages, entry)
            elif entry is not None:
                self.s.meter.drop(entry)
            self.s.store.set_status(question_id, "ok")


def _add_round(total: Answer, answer: Answer) -> None:
    """Fold one round into the turn's answer (its text already went in as it streamed)."""
    total.backend, total.model = answer.backend, answer.model
    total.finish_reason, total.complete = answer.finish_reason, answer.complete
    total.refusal = total.refusal or answer.refusal
    total.thinking += answer.thinking
    total.thought_s += answer.thought_s
    if answer.usage is not None:
        total.usage = answer.usage if total.usage is None else total.usage + answer.usage


def _sum_charges(charges: list[Charge]) -> Charge:
    known = [c.cost for c in charges if c.cost is not None]
    return Charge(
        sum(known) if known else None,
        charges[-1].session,
        any(c.estimated for c in charges),
    )


def _log_usage(answer: Answer, cid: int, charge: Charge) -> None:
    usage = answer.usage
    log.info(
        "usage conversation=%d backend=%s model=%s prompt_tokens=%s completion_tokens=%s"
        " cached_tokens=%s cost_usd=%s%s finish=%s",
        cid,
        answer.backend,
        answer.model,
        usage.prompt_tokens if usage else "?",
        usage.completion_tokens if usage else "?",
        usage.cached_tokens if usage else "?",
        "?" if charge.cost is None else f"{usd(charge.cost):.9f}",
        " (estimated)" if charge.estimated else "",
        answer.finish_reason,
    )
