"""`goshi ask -x/--code`: only the code of the answer, for `goshi ask -x "..." > script.sh`.

    text deltas (kept, nothing shown while they stream) -> the answer's fenced blocks
    (CommonMark: ``` or ~~~, three or more, closed by a like fence at least as long; an unclosed
    block runs to the end) -> every block's body, in order, each ending in a newline

A pipe gets the bodies exactly; a terminal gets them through the sanitiser. The answer is stored
whole: only what is printed changes. No code at all is a stderr line, and exit 0.
"""

from __future__ import annotations

import logging
import re
from typing import TextIO

from goshi.agent.turn import Answer
from goshi.cost.meter import Charge
from goshi.sanitize import for_terminal
from goshi.ui.output import JsonOutput

log = logging.getLogger("goshi")

_OPEN = re.compile(r"( {0,3})(`{3,}|~{3,})(.*)")


def code_blocks(text: str) -> list[str]:
    """The bodies of the fenced code blocks of Markdown text, in order."""
    blocks: list[str] = []
    body: list[str] | None = None
    fence, indent = "", 0
    for line in text.splitlines(keepends=True):
        bare = line.rstrip("\r\n")
        if body is None:
            opened = _OPEN.fullmatch(bare)
            if opened and not (opened[2][0] == "`" and "`" in opened[3]):
                indent, fence, body = len(opened[1]), opened[2], []
            continue
        stripped = bare.lstrip(" ")
        closing = stripped.rstrip(" \t")
        if (
            len(bare) - len(stripped) <= 3
            and closing.startswith(fence)
            and set(closing) == {fence[0]}
        ):
            blocks.append("".join(body))
            body = None
            continue
        cut = min(indent, len(line) - len(line.lstrip(" ")))
        body.append(line[cut:])
    if body is not None:
        blocks.append("".join(body))
    return [b if b.endswith("\n") or not b else b + "\n" for b in blocks]


class CodeOutput(JsonOutput):
    """Silent while the answer streams (as --json is); at the end, its code and nothing else."""

    def __init__(self, out: TextIO) -> None:
        super().__init__(out)
        self.parts: list[str] = []

    def write(self, delta: str) -> None:
        self.parts.append(delta)

    def finish_partial(self) -> None:
        self._print("".join(self.parts))

    def finish(
        self, answer: Answer, conversation_id: int, fallback: bool, charge: Charge | None
    ) -> None:
        self._print(answer.text)

    def _print(self, text: str) -> None:
        code = "".join(code_blocks(text))
        if not code and text.strip():
            log.warning(
                "the answer has no code block; `goshi history show --last` prints all of it"
            )
        self.out.write(code if not self.out.isatty() else for_terminal(code))
        self.out.flush()
