"""What an approval screen shows, laid out for the terminal it is on: every line of a proposal,
folded at the terminal's width (never clipped), and whether all of it fits at once.

    a line through goshi/sanitize.py for_review (invisible characters escaped, long blank runs
    counted) -> folded into rows of at most `cols` cells (a wide character counts two, tabs
    are expanded; a row that continues a line starts with FOLD) -> Sheet: the rows, and
    whether header + rows + question fit the terminal's height

A proposal that does not fit is not shown at all: the question is never asked about text that
has scrolled off the screen (goshi/ui/approve.py refuses it with one line).
"""

from __future__ import annotations

import functools

from goshi.record import record

FOLD = "↪ "  # starts a row that continues the line above it
MIN_COLS = 20
TAB = 8


@functools.cache  # a pure function of one character; a CJK diff asks for the same ones
def cells(char: str) -> int:
    """How many terminal columns a (printable) character may take, never fewer than it does:
    a row laid out too short is harmless, one too long wraps and pushes the top of the sheet
    off the screen. So a combining mark counts one, and every other character but ASCII and
    the narrow and halfwidth forms two: not only the wide and ambiguous ones (CJK, ①, Greek
    in CJK locales) but the neutral ones too, since Python's width table is older than a
    terminal's (Unicode 16 draws the hexagrams, trigrams and counting rods wide, and
    terminals the regional indicators)."""
    if char.isascii():
        return 1
    import unicodedata  # a wide character is rare: loaded for the first one

    if unicodedata.category(char) in ("Mn", "Me"):
        return 1
    return 1 if unicodedata.east_asian_width(char) in ("Na", "H") else 2


def fold(text: str, cols: int, first: str = "", more: str = FOLD) -> list[str]:
    """One line (already sanitised) as rows of at most `cols` columns: `first` leads the first
    row, `more` each row after it. Nothing is cut: a row ends where the next begins."""
    cols = max(cols, MIN_COLS)
    text = text.expandtabs(TAB)
    lead, indent = sum(map(cells, first)), sum(map(cells, more))
    if text.isascii():  # one column a character
        room, step = cols - lead, cols - indent
        rest = text[room:]
        tail = [more + rest[i : i + step] for i in range(0, len(rest), step)]
        return [first + text[:room], *tail]
    rows: list[str] = []
    row, width = first, lead
    for char in text:
        w = cells(char)
        if width + w > cols:
            rows.append(row)
            row, width = more, indent
        row += char
        width += w
    rows.append(row)
    return rows


def fold_lines(text: str, cols: int) -> list[str]:
    """Text that may hold line breaks (a header, a question) as rows: each line folded."""
    return [row for line in text.split("\n") for row in fold(line, cols)]


@record
class Sheet:
    """A proposal laid out: its rows, and the height of the terminal it is for."""

    rows: list[str]
    height: int
    cols: int
    cut: bool = False  # laying out stopped early: taller than the screen, and than its rows

    def fits(self, question: str) -> bool:
        """Do the rows and the question fit on the screen together (one row spare, for a
        cursor that was not at the start of a line)?"""
        tall = len(self.rows) + len(fold_lines(question, self.cols))
        return not self.cut and tall <= self.height - 1

    def fold_in(self, line: str) -> bool:
        """May this (sanitised) line be laid out at all? One with more characters than the
        screen has cells cannot fit (zero-width ones might, but it is refused: the safe side),
        and is not folded in vain."""
        if len(line) > self.height * max(self.cols, MIN_COLS):
            self.cut = True
        return not self.cut

    def add(self, rows: list[str]) -> bool:
        """Add rows; False once the sheet cannot fit (then laying out may stop)."""
        self.rows.extend(rows)
        if len(self.rows) >= self.height:
            self.cut = True
        return not self.cut
