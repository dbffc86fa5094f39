"""A running command's output, live under its tool line, then collapsed to its last lines.

    feed(text) -> lines kept (the last LIVE_LINES; a CR redraws its line, as in a terminal)
    -> at most every REFRESH_S: the live region (goshi/ui/mdstream.py LiveRegion) redrawn:
       `-> run_command pytest  running 3 s` and the last lines, each through for_terminal
    close() -> the region cleared; the caller prints the final tool line and the tail

Each line is cut to the terminal's width. Rich loads only when a terminal shows the view.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING

from goshi.sanitize import for_terminal

if TYPE_CHECKING:
    from rich.console import Console

LIVE_LINES = 10
REFRESH_S = 0.1


def gutter_lines(text: str) -> list[str]:
    """Text as the lines shown under a tool line, controls made visible."""
    return ["  │ " + for_terminal(line).replace("\t", "    ") for line in text.splitlines()]


class CommandView:
    def __init__(self, console: Console, head: str) -> None:
        from goshi.ui.mdstream import LiveRegion

        self.console = console
        self.head = head
        self.region = LiveRegion(console)
        self.lines: deque[str] = deque([""], maxlen=LIVE_LINES)
        self.started = time.monotonic()
        self.drawn = 0.0
        self.redraw_line = False

    def feed(self, text: str) -> None:
        for n, part in enumerate(text.split("\n")):
            if n:
                self.lines.append("")
                self.redraw_line = False
            for k, piece in enumerate(part.split("\r")):
                self.redraw_line = self.redraw_line or k > 0
                if piece:
                    if self.redraw_line:  # after a CR the line is written again from its start
                        self.lines[-1], self.redraw_line = "", False
                    self.lines[-1] += piece
        now = time.monotonic()
        if now - self.drawn >= REFRESH_S:
            self.draw()

    def draw(self) -> None:
        self.drawn = time.monotonic()
        width = max(10, self.console.width - 1)
        seconds = self.drawn - self.started
        rows = [f"-> {self.head}  running {seconds:.0f} s"]
        shown = list(self.lines)
        if shown and not shown[-1]:
            shown.pop()
        rows += gutter_lines("\n".join(shown)) if any(shown) else []
        from rich.segment import Segment
        from rich.style import Style

        dim = Style(dim=True)
        self.region.draw([[Segment(row[:width], dim)] for row in rows])

    def close(self) -> None:
        self.region.clear()
        self.console.file.flush()
