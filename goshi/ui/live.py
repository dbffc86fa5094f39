"""The terminal output: the answer as live Markdown (goshi/ui/mdstream.py) with the footer under
it while it streams, and once more under the finished answer."""

from __future__ import annotations

from rich.console import Console

from goshi.agent.turn import Answer
from goshi.cost.meter import Charge
from goshi.sanitize import one_line
from goshi.ui.footer import Footer, LiveStatus
from goshi.ui.mdstream import MarkdownStream
from goshi.ui.reasoning import ReasoningView, WithReasoning
from goshi.ui.toolview import CommandView, gutter_lines
from goshi.ui.view import ContextUse, TurnStart, color_allowed, ending_mark


def make_console() -> Console:
    return Console(highlight=False, no_color=not color_allowed(), soft_wrap=False)


class MarkdownOutput:
    def __init__(self, console: Console | None = None) -> None:
        self.console = console or make_console()
        self.status = LiveStatus()
        self.thinking = ReasoningView()
        self.stream = self._fresh()
        self.running: CommandView | None = None

    def _fresh(self) -> MarkdownStream:
        return MarkdownStream(self.console, WithReasoning(self.thinking, Footer(self.status)))

    def begin(self, turn: TurnStart) -> None:
        s = self.status
        s.backend, s.model, s.rate = turn.backend, turn.model, turn.rate
        s.prompt_estimate, s.session_before, s.circuit = (
            turn.prompt_estimate,
            turn.session_before,
            turn.circuit,
        )
        s.out_chars, s.usage, s.charge, s.fallback, s.mark = 0, None, None, False, ""
        self.thinking = ReasoningView()
        self.stream = self._fresh()
        self.stream.refresh()

    def context(self, use: ContextUse) -> None:
        """The footer's ctx figure; what fitting did is one dim line above the answer (stderr
        would be drawn over by the live region)."""
        self.status.context = use
        if use.note:
            self.stream.settle()
            self.console.print(f"goshi: {use.note}", style="dim", markup=False, highlight=False)
            self.stream = self._fresh()
        self.stream.refresh()

    def route(self, backend: str, model: str, fallback: bool) -> None:
        self.status.backend, self.status.model, self.status.fallback = backend, model, fallback

    def reasoning(self, delta: str) -> None:
        self.thinking.feed(delta)
        self.stream.feed("")  # a redraw, at the stream's own pace

    def _collapse_thinking(self) -> None:
        """The answer starts: the thinking region becomes one dim line above it."""
        line = self.thinking.collapse()
        self.stream.region.clear()
        self.console.print(line, style="dim", markup=False, highlight=False)

    def write(self, delta: str) -> None:
        if self.thinking.active:
            self._collapse_thinking()
        self.status.out_chars += len(delta)
        self.stream.feed(delta)

    def pause(self) -> None:
        if self.thinking.active:
            self._collapse_thinking()
        self.stream.settle()
        self.stream = self._fresh()  # the next round after tool calls is a new Markdown document

    def tool_output(self, head: str, text: str) -> None:
        if self.running is None:
            self.running = CommandView(self.console, head)
        self.running.feed(text)

    def tool(self, line: str, tail: str = "") -> None:
        if self.running is not None:
            self.running.close()
            self.running = None
        self.console.print(one_line(line), style="dim", markup=False, highlight=False)
        if tail:
            self.console.print(
                "\n".join(gutter_lines(tail)), style="dim", markup=False, highlight=False
            )

    def finish(
        self, answer: Answer, conversation_id: int, fallback: bool, charge: Charge | None
    ) -> None:
        s = self.status
        s.backend, s.model, s.fallback = answer.backend, answer.model, fallback
        s.usage, s.charge, s.mark = answer.usage, charge, ending_mark(answer)
        if self.thinking.active:
            self._collapse_thinking()
        self.stream.finish()

    def finish_partial(self) -> None:
        if self.thinking.active:
            self._collapse_thinking()
        self.stream.finish()
        self.console.print("[interrupted: the partial answer is kept]", style="dim")
