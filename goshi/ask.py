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
from goshi.errors import BackendError, Interrupted, UsageError
from goshi.llm.select import Selector
from goshi.llm.types import ChatRequest, Message
from goshi.store import Store
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
    if opts.cid is not None:
        conv = store.conversation(opts.cid)
    elif opts.continue_last:
        conv = store.last_conversation() or store.new_conversation(model, settings.backend, None)
    else:
        conv = store.new_conversation(model, settings.backend, settings.system)
    system = settings.system if settings.source("system") == "--system" else conv.system
    system = system or settings.system
    messages = [Message("system", system)] if system else []
    messages += store.history(conv.id)
    question = Message("user", prompt)
    messages.append(question)
    question_id = store.add_message(conv.id, question, "pending")

    out = output.choose(opts.as_json)
    answer = Answer(backend=settings.primary_backend(), model=model)
    request = ChatRequest(messages=messages, model=model, stream=opts.stream)
    try:
        stream_answer(selector.stream(request), answer, out.write)
    except KeyboardInterrupt:
        _name_route(answer, selector)
        _keep_partial(store, conv.id, question_id, answer, out)
        raise Interrupted(
            "interrupted", f"the partial answer is kept in conversation {conv.id}"
        ) from None
    except BackendError as exc:
        _name_route(answer, selector)
        if answer.parts:
            _keep_partial(store, conv.id, question_id, answer, out)
            exc.message = f"{exc.message}, after {len(answer.text)} characters of the answer"
            exc.hint = f"the partial answer is kept in conversation {conv.id}; ask again with -c"
        else:
            store.set_status(question_id, "failed")
        raise
    _name_route(answer, selector)
    store.add_message(
        conv.id,
        Message("assistant", answer.text, list(answer.tool_calls)),
        "ok",
        backend=answer.backend,
        model=answer.model,
        usage=answer.usage,
    )
    store.set_status(question_id, "ok")
    _log_usage(answer, conv.id)
    out.finish(answer, conv.id, fallback=selector.fallback)
    return 0


def _name_route(answer: Answer, selector: Selector) -> None:
    """The answer is from whichever backend the selector ended up using."""
    if selector.used is not None:
        answer.backend = selector.used.backend.name
        if not answer.complete:
            answer.model = selector.used.model


def _keep_partial(
    store: Store, cid: int, question_id: int, answer: Answer, out: output.Output
) -> None:
    store.add_message(
        cid,
        Message("assistant", answer.text),
        "interrupted",
        backend=answer.backend,
        model=answer.model,
        usage=answer.usage,
    )
    store.set_status(question_id, "ok")
    out.finish_partial()


def _log_usage(answer: Answer, cid: int) -> None:
    usage = answer.usage
    log.info(
        "usage conversation=%d backend=%s model=%s prompt_tokens=%s completion_tokens=%s"
        " cached_tokens=%s finish=%s",
        cid,
        answer.backend,
        answer.model,
        usage.prompt_tokens if usage else "?",
        usage.completion_tokens if usage else "?",
        usage.cached_tokens if usage else "?",
        answer.finish_reason,
    )
