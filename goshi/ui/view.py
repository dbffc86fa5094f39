"""What a turn hands the view, and what every view (pipe, terminal, live, JSON) answers to.

the turn -> Output.begin(TurnStart) -> write / reasoning / tool ... -> finish(Answer, Charge)
context keeping -> Output.context(ContextUse): the footer's `ctx 41% of 128k`
"""

from __future__ import annotations

import os
from typing import Protocol

from goshi.agent.turn import Answer
from goshi.cost.meter import Charge
from goshi.cost.prices import Rate
from goshi.record import record


@record
class TurnStart:
    """What is known before the first token: for the footer's running estimate."""

    backend: str
    model: str
    prompt_estimate: int
    rate: Rate | None
    session_before: int
    circuit: str = ""


@record
class ContextUse:
    """How full the model's context window is (goshi/turn/keeper.py): the footer's `ctx`."""

    tokens: int  # what the conversation takes as sent (the server's count once it answered)
    window: int | None  # None: unknown, and then no percentage is shown
    compacted: bool = False  # this turn folded old turns (or shortened old tool results)
    estimated: bool = True
    note: str = ""  # what fitting did: "context 95% of 128k: folded 14 old turns into a summary"

    def label(self) -> str:
        """`ctx 41% of 128k`, or '' when the window is not known."""
        if not self.window:
            return ""
        mark = "~" if self.estimated else ""
        done = " (compacted)" if self.compacted else ""
        return f"ctx {mark}{self.tokens * 100 // self.window}% of {human_tokens(self.window)}{done}"


def human_tokens(n: int) -> str:
    """128000 -> 128k, 2048 -> 2k, 1200 -> 1.2k, 1047576 -> 1M."""
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        k = n / 1000
        return (f"{k:.1f}".removesuffix(".0") if k < 10 else f"{k:.0f}") + "k"
    return f"{n / 1_000_000:.1f}".removesuffix(".0") + "M"


class Output(Protocol):
    def begin(self, turn: TurnStart) -> None: ...

    def route(self, backend: str, model: str, fallback: bool) -> None:
        """The selector chose (or changed to) this backend."""

    def write(self, delta: str) -> None: ...

    def reasoning(self, delta: str) -> None:
        """The model's thinking: shown apart (goshi/ui/reasoning.py), never in the answer."""

    def pause(self) -> None:
        """Tools are about to run: settle what was shown (an approval may ask a question)."""

    def tool_output(self, head: str, text: str) -> None:
        """A running tool's output as it arrives (a command's stdout and stderr)."""

    def tool(self, line: str, tail: str = "") -> None:
        """One line per tool call: `-> read_file README.md  ok 1.2 KB  3 ms`; a command's last
        lines under it."""

    def finish(
        self, answer: Answer, conversation_id: int, fallback: bool, charge: Charge | None
    ) -> None: ...

    def finish_partial(self) -> None:
        """End a cut or interrupted answer so the shell prompt does not glue onto it."""

    def context(self, use: ContextUse) -> None:
        """How full the context window is: after fitting, and once the answer is done."""


def ending_mark(answer: Answer) -> str:
    """The footer's word for an answer that did not simply end."""
    if answer.refusal:
        return "refusal"
    if answer.cut:
        return "cut: token cap"
    if answer.filtered:
        return "cut: content filter"
    return ""


def color_allowed() -> bool:
    return not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
