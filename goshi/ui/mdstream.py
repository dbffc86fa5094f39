"""Streaming Markdown into a terminal in time linear in the answer's length.

    feed(delta) -> the text grows; at most every `interval` seconds:
        parse only the uncommitted tail (markdown-it) -> every top-level block but the last is
        finished: render it once, print it into the scrollback, never touch it again
        -> redraw the live region: the unfinished block's last lines and the footer
    finish() -> commit the rest; the footer is printed once, below the answer

Finished blocks are rendered together with the block before them and only their own lines are
kept, so the blank lines between blocks are Rich's own and the final screen equals rendering the
whole answer once. All the blocks finished since the last refresh go in one render: many small
renders cost ten times one large one.

The live region is cleared by counting the rows its lines take at the *current* width (terminals
reflow wrapped lines on resize, ignoring trailing blanks, so the region's lines are drawn without
Rich's padding), so a resize while streaming leaves no garbage on the screen. The
refresh interval adapts to the cost of a redraw: 5x that cost, from 50 ms to 500 ms.
"""

from __future__ import annotations

import itertools
import time

from markdown_it import MarkdownIt
from rich.console import Console, RenderableType
from rich.markdown import Markdown
from rich.segment import Segment, Segments

MIN_INTERVAL_S, MAX_INTERVAL_S = 0.05, 0.5


class LiveRegion:
    """Lines at the bottom of the terminal that can be redrawn in place."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.cells: list[int] = []  # the width in cells of each line drawn

    def clear(self) -> None:
        if not self.cells:
            return
        width = max(1, self.console.width)
        rows = sum(max(1, -(-cells // width)) for cells in self.cells)
        self.console.file.write(f"\x1b[{rows}F\x1b[J")
        self.cells = []

    def draw(self, lines: list[list[Segment]]) -> None:
        self.clear()
        lines = [rstrip_line(line) for line in lines]
        self.console.file.write(to_ansi(self.console, lines))
        self.cells = [Segment.get_line_length(line) for line in lines]
        self.console.file.flush()


def rstrip_line(line: list[Segment]) -> list[Segment]:
    """Drop the padding Rich adds up to the full width: a terminal that reflows on resize does
    not wrap trailing blanks, so only visible cells may count as the row's length."""
    line = list(line)
    while line and not line[-1].text.strip():
        line.pop()
    if line:
        last = line[-1]
        line[-1] = Segment(last.text.rstrip(), last.style, last.control)
    return line


def render_lines(console: Console, renderable: RenderableType) -> list[list[Segment]]:
    return console.render_lines(renderable, console.options, pad=False)


def to_ansi(console: Console, lines: list[list[Segment]]) -> str:
    """Rendered lines as the text to write, each ending in a newline."""
    flat = [segment for line in lines for segment in (*line, Segment.line())]
    with console.capture() as capture:
        console.print(Segments(flat), end="")
    return capture.get()


class MarkdownStream:
    def __init__(
        self,
        console: Console,
        footer: RenderableType | None = None,
        code_theme: str = "monokai",
    ) -> None:
        self.console = console
        self.footer = footer
        self.code_theme = code_theme
        self.parser = MarkdownIt("commonmark").enable("table").enable("strikethrough")
        self.region = LiveRegion(console)
        self.text: list[str] = []
        self.tail = ""  # text not committed yet, starting at a line start
        self.prev_source = ""  # the last committed block, for the blank lines before the next
        self.prev_lines = 0
        self.interval = MIN_INTERVAL_S
        self.last_refresh = 0.0

    # --- input -----------------------------------------------------------------------------

    def feed(self, delta: str) -> None:
        self.text.append(delta)
        now = time.monotonic()
        if now - self.last_refresh >= self.interval:
            self.refresh()

    def refresh(self) -> None:
        started = time.monotonic()
        self._take_text()
        blocks = self._blocks()
        self._commit(blocks[:-1])
        live = blocks[-1] if blocks else ""
        self.region.draw(self._live_lines(live))
        cost = time.monotonic() - started
        self.interval = min(MAX_INTERVAL_S, max(MIN_INTERVAL_S, 5 * cost))
        self.last_refresh = time.monotonic()

    def finish(self) -> None:
        """Commit everything; the footer is drawn once more, below the whole answer."""
        self._take_text()
        self._commit(self._blocks())
        self.region.draw(self._live_lines(""))
        self.region.cells = []  # the final footer stays on screen

    def settle(self) -> None:
        """Commit everything and clear the live region (no footer left behind)."""
        self._take_text()
        self._commit(self._blocks())
        self.region.clear()
        self.console.file.flush()

    # --- blocks ----------------------------------------------------------------------------

    def _take_text(self) -> None:
        if self.text:
            self.tail += "".join(self.text)
            self.text.clear()

    def _blocks(self) -> list[str]:
        """The tail's top-level blocks as source text, each with the blank lines after it."""
        if not self.tail.strip():
            return []
        lines = self.tail.splitlines(keepends=True)
        starts = sorted({t.map[0] for t in self.parser.parse(self.tail) if t.level == 0 and t.map})
        if not starts:
            return [self.tail]
        starts[0] = 0
        bounds = [*starts, len(lines)]
        return ["".join(lines[a:b]) for a, b in itertools.pairwise(bounds)]

    def _render(self, source: str) -> list[list[Segment]]:
        return render_lines(self.console, Markdown(source, code_theme=self.code_theme))

    def _new_lines(self, source: str) -> list[list[Segment]]:
        """The lines `source` adds after the last committed block (separator included)."""
        if not self.prev_source:
            return self._render(source)
        return self._render(self.prev_source + source)[self.prev_lines :]

    def _commit(self, blocks: list[str]) -> None:
        """Print finished blocks, all in one render (many small renders cost far more)."""
        if not blocks:
            return
        source = "".join(blocks)
        lines = self._new_lines(source)
        self.region.clear()
        self.console.file.write(to_ansi(self.console, lines))
        self.tail = self.tail[len(source) :]
        last = blocks[-1]
        own = len(lines) if len(blocks) == 1 and not self.prev_source else None
        self.prev_source = last
        self.prev_lines = own if own is not None else len(self._render(last))

    def _live_lines(self, source: str) -> list[list[Segment]]:
        lines = self._new_lines(source) if source.strip() else []
        room = max(1, self.console.height // 2)  # well inside the screen: it cannot scroll away
        lines = lines[-room:]
        if self.footer is not None:
            lines += render_lines(self.console, self.footer)
        return lines
