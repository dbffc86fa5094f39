"""A conversation being had: one question at a time through the meter, the selector and the store.

    question -> store (pending) -> meter.guard (limits, before sending) -> selector events
    -> output.write per delta -> answer -> meter.charge (ledger) -> store (answer) -> output.finish

`goshi ask` runs one turn, `goshi chat` many. Ctrl-C or a cut stream keeps the partial answer,
marked interrupted, and charges for what arrived.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from goshi.agent.turn import Answer, stream_answer
from goshi.config import Settings
from goshi.cost.meter import Charge, Meter, estimate_prompt_tokens, usd
from goshi.errors import BackendError, CostLimitError, Interrupted, UsageError
from goshi.llm.select import Selector
from goshi.llm.types import ChatRequest, Message
from goshi.store import Conversation, Store
from goshi.ui.output import Output, TurnStart

log = logging.getLogger("goshi")


@dataclass
class Outcome:
    answer: Answer
    charge: Charge
    fallback: bool


class Session:
    def __init__(self, settings: Settings, store: Store, conversation: Conversation) -> None:
        self.settings = settings
        self.store = store
        self.conversation = conversation
        self.selector = Selector(settings, store)
        self.meter = Meter(settings, store, conversation.id)

    @classmethod
    def open(
        cls,
        settings: Settings,
        store: Store,
        *,
        cid: int | None = None,
        continue_last: bool = False,
    ) -> Session:
        conversation = None
        if cid is not None:
            conversation = store.conversation(cid)
        elif continue_last:
            conversation = store.last_conversation()
        if conversation is None:
            model = Selector(settings, store).primary_model()
            conversation = store.new_conversation(model, settings.backend, settings.system)
        return cls(settings, store, conversation)

    @property
    def cid(self) -> int:
        return self.conversation.id

    def new_conversation(self) -> None:
        model = self.selector.primary_model()
        self.conversation = self.store.new_conversation(
            model, self.settings.backend, self.settings.system
        )
        self.meter = Meter(self.settings, self.store, self.conversation.id)

    def messages(self) -> list[Message]:
        """What is sent: the system prompt (a flag's, else the conversation's) and the history."""
        system = self.settings.system
        if self.settings.source("system") != "--system":
            system = self.conversation.system or system
        head = [Message("system", system)] if system else []
        return head + self.store.history(self.cid)

    def ask(
        self, prompt: str, out: Output, *, stream: bool = True, max_cost_usd: float | None = None
    ) -> Outcome:
        question_id = self.store.add_message(self.cid, Message("user", prompt), "pending")
        return self._answer(question_id, out, stream, max_cost_usd)

    def retry(
        self, out: Output, *, stream: bool = True, max_cost_usd: float | None = None
    ) -> Outcome:
        """Ask the last question again; the answer it replaces is kept but no longer sent."""
        question_id = self.store.reopen_last_question(self.cid)
        if question_id is None:
            raise UsageError("nothing to retry yet", "ask something first")
        return self._answer(question_id, out, stream, max_cost_usd)

    def _answer(
        self, question_id: int, out: Output, stream: bool, max_cost_usd: float | None
    ) -> Outcome:
        messages = self.messages()
        backend, model = self.selector.primary_backend(), self.selector.primary_model()
        try:
            cap = self.meter.guard(backend, model, messages, max_cost_usd)
        except CostLimitError:
            self.store.set_status(question_id, "failed")
            raise
        answer = Answer(backend=backend, model=model)
        request = ChatRequest(messages=messages, model=model, stream=stream, max_tokens=cap)
        out.begin(
            TurnStart(
                backend,
                model,
                estimate_prompt_tokens(messages),
                self.meter.rate(backend, model),
                self.store.spent(cid=self.cid),
                self.selector.circuit_state(),
            )
        )
        try:
            stream_answer(self.selector.stream(request), answer, self._announcing(out))
        except KeyboardInterrupt:
            self._keep_partial(question_id, answer, messages, out)
            raise Interrupted(
                "interrupted", f"the partial answer is kept in conversation {self.cid}"
            ) from None
        except BackendError as exc:
            if answer.parts:
                self._keep_partial(question_id, answer, messages, out)
                exc.message = f"{exc.message}, after {len(answer.text)} characters of the answer"
                exc.hint = f"the partial answer is kept in conversation {self.cid}"
            else:
                self.store.set_status(question_id, "failed")
            raise
        self._name_route(answer)
        charge = self.meter.charge(
            answer.backend, answer.model, answer.usage, messages, answer.text
        )
        self.store.add_message(
            self.cid,
            Message("assistant", answer.text, list(answer.tool_calls)),
            "ok",
            backend=answer.backend,
            model=answer.model,
            usage=answer.usage,
        )
        self.store.set_status(question_id, "ok")
        _log_usage(answer, self.cid, charge)
        out.finish(answer, self.cid, self.selector.fallback, charge)
        return Outcome(answer, charge, self.selector.fallback)

    def _announcing(self, out: Output) -> Callable[[str], None]:
        """out.write, telling the output first whenever the selector changes route."""
        shown: list[object] = [None]
        write = out.write

        def on_text(delta: str) -> None:
            used = self.selector.used
            if used is not shown[0] and used is not None:
                shown[0] = used
                out.route(used.backend.name, used.model, self.selector.fallback)
            write(delta)

        return on_text

    def _name_route(self, answer: Answer) -> None:
        """The answer is from whichever backend the selector ended up using."""
        if self.selector.used is not None:
            answer.backend = self.selector.used.backend.name
            if not answer.complete:
                answer.model = self.selector.used.model

    def _keep_partial(
        self, question_id: int, answer: Answer, messages: list[Message], out: Output
    ) -> None:
        """A cut or interrupted answer: keep what arrived, and charge for it."""
        self._name_route(answer)
        self.store.add_message(
            self.cid,
            Message("assistant", answer.text),
            "interrupted",
            backend=answer.backend,
            model=answer.model,
            usage=answer.usage,
        )
        self.store.set_status(question_id, "ok")
        if answer.parts:
            self.meter.charge(answer.backend, answer.model, answer.usage, messages, answer.text)
        out.finish_partial()


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
