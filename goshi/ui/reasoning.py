"""The model's reasoning in a terminal: a dim, bounded region while it thinks, one line after.

    ReasoningDelta* -> feed(): the region shows `thinking… 4 s` and the last LINES lines of the
    thinking (sanitised), redrawn in the live area above the footer
    first answer delta -> collapse(): the region is gone; `summary()` is printed once above the
    answer: `thought for 12 s · ~1,830 tokens`

Reasoning is never the answer: a pipe never gets it on stdout (stderr with -v), --json has it
under its own key, the store keeps it beside the answer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from rich.console import Console, ConsoleOptions, RenderableType
from rich.text import Text

from goshi.sanitize import for_terminal

LINES = 4
KEEP_CHARS = 2_000  # of the end of the thinking: enough for LINES lines on any terminal


def summary(seconds: float, chars: int, tokens: int | None = None) -> str:
    """`thought for 12 s · ~1,830 tokens` (~ when the count is estimated from the text)."""
    count = f"{tokens:,}" if tokens is not None else f"~{-(-chars // 4):,}"
    return f"thought for {seconds:.0f} s · {count} tokens"


class ReasoningView:
    def __init__(self) -> None:
        self.started = 0.0
        self.chars = 0
        self.tail = ""
        self.active = False

    def feed(self, delta: str) -> None:
        if not self.active:  # a new stretch of thinking (a later tool round thinks again)
            self.started, self.chars, self.tail = time.monotonic(), 0, ""
        self.active = True
        self.chars += len(delta)
        self.tail = (self.tail + delta)[-KEEP_CHARS:]

    def collapse(self) -> str:
        """End the region; the one line that stands for it."""
        self.active = False
        return summary(time.monotonic() - self.started, self.chars)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Text]:
        if not self.active:
            return
        seconds = time.monotonic() - self.started
        yield Text(f"thinking… {seconds:.0f} s", style="dim italic")
        body = Text(for_terminal(self.tail), style="dim")
        lines = body.wrap(console, max(20, options.max_width - 2))
        for line in list(lines)[-LINES:]:
            line.style = "dim"
            yield Text("  ") + line


class WithReasoning:
    """The live area under the answer: the reasoning region (while it thinks), then the footer."""

    def __init__(self, view: ReasoningView, footer: RenderableType) -> None:
        self.view = view
        self.footer = footer

    def __rich_console__(
        self, console: Console, options: ConsoleOptions
    ) -> Iterator[RenderableType]:
        yield self.view
        yield self.footer
