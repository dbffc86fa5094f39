"""`goshi ask`: one question, one answer, for terminals and shell scripts.

prompt + piped stdin -> settings -> store: the question saved (pending) -> backend events, retried
-> output (pipe | terminal | json) -> store: the answer saved -> usage logged -> exit code.
Expected failures are raised as GoshiError and turned into one stderr line by the CLI.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field

from goshi import config
from goshi.agent.turn import Answer, stream_answer
from goshi.cost.meter import Charge, Meter, usd
from goshi.errors import BackendError, CostLimitError, Interrupted, UsageError
from goshi.llm.select import Selector
from goshi.llm.types import ChatRequest, Message
from goshi.store import Conversation, Store
from goshi.ui import output

log = logging.getLogger("goshi")


@dataclass
class AskOptions:
    words: list[str] = field(default_factory=list)
    config_file: str | None = None
    overrides: config.Overrides = field(default_factory=config.Overrides)
    continue_last: bool = False
    cid: int | None = None
    stream: bool = True
    as_json: bool = False
    yes: bool = False
    max_cost_usd: float | None = None


def compose_prompt(words: list[str], piped: str | None) -> str:
    """`cmd | goshi ask "summarize"`: the piped text, a blank line, then the instruction."""
    prompt = " ".join(words).strip()
    piped = (piped or "").strip("\n")
    if piped and prompt:
        return f"{piped}\n\n{prompt}"
    if piped or prompt:
        return piped or prompt
    raise UsageError("nothing to ask", 'give a prompt (goshi ask "...") or pipe text on stdin')


def read_piped_stdin() -> str | None:
    if sys.stdin is None or sys.stdin.isatty():
        return None
    return sys.stdin.buffer.read().decode("utf-8", errors="replace")


def run(opts: AskOptions) -> int:
    prompt = compose_prompt(opts.words, read_piped_stdin())
    settings = config.load(opts.config_file, opts.overrides)
    store = Store()
    selector = Selector(settings, store)
    model = selector.primary_model()
    conv = _conversation(opts, settings, store, model)
    system = settings.system if settings.source("system") == "--system" else conv.system
    system = system or settings.system
    messages = [Message("system", system)] if system else []
    messages += store.history(conv.id)
    question = Message("user", prompt)
    messages.append(question)
    question_id = store.add_message(conv.id, question, "pending")

    meter = Meter(settings, store, conv.id)
    try:
        cap = meter.guard(selector.primary_backend(), model, messages, opts.max_cost_usd)
    except CostLimitError:
        store.set_status(question_id, "failed")
        raise
    out = output.choose(opts.as_json)
    answer = Answer(backend=selector.primary_backend(), model=model)
    request = ChatRequest(messages=messages, model=model, stream=opts.stream, max_tokens=cap)
    try:
        stream_answer(selector.stream(request), answer, out.write)
    except KeyboardInterrupt:
        _keep_partial(store, meter, conv.id, question_id, answer, selector, messages, out)
        raise Interrupted(
            "interrupted", f"the partial answer is kept in conversation {conv.id}"
        ) from None
    except BackendError as exc:
        if answer.parts:
            _keep_partial(store, meter, conv.id, question_id, answer, selector, messages, out)
            exc.message = f"{exc.message}, after {len(answer.text)} characters of the answer"
            exc.hint = f"the partial answer is kept in conversation {conv.id}; ask again with -c"
        else:
            store.set_status(question_id, "failed")
        raise
    _name_route(answer, selector)
    charge = meter.charge(answer.backend, answer.model, answer.usage, messages, answer.text)
    store.add_message(
        conv.id,
        Message("assistant", answer.text, list(answer.tool_calls)),
        "ok",
        backend=answer.backend,
        model=answer.model,
        usage=answer.usage,
    )
    store.set_status(question_id, "ok")
    _log_usage(answer, conv.id, charge)
    out.finish(answer, conv.id, selector.fallback, charge)
    return 0


def _conversation(
    opts: AskOptions, settings: config.Settings, store: Store, model: str
) -> Conversation:
    if opts.cid is not None:
        return store.conversation(opts.cid)
    if opts.continue_last and (last := store.last_conversation()) is not None:
        return last
    return store.new_conversation(model, settings.backend, settings.system)


def _name_route(answer: Answer, selector: Selector) -> None:
    """The answer is from whichever backend the selector ended up using."""
    if selector.used is not None:
        answer.backend = selector.used.backend.name
        if not answer.complete:
            answer.model = selector.used.model


def _keep_partial(
    store: Store,
    meter: Meter,
    cid: int,
    question_id: int,
    answer: Answer,
    selector: Selector,
    messages: list[Message],
    out: output.Output,
) -> None:
    """A cut or interrupted answer: keep what arrived, and charge for it."""
    _name_route(answer, selector)
    store.add_message(
        cid,
        Message("assistant", answer.text),
        "interrupted",
        backend=answer.backend,
        model=answer.model,
        usage=answer.usage,
    )
    store.set_status(question_id, "ok")
    if answer.parts:
        meter.charge(answer.backend, answer.model, answer.usage, messages, answer.text)
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
