"""Streaming Markdown into a terminal in time linear in the answer's length, near the cost of
rendering the finished answer once.

    feed(delta) -> the text grows; at most every `interval` seconds: made safe for a terminal
        (goshi/sanitize.py: controls shown, never interpreted; Rich passes an ESC through) ->
        parse only the uncommitted tail, once (markdown-it) -> every top-level block but the last
        is finished: render those blocks' tokens in one go, print them into the scrollback,
        never touch them again
        -> redraw the live region: the unfinished block's last lines and the footer
    (what the model wrote is shown, never obeyed: goshi/ui/mdsafe.py shows a link's target,
    keeps text nested past 20 levels, and flattens indents that would leave no room)
    finish() -> commit the rest; the footer is printed once, below the answer

The tokens of one parse serve both the split and Rich's render (`Parsed`), so no text is parsed
twice. Whether Rich puts a blank line before a block depends on the block before it (none after a
rule): a batch rendered on its own starts with a token that draws nothing but leaves Rich in the
state the last committed block left it in (`GAP`), so batches join exactly as in one whole
render, and the final screen equals rendering the whole answer once. All the blocks finished
since the last refresh go in one render: many small renders cost ten times one large one. Code
blocks reuse one Pygments lexer and theme per name (Rich would look them up for every render), and
the unfinished block is not rendered again while its text and the width stay the same.

The live region is cleared by counting the rows its lines take at the *current* width (terminals
reflow wrapped lines on resize, ignoring trailing blanks, so the region's lines are drawn without
Rich's padding), so a resize while streaming leaves no garbage on the screen. Redraws come at a
steady cadence bounded by time: every 100 ms, or 5x the cost of the last redraw (committing
excluded: that is work done once per block, whatever the cadence), at most 500 ms.
"""

from __future__ import annotations

import copy
import functools
import time
from typing import Any, ClassVar

from markdown_it.token import Token
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.markdown import CodeBlock, Markdown, MarkdownElement
from rich.segment import Segment, Segments
from rich.syntax import Syntax, SyntaxTheme

from goshi.sanitize import TerminalStream
from goshi.ui.mdsafe import FlatBlockQuote, FlatListItem, FoldedCell, parser, shown_links

MIN_INTERVAL_S, MAX_INTERVAL_S = 0.1, 0.5  # at most 10 redraws a second: smooth for text


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


def render_lines(
    console: Console, renderable: RenderableType, options: ConsoleOptions | None = None
) -> list[list[Segment]]:
    return console.render_lines(renderable, options or console.options, pad=False)


def to_ansi(console: Console, lines: list[list[Segment]]) -> str:
    """Rendered lines as the text to write, each ending in a newline."""
    flat = [segment for line in lines for segment in (*line, Segment.line())]
    with console.capture() as capture:
        console.print(Segments(flat), end="")
    return capture.get()


@functools.cache
def _lexer(name: str) -> Any:  # a pygments Lexer, or the name when Pygments has none
    """A Pygments lexer by name, made once (Rich looks it up by name for every render)."""
    return Syntax("", name).lexer or name


@functools.cache
def _theme(name: str) -> SyntaxTheme:
    """A syntax theme made once, so its style cache stays warm across renders."""
    return Syntax.get_theme(name)


class CachedCodeBlock(CodeBlock):
    """Rich's code block with the lexer and theme made once per name; the same Syntax call."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        code = str(self.text).rstrip()
        yield Syntax(
            code, _lexer(self.lexer_name), theme=_theme(self.theme), word_wrap=True, padding=1
        )


class Parsed(Markdown):
    """Rich's Markdown over tokens already parsed here: Rich would parse the text again (and
    build a parser each time)."""

    elements: ClassVar[dict[str, type[MarkdownElement]]] = {
        **Markdown.elements,
        "fence": CachedCodeBlock,
        "code_block": CachedCodeBlock,
        "blockquote_open": FlatBlockQuote,
        "list_item_open": FlatListItem,
        "td_open": FoldedCell,
        "th_open": FoldedCell,
    }

    @classmethod
    def of(cls, tokens: list[Token], code_theme: str) -> Parsed:
        markdown = copy.copy(_blank(code_theme))  # every attribute Rich's __init__ sets
        markdown.parsed = tokens
        return markdown


@functools.cache
def _blank(code_theme: str) -> Parsed:
    return Parsed("", code_theme=code_theme)


GAP = Token("goshi_gap", "", 0)  # an unknown element to Rich: draws nothing, then a blank line


def gap_after(block: Token) -> bool:
    """Whether Rich draws a blank line between this top-level block and a paragraph after it."""
    return getattr(Parsed.elements.get(block.type), "new_line", True)


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
        self.parser = parser()
        self.region = LiveRegion(console)
        self.text: list[str] = []
        self.safe = TerminalStream()
        self.tail = ""  # text not committed yet, starting at a line start
        self.gap = False  # Rich's state after the last committed block: a blank line next
        self.live_key: tuple[str, int, bool] = ("", 0, False)  # what the live lines were drawn from
        self.live: list[list[Segment]] = []
        self.interval = MIN_INTERVAL_S
        self.last_refresh = 0.0

    # --- input -----------------------------------------------------------------------------

    def feed(self, delta: str) -> None:
        self.text.append(delta)
        now = time.monotonic()
        if now - self.last_refresh >= self.interval:
            self.refresh()

    def refresh(self) -> None:
        options = self.console.options  # once per refresh: it asks the terminal for its size
        self._take_text()
        finished, live = self._split()
        self._commit(finished, options)
        started = time.monotonic()
        self.region.draw(self._live_lines(live, options))
        self.last_refresh = time.monotonic()
        cost = self.last_refresh - started
        self.interval = min(MAX_INTERVAL_S, max(MIN_INTERVAL_S, 5 * cost))

    def finish(self) -> None:
        """Commit everything; the footer is drawn once more, below the whole answer."""
        options = self.console.options
        self._take_text(final=True)
        self._commit(self._split(everything=True)[0], options)
        self.region.draw(self._live_lines(None, options))
        self.region.cells = []  # the final footer stays on screen

    def settle(self) -> None:
        """Commit everything and clear the live region (no footer left behind)."""
        self._take_text(final=True)
        self._commit(self._split(everything=True)[0], self.console.options)
        self.region.clear()
        self.console.file.flush()

    # --- blocks ----------------------------------------------------------------------------

    def _take_text(self, final: bool = False) -> None:
        """Pending deltas join the tail, sanitised: Rich would pass an ESC straight through."""
        if self.text:
            self.tail += self.safe.feed("".join(self.text))
            self.text.clear()
        if final:
            self.tail += self.safe.flush()

    def _split(
        self, everything: bool = False
    ) -> tuple[tuple[str, list[Token]] | None, tuple[str, list[Token]] | None]:
        """The tail parsed once and cut before its last top-level block: (source, tokens) of the
        finished blocks and of the unfinished one (all finished with `everything`)."""
        if not self.tail.strip():
            return None, None
        tokens = shown_links(self.parser.parse(self.tail))
        if everything:
            return (self.tail, tokens), None
        last, line = 0, 0  # the last top-level block: its first token and its first line
        for i, token in enumerate(tokens):
            if token.level == 0 and token.map and token.map[0] > 0:
                last, line = i, token.map[0]
        if last == 0:
            return None, (self.tail, tokens)
        cut = sum(len(text) for text in self.tail.splitlines(keepends=True)[:line])
        return (self.tail[:cut], tokens[:last]), (self.tail[cut:], tokens[last:])

    def _lines(self, tokens: list[Token], options: ConsoleOptions) -> list[list[Segment]]:
        """The lines these blocks add after what was committed, the blank line before included."""
        tokens = [GAP, *tokens] if self.gap else tokens
        return render_lines(self.console, Parsed.of(tokens, self.code_theme), options)

    def _commit(self, blocks: tuple[str, list[Token]] | None, options: ConsoleOptions) -> None:
        """Print finished blocks, all in one render (many small renders cost far more)."""
        if blocks is None:
            return
        source, tokens = blocks
        lines = self._lines(tokens, options)
        self.region.clear()
        self.console.file.write(to_ansi(self.console, lines))
        self.tail = self.tail[len(source) :]
        tops = [t for t in tokens if t.level == 0 and t.nesting >= 0]
        if tops:
            self.gap = gap_after(tops[-1])

    def _live_lines(
        self, block: tuple[str, list[Token]] | None, options: ConsoleOptions
    ) -> list[list[Segment]]:
        lines: list[list[Segment]] = []
        if block is not None and block[0].strip():
            key = (block[0], options.max_width, self.gap)
            if key != self.live_key:  # text that did not change is not rendered again
                self.live_key, self.live = key, self._lines(block[1], options)
            lines = self.live
        room = max(1, self.console.height // 2)  # well inside the screen: it cannot scroll away
        lines = lines[-room:]
        if self.footer is not None:
            lines = [*lines, *render_lines(self.console, self.footer, options)]
        return lines
