"""Markdown the model wrote, rendered so that what the user sees is what it is.

    links      [https://github.com/acme/docs](https://evil.example/?k=...) would be a clickable
               link whose visible text is another URL: a link (or image) whose text is not its
               target is shown as its text followed by the target, and only the target is
               clickable: `https://github.com/acme/docs (https://evil.example/?k=...)`
    nesting    past MAX_NESTING blockquote/list levels markdown-it drops the rest of the text
               (its recursion guard): those lines are kept as one plain paragraph instead
    width      a quote or list item that would leave its text under MIN_TEXT_WIDTH cells adds
               no more indent: deeper levels flatten instead of squeezing the text to nothing;
               a table cell folds a long word instead of cutting it with `…` (a target cut to
               `https://github.c…` could be github.com.evil.example)

`parser()` is the one markdown-it the renderer uses; `shown_links(tokens)` rewrites a parse in
place before Rich renders it; `FlatBlockQuote`, `FlatListItem` and `FoldedCell` replace Rich's
elements.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token
from rich.console import Console, ConsoleOptions, JustifyMethod, RenderResult
from rich.markdown import BlockQuote, ListItem, TableDataElement
from rich.segment import Segment
from rich.text import Text

MAX_NESTING = 20  # markdown-it's own guard for CommonMark, kept: each level is a recursion
MIN_TEXT_WIDTH = 20


def parser() -> MarkdownIt:
    md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    md.options["maxNesting"] = MAX_NESTING + 10  # never reached: the flatten rule runs first
    md.block.ruler.before("table", "goshi_flatten", _flatten)
    return md


def _flatten(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """At MAX_NESTING levels, the rest of this block is one paragraph of its own lines, their
    `>` and list markers shown as text."""
    if state.level < MAX_NESTING or silent:
        return False
    line = start
    while line < end and (state.isEmpty(line) or state.sCount[line] >= state.blkIndent):
        line += 1
    line = max(line, start + 1)
    state.push("paragraph_open", "p", 1).map = [start, line]
    inline = state.push("inline", "", 0)
    inline.content = state.getLines(start, line, state.blkIndent, False).strip()
    inline.map = [start, line]
    inline.children = []
    state.push("paragraph_close", "p", -1)
    state.line = line
    return True


# --- links ---------------------------------------------------------------------------------------


def shown_links(tokens: list[Token]) -> list[Token]:
    """Every link whose visible text is not its target, and every image, also shows the target
    (the only part left clickable)."""
    for token in tokens:
        children = token.children
        if token.type == "inline" and children and any(_linking(c) for c in children):
            token.children = _inline(children)
    return tokens


def _linking(token: Token) -> bool:
    return token.type in ("link_open", "image")


def _inline(children: list[Token]) -> list[Token]:
    out: list[Token] = []
    i = 0
    while i < len(children):
        child = children[i]
        if child.type == "image":
            alt = child.content or ""
            out += [_text(f"🌆 {alt}".rstrip()), *_target(str(child.attrs.get("src", "")))]
        elif child.type == "link_open":
            close = next(
                (j for j in range(i + 1, len(children)) if children[j].type == "link_close"),
                None,
            )
            if close is not None:
                inner = _inline(children[i + 1 : close])
                href = str(child.attrs.get("href", ""))
                if _visible(inner) in (href, href.removeprefix("mailto:")):
                    out += [child, *inner, children[close]]
                else:
                    out += [*inner, *_target(href)]
                i = close + 1
                continue
            out.append(child)
        else:
            out.append(child)
        i += 1
    return out


def _visible(tokens: list[Token]) -> str:
    parts = {"text": None, "code_inline": None, "softbreak": " ", "hardbreak": "\n"}
    out = []
    for token in tokens:
        if token.type in parts:
            out.append(parts[token.type] or token.content)
    return "".join(out)


def _text(content: str) -> Token:
    return Token("text", "", 0, content=content)


def _target(href: str) -> list[Token]:
    return [
        _text(" ("),
        Token("link_open", "a", 1, attrs={"href": href}),
        _text(href),
        Token("link_close", "a", -1),
        _text(")"),
    ]


# --- width ---------------------------------------------------------------------------------------


def _flat(console: Console, options: ConsoleOptions, item: BlockQuote | ListItem) -> RenderResult:
    """The element's content at the width it was given: no bar, bullet or indent."""
    for line in console.render_lines(item.elements, options, style=item.style):
        yield from line
        yield Segment("\n")


class FlatBlockQuote(BlockQuote):
    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if options.max_width - 4 >= MIN_TEXT_WIDTH:
            yield from super().__rich_console__(console, options)
        else:
            yield from _flat(console, options, self)


class FlatListItem(ListItem):
    def render_bullet(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if options.max_width - 3 >= MIN_TEXT_WIDTH:
            yield from super().render_bullet(console, options)
        else:
            yield from _flat(console, options, self)

    def render_number(
        self, console: Console, options: ConsoleOptions, number: int, last_number: int
    ) -> RenderResult:
        if options.max_width - len(str(last_number)) - 2 >= MIN_TEXT_WIDTH:
            yield from super().render_number(console, options, number, last_number)
        else:
            yield from _flat(console, options, self)


class FoldedCell(TableDataElement):
    def __init__(self, justify: JustifyMethod) -> None:
        super().__init__(justify)
        self.content = Text("", justify=justify, overflow="fold")
