"""Asking before a change or a command, on the controlling terminal (/dev/tty), one keypress:

    a change:  the unified diff, then y / n / a(lways, this session); a change too large for
               goshi to keep says first that `goshi undo` cannot put it back
    a command: the command and where it runs, then y / n / e(dit it, then it runs)
    an MCP call: every argument, then y / n / a(lways, this tool)

What is asked about is shown whole on the screen when the question is asked: every line through
goshi/sanitize.py for_review (invisible characters escaped, long blank runs counted) and folded at
the terminal's width (goshi/ui/review.py). A proposal that still does not fit the screen is not
asked about: one line says so and it is refused (NotShown: the model is told).

Enter, Esc and Ctrl-D answer no; Ctrl-C refuses and stops the turn (KeyboardInterrupt). -y
approves every change (the diff still goes to stderr) but never a command, and turns the
allow-list off: every command is asked about. So does a change written unseen (-y, or `a`lways)
earlier in this goshi: in this turn, an earlier one of the chat, or a conversation left with
/clear or /resume (the file is still there, and its next allow-listed `make` would run it).
With no terminal to ask, changes (without -y) and commands are refused, and the model is told so.

An MCP server's tool (SERVER__tool) is asked about the same way, every call unless `a`lways was
said for that tool; -y does not approve it.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import TYPE_CHECKING

from goshi import json_bounds
from goshi.agent.calls import NotShown
from goshi.sanitize import for_review, one_line
from goshi.ui.review import FOLD, Sheet, fold, fold_lines
from goshi.ui.view import color_allowed

if TYPE_CHECKING:
    from goshi.ui.keys import Tty

log = logging.getLogger("goshi")

ANSWERS = {"y": "yes", "n": "no", "a": "always", "e": "edit"}
COLOURS = {"+": "32", "-": "31", "@": "36"}
NO_UNDO = (
    "{rel}: this change is too large for goshi to keep (over 1 MB): `goshi undo` cannot put it back"
)


def _kind(line: str, number: int) -> str:
    """The colour key of a diff's line `number`: + added, - removed, @ a hunk header, "" the
    rest. Only the first two lines are the file headers: later, `+++ x` is the added `++ x`."""
    if number < 2 and line.startswith(("+++", "---")):
        return ""
    return line[:1] if line[:1] in COLOURS else ""


def _paint(rows: list[str], kind: str, plain: bool) -> list[str]:
    if plain or not kind:
        return rows
    return [f"\x1b[{COLOURS[kind]}m{row}\x1b[0m" for row in rows]


def _colour(diff: str) -> str:
    """The diff for stderr (-y): every line through for_review, so a control, a bidi override
    or a zero-width character is shown, not obeyed; coloured only when stderr itself is a
    terminal (`2>file` gets no escape codes), and not with NO_COLOR or TERM=dumb."""
    plain = not color_allowed() or not sys.stderr.isatty()
    lines = diff.removesuffix("\n").split("\n")
    return "".join(
        f"{row}\n"
        for i, ln in enumerate(lines)
        for row in _paint([for_review(ln)], _kind(ln, i), plain)
    )


def diff_sheet(diff: str, size: os.terminal_size) -> Sheet:
    """The diff's rows, coloured; laying out stops once they cannot fit the screen."""
    plain, cols, height = not color_allowed(), size.columns, size.lines
    sheet = Sheet([], height, cols)
    for i, line in enumerate(diff.removesuffix("\n").split("\n")):
        shown = for_review(line)
        rows = fold(shown, cols) if sheet.fold_in(shown) else []
        if not rows or not sheet.add(_paint(rows, _kind(line, i), plain)):
            break
    return sheet


def text_sheet(header: str, lines: list[str], lead: str, size: os.terminal_size) -> Sheet:
    """A header, then each line after `lead`; rows that continue a line say so."""
    cols, height = size.columns, size.lines
    sheet = Sheet(fold_lines(for_review(header), cols), height, cols)
    more = " " * (len(lead) - len(FOLD)) + FOLD
    for line in map(for_review, lines):
        if not sheet.fold_in(line) or not sheet.add(fold(line, cols, lead, more)):
            break
    return sheet


def _tty() -> Tty:
    """The controlling terminal, one key at a time (termios loads only when a question is asked)."""
    from goshi.ui.keys import Tty

    return Tty()


def _show(tty: Tty, sheet: Sheet, question: str, what: str) -> None:
    """The sheet, whole on the screen, or NotShown (one line on the terminal says why)."""
    if not sheet.fits(question):
        what = for_review(one_line(what))
        tall = len(sheet.rows) + len(fold_lines(question, sheet.cols))
        rows = f"more than {sheet.height - 1}" if sheet.cut else f"{tall:,}"
        tty.write(
            f"goshi: {what} needs {rows} rows, this terminal has {sheet.height}: refused, not"
            " shown (`goshi history show` has it whole)\n"
        )
        raise NotShown(
            f"{what} is too big to show on the user's terminal ({rows} rows, the terminal has"
            f" {sheet.height}); it was refused unseen. Propose it in smaller parts."
        )
    tty.write("".join(f"{row}\n" for row in sheet.rows))


def _ask(tty: Tty, question: str, choices: str) -> str:
    """The question, one key, the answer echoed as a word; Ctrl-C ends the line first."""
    tty.write(question)
    try:
        answer = tty.key(choices, default="n")
    except KeyboardInterrupt:
        tty.write("^C\n")
        raise
    tty.write(ANSWERS[answer] + "\n")
    return answer


class Approval:
    def __init__(self, yes: bool) -> None:
        self.yes = yes
        self.always = yes  # changes only: commands and MCP tools are always asked
        self.always_tools: set[str] = set()
        self.unseen = False  # a change was written without being shown: for the whole session

    def allowlist_applies(self) -> str:
        if self.yes:
            return "-y approves no command, allow-listed or not"
        if self.unseen:
            return "a file was changed in this session without being shown to you"
        return ""

    def __call__(
        self, rel: str, diff: str, new_file: bool, tool: str = "write_file", undoable: bool = True
    ) -> bool:
        final = "" if undoable else f"{NO_UNDO.format(rel=for_review(one_line(rel)))}\n"
        if self.always:
            sys.stderr.write(_colour(diff))
            if final:
                log.warning("%s", final.strip())
            self.unseen = True
            return True
        verb = "create" if new_file else "change"
        question = (
            f"{final}{verb} {for_review(one_line(rel))}? [y]es / [n]o / [a]lways this session: "
        )
        try:
            with _tty() as tty:
                _show(tty, diff_sheet(diff, tty.size()), question, f"the change to {rel}")
                answer = _ask(tty, question, "yna")
        except OSError:  # no controlling terminal: nobody to ask
            log.warning(
                "no terminal to ask: %s %s was not written (approve it in a terminal, or use -y)",
                tool,
                rel,
            )
            return False
        if answer == "a":
            self.always = True
        return answer in "ya"

    def command(
        self, command: str, cwd: str, timeout_s: float, why: str = "", note: str = ""
    ) -> str | None:
        header = f"run in {cwd} (timeout {timeout_s:g} s):"
        if why:
            header = f"allow-listed, but asked: {why}\n{header}"
        if note:
            header = f"note: {note}\n{header}"
        question = "run it? [y]es / [n]o / [e]dit: "
        try:
            with _tty() as tty:
                lines = command.split("\n")
                sheet = text_sheet(header, lines, "  $ ", tty.size())
                _show(tty, sheet, question, "the command")
                answer = _ask(tty, question, "yne")
                if answer == "e":
                    return tty.edit("$ ", command)
        except OSError:
            if why:
                log.warning(
                    "`%s` is allow-listed but was not run: %s, and there is no terminal to ask",
                    command[:200],
                    why,
                )
            else:
                log.warning(
                    "no terminal to ask: run_command `%s` was not run (approve it in a terminal,"
                    " or list it in tools.allow_commands in your own goshi.yaml)",
                    command[:200],
                )
            return None
        return command if answer == "y" else None

    def tool_call(self, name: str, arguments: str) -> bool:
        """May the MCP tool `name` run with these arguments (JSON from the model)? Every
        argument is shown: nothing is cut."""
        if name in self.always_tools:
            return True
        try:
            shown = json.dumps(json_bounds.loads(arguments or "{}"), indent=2, ensure_ascii=False)
        except ValueError:  # too deep too: shown as the model sent it
            shown = arguments
        name = one_line(name)
        question = f"run {name}? [y]es / [n]o / [a]lways this tool: "
        try:
            with _tty() as tty:
                header = f"MCP tool {name} wants to run with:"
                sheet = text_sheet(header, shown.split("\n"), "", tty.size())
                _show(tty, sheet, question, f"the call to {name}")
                answer = _ask(tty, question, "yna")
        except OSError:
            log.warning(
                "no terminal to ask: %s was not run (approve it in a terminal, or list the tool"
                " in its server's allow)",
                name,
            )
            return False
        if answer == "a":
            self.always_tools.add(name)
        return answer in "ya"
