"""Asking before a write: the unified diff, then `y`es / `n`o / `a`lways (this session).

The question goes to the controlling terminal (/dev/tty), so it works while stdout is a pipe.
With -y every write is approved (the diff is still shown on stderr); with no terminal to ask and
no -y, every write is refused and the model is told so.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO


def _colour(diff: str) -> str:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return diff
    out = []
    for line in diff.splitlines(keepends=True):
        if line.startswith("+") and not line.startswith("+++"):
            out.append(f"\x1b[32m{line.rstrip(chr(10))}\x1b[0m\n")
        elif line.startswith("-") and not line.startswith("---"):
            out.append(f"\x1b[31m{line.rstrip(chr(10))}\x1b[0m\n")
        elif line.startswith("@@"):
            out.append(f"\x1b[36m{line.rstrip(chr(10))}\x1b[0m\n")
        else:
            out.append(line)
    return "".join(out)


class Approval:
    def __init__(self, yes: bool) -> None:
        self.always = yes

    def __call__(self, rel: str, diff: str, new_file: bool) -> bool:
        if self.always:
            sys.stderr.write(_colour(diff if diff.endswith("\n") else diff + "\n"))
            return True
        try:
            with open("/dev/tty", encoding="utf-8") as keys, open("/dev/tty", "w") as screen:
                return self._ask(keys, screen, rel, diff, new_file)
        except OSError:  # no controlling terminal: nobody to ask
            return False

    def _ask(self, keys: TextIO, screen: TextIO, rel: str, diff: str, new_file: bool) -> bool:
        screen.write(_colour(diff if diff.endswith("\n") else diff + "\n"))
        verb = "create" if new_file else "change"
        while True:
            screen.write(f"{verb} {rel}? [y]es / [n]o / [a]lways this session: ")
            screen.flush()
            answer = keys.readline().strip().lower()
            if answer in ("y", "yes"):
                return True
            if answer in ("n", "no", ""):
                return False
            if answer in ("a", "always"):
                self.always = True
                return True
