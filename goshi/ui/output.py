"""Where an answer goes: a pipe (the bytes and a final newline), a terminal (the live Markdown
view with a footer, goshi/ui/live.py), or one JSON object. Chosen once per answer by `choose`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import threading
import time
from typing import TextIO

from goshi.agent.turn import Answer
from goshi.cost.meter import Charge, usd
from goshi.sanitize import TerminalStream, for_terminal, one_line
from goshi.ui.toolview import gutter_lines
from goshi.ui.view import ContextUse, Output, TurnStart, ending_mark

log = logging.getLogger("goshi")


class PipeOutput:
    """Exactly the model's text, then one newline: nothing else ever reaches stdout.

    Deltas are written at most every FLUSH_S seconds, so a reader sees the answer grow without a
    system call per token; text left over when the model pauses is written by a timer.
    """

    FLUSH_S = 0.02

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.thinking: list[str] = []
        self.thought_at = 0.0
        self.wrote = False
        self.pending: list[str] = []
        self.last_flush = 0.0
        self.lock = threading.Lock()
        self.timer: threading.Timer | None = None
        self.ctx: ContextUse | None = None

    def begin(self, turn: TurnStart) -> None:
        pass

    def route(self, backend: str, model: str, fallback: bool) -> None:
        pass

    def pause(self) -> None:
        self.flush()

    def context(self, use: ContextUse) -> None:
        self.ctx = use
        if use.note:
            log.warning("%s", use.note)

    def tool_output(self, head: str, text: str) -> None:
        pass  # stdout carries only the answer

    def tool(self, line: str, tail: str = "") -> None:
        log.info("%s", line)  # stdout carries only the answer; -v shows tool lines on stderr

    def _add(self, text: str) -> None:
        with self.lock:
            self.pending.append(text)

    def reasoning(self, delta: str) -> None:
        if not self.thinking:
            self.thought_at = time.monotonic()
        self.thinking.append(delta)

    def _thought(self) -> None:
        """The thinking so far, told once: on stderr with -v, never on stdout."""
        from goshi.sanitize import for_log
        from goshi.ui.reasoning import summary

        text = "".join(self.thinking)
        self.thinking.clear()
        said = summary(time.monotonic() - self.thought_at, len(text))
        log.info("%s: %s", said, for_log(text))
        self.said_thought(said)

    def said_thought(self, line: str) -> None:
        pass

    def write(self, delta: str) -> None:
        if self.thinking:
            self._thought()
        self._add(delta)
        self.wrote = True
        now = time.monotonic()
        if now - self.last_flush >= self.FLUSH_S:
            self.flush()
            self.last_flush = now
        elif self.timer is None:
            self.timer = threading.Timer(self.FLUSH_S, self._late)
            self.timer.daemon = True
            self.timer.start()

    def _late(self) -> None:
        self.timer = None
        with contextlib.suppress(OSError, ValueError):  # a closed pipe is the main thread's news
            self.flush()

    def flush(self) -> None:
        with self.lock:
            if self.pending:
                self.out.write("".join(self.pending))
                self.pending.clear()
            self.out.flush()

    def finish(
        self, answer: Answer, conversation_id: int, fallback: bool, charge: Charge | None
    ) -> None:
        self.finish_partial()

    def finish_partial(self) -> None:
        if self.thinking:
            self._thought()
        if self.timer is not None:
            self.timer.cancel()
        if self.wrote:
            self._add("\n")
        self.flush()


class TerminalOutput(PipeOutput):
    """Plain live text and a footer line, for a terminal without cursor control (TERM=dumb).
    Unlike the pipe, every text from outside is sanitised: controls shown, never interpreted."""

    def __init__(self, out: TextIO) -> None:
        super().__init__(out)
        self.safe = TerminalStream()

    def write(self, delta: str) -> None:
        super().write(self.safe.feed(delta))

    def pause(self) -> None:
        self._add(self.safe.flush())
        super().pause()

    streamed = ""  # the last character of a command's output shown live ("" = none)

    def tool_output(self, head: str, text: str) -> None:
        """No cursor control: the output as it comes, under a first line naming the tool."""
        if not text:
            return
        if not self.streamed:
            self._add(self.safe.flush() + ("\n" if self.wrote else "") + f"-> {one_line(head)}\n")
            self.wrote = False
        self._add(for_terminal(text))
        self.streamed = text[-1]
        self.flush()

    def tool(self, line: str, tail: str = "") -> None:
        if self.streamed:  # the output is on the screen already: end its line, skip the tail
            self._add("" if self.streamed == "\n" else "\n")
            self.streamed, tail = "", ""
        self._add(self.safe.flush() + ("\n" if self.wrote else "") + one_line(line) + "\n")
        if tail:
            self._add("\n".join(gutter_lines(tail)) + "\n")
        self.flush()

    def said_thought(self, line: str) -> None:
        self._add(one_line(line) + "\n")

    def finish_partial(self) -> None:
        self._add(self.safe.flush())
        super().finish_partial()

    def finish(
        self, answer: Answer, conversation_id: int, fallback: bool, charge: Charge | None
    ) -> None:
        self._add(self.safe.flush())
        if self.wrote and not answer.text.endswith("\n"):
            self._add("\n")
        from goshi.ui.footer import Footer, LiveStatus

        if self.thinking:
            self._thought()
        status = LiveStatus(
            answer.backend, answer.model, fallback, usage=answer.usage, charge=charge
        )
        status.mark = ending_mark(answer)
        status.context = self.ctx
        self._add(" · ".join(Footer(status).fields()) + "\n")
        self.flush()


class JsonOutput:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.ctx: ContextUse | None = None

    def context(self, use: ContextUse) -> None:
        self.ctx = use
        if use.note:
            log.warning("%s", use.note)

    def begin(self, turn: TurnStart) -> None:
        pass

    def route(self, backend: str, model: str, fallback: bool) -> None:
        pass

    def write(self, delta: str) -> None:
        pass

    def reasoning(self, delta: str) -> None:
        pass

    def pause(self) -> None:
        pass

    def tool_output(self, head: str, text: str) -> None:
        pass

    def tool(self, line: str, tail: str = "") -> None:
        log.info("%s", line)

    def finish_partial(self) -> None:
        pass

    def finish(
        self, answer: Answer, conversation_id: int, fallback: bool, charge: Charge | None
    ) -> None:
        usage = answer.usage
        result = {
            "text": answer.text,
            "model": answer.model,
            "backend": answer.backend,
            "fallback": fallback,
            "usage": {
                "prompt_tokens": usage.prompt_tokens if usage else None,
                "completion_tokens": usage.completion_tokens if usage else None,
            },
            "cost_usd": usd(charge.cost) if charge and charge.cost is not None else None,
            "cost_estimated": bool(charge and charge.estimated),
            "conversation_id": conversation_id,
            "finish_reason": answer.finish_reason,
            "refusal": answer.refusal,
            "reasoning": answer.reasoning or None,
            "context_tokens": self.ctx.tokens if self.ctx else None,
            "context_window": self.ctx.window if self.ctx else None,
            "compacted": bool(self.ctx and self.ctx.compacted),
        }
        self.out.write(json.dumps(result, ensure_ascii=False) + "\n")
        self.out.flush()


def choose(as_json: bool, out: TextIO | None = None) -> Output:
    out = out or sys.stdout
    if as_json:
        return JsonOutput(out)
    if not out.isatty():
        return PipeOutput(out)
    if os.environ.get("TERM") == "dumb":
        return TerminalOutput(out)
    from goshi.ui.live import MarkdownOutput

    return MarkdownOutput()
