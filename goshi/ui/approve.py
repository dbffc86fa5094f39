"""Asking before a write: the unified diff, then `y`es / `n`o / `a`lways (this session).

The question goes to the controlling terminal (/dev/tty), so it works while stdout is a pipe.
With -y every write is approved (the diff is still shown on stderr); with no terminal to ask and
no -y, every write is refused and the model is told so.

An MCP server's tool (SERVER__tool) is asked about the same way, with its arguments shown, every
call unless `a`lways was said for that tool; -y does not approve it.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TextIO

from goshi.sanitize import for_review, one_line

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


class Approval:
    def __init__(self, yes: bool) -> None:
        self.always = yes
        self.always_tools: set[str] = set()

    def __call__(self, rel: str, diff: str, new_file: bool) -> bool:
        if self.always:
            sys.stderr.write(_colour(diff))
            return True
        try:
            with open("/dev/tty", encoding="utf-8") as keys, open("/dev/tty", "w") as screen:
                return self._ask(keys, screen, rel, diff, new_file)
        except OSError:  # no controlling terminal: nobody to ask
            return False

    def _ask(self, keys: TextIO, screen: TextIO, rel: str, diff: str, new_file: bool) -> bool:
        screen.write(_colour(diff))
        verb = "create" if new_file else "change"
        rel = for_review(one_line(rel))
        answer = _choice(keys, screen, f"{verb} {rel}? [y]es / [n]o / [a]lways this session: ")
        if answer == "a":
            self.always = True
        return answer != "n"

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
            with open("/dev/tty", encoding="utf-8") as keys, open("/dev/tty", "w") as screen:
                screen.write(f"MCP tool {name} wants to run with:\n{for_review(shown)}\n")
                answer = _choice(keys, screen, f"run {name}? [y]es / [n]o / [a]lways this tool: ")
        except OSError:
            return False
        if answer == "a":
            self.always_tools.add(name)
        return answer != "n"


def _choice(keys: TextIO, screen: TextIO, question: str) -> str:
    """y, n or a, asked until one of them is given; an empty answer is n."""
    while True:
        screen.write(question)
        screen.flush()
        answer = keys.readline().strip().lower()
        if answer in ("y", "yes", "n", "no", "", "a", "always"):
            return (answer or "n")[0]
