"""Asking before a change or a command, on the controlling terminal (/dev/tty), one keypress:

    a change:  the unified diff (goshi/sanitize.py for_review), then y / n / a(lways, this session)
    a command: the command and where it runs (for_review), then y / n / e(dit it, then it runs)

Enter, Esc and Ctrl-D answer no; Ctrl-C refuses and stops the turn (KeyboardInterrupt). -y
approves every change (the diff still goes to stderr) but never a command. With no terminal to
ask, changes (without -y) and commands are refused, and the model is told so.

An MCP server's tool (SERVER__tool) is asked about the same way, with its arguments shown, every
call unless `a`lways was said for that tool; -y does not approve it.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING

from goshi.sanitize import for_review, one_line

if TYPE_CHECKING:
    from goshi.ui.keys import Tty

ANSWERS = {"y": "yes", "n": "no", "a": "always", "e": "edit"}
MAX_SHOWN_ARGUMENTS = 2000


def _colour(diff: str) -> str:
    """The diff as the user reviews it: every line through for_review, so a control, a bidi
    override or a zero-width character is shown, not obeyed (a CR before a newline too);
    then coloured, unless NO_COLOR or TERM=dumb."""
    plain = os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb"
    out = []
    for line in diff.removesuffix("\n").split("\n"):
        shown = for_review(line)
        if plain:
            out.append(f"{shown}\n")
        elif line.startswith("+") and not line.startswith("+++"):
            out.append(f"\x1b[32m{shown}\x1b[0m\n")
        elif line.startswith("-") and not line.startswith("---"):
            out.append(f"\x1b[31m{shown}\x1b[0m\n")
        elif line.startswith("@@"):
            out.append(f"\x1b[36m{shown}\x1b[0m\n")
        else:
            out.append(f"{shown}\n")
    return "".join(out)


def _tty() -> Tty:
    """The controlling terminal, one key at a time (termios loads only when a question is asked)."""
    from goshi.ui.keys import Tty

    return Tty()


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
        self.always = yes  # changes only: commands and MCP tools are always asked
        self.always_tools: set[str] = set()

    def __call__(self, rel: str, diff: str, new_file: bool) -> bool:
        if self.always:
            sys.stderr.write(_colour(diff))
            return True
        verb = "create" if new_file else "change"
        try:
            with _tty() as tty:
                tty.write(_colour(diff))
                question = (
                    f"{verb} {for_review(one_line(rel))}? [y]es / [n]o / [a]lways this session: "
                )
                answer = _ask(tty, question, "yna")
        except OSError:  # no controlling terminal: nobody to ask
            return False
        if answer == "a":
            self.always = True
        return answer in "ya"

    def command(self, command: str, cwd: str, timeout_s: float) -> str | None:
        shown = "\n".join("  $ " + line for line in for_review(command).splitlines())
        try:
            with _tty() as tty:
                tty.write(f"run in {for_review(cwd)} (timeout {timeout_s:g} s):\n{shown}\n")
                answer = _ask(tty, "run it? [y]es / [n]o / [e]dit: ", "yne")
                if answer == "e":
                    return tty.edit("$ ", command)
        except OSError:
            return None
        return command if answer == "y" else None

    def tool_call(self, name: str, arguments: str) -> bool:
        """May the MCP tool `name` run with these arguments (JSON from the model)?"""
        if name in self.always_tools:
            return True
        try:
            shown = json.dumps(json.loads(arguments or "{}"), indent=2, ensure_ascii=False)
        except ValueError:
            shown = arguments
        if len(shown) > MAX_SHOWN_ARGUMENTS:
            shown = shown[:MAX_SHOWN_ARGUMENTS] + f"\n[... {len(shown)} characters in all]"
        name = one_line(name)
        try:
            with _tty() as tty:
                tty.write(f"MCP tool {name} wants to run with:\n{for_review(shown)}\n")
                answer = _ask(tty, f"run {name}? [y]es / [n]o / [a]lways this tool: ", "yna")
        except OSError:
            return False
        if answer == "a":
            self.always_tools.add(name)
        return answer in "ya"
