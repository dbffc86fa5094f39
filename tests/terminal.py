"""What a user sees in a terminal: a pexpect child's output fed through pyte, a VT100 emulator.

Assertions read the screen (and the lines scrolled above it), never the raw byte stream, so a
styled word split by escape codes still reads as the user reads it.
"""

from __future__ import annotations

import re
import time

import pexpect
import pyte


class Term:
    def __init__(self, child: pexpect.spawn, rows: int, cols: int) -> None:
        self.child = child
        self.screen = pyte.HistoryScreen(cols, rows, history=100_000)
        self.stream = pyte.Stream(self.screen)
        self.eof = False

    def pump(self, seconds: float = 0.05) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                data = self.child.read_nonblocking(65536, timeout=0.02)
                self.stream.feed(data)
            except pexpect.TIMEOUT:
                pass
            except pexpect.EOF:
                self.eof = True
                return
            if time.monotonic() >= deadline:
                return

    def lines(self) -> list[str]:
        cols = self.screen.columns
        above = [
            "".join(line[x].data for x in range(cols)).rstrip() for line in self.screen.history.top
        ]
        return above + [line.rstrip() for line in self.screen.display]

    def text(self) -> str:
        return "\n".join(self.lines()).rstrip("\n")

    def wait_for(self, pattern: str, timeout: float = 15) -> re.Match[str]:
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            self.pump()
            if match := regex.search(self.text()):
                return match
            if self.eof or time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} never appeared; the screen:\n{self.text()}")

    def count(self, pattern: str) -> int:
        return len(re.findall(pattern, self.text()))

    def send(self, text: str) -> None:
        self.child.send(text)

    def wait_exit(self, timeout: float = 10) -> int:
        deadline = time.monotonic() + timeout
        while not self.eof and time.monotonic() < deadline:
            self.pump()
        self.child.close()
        return int(self.child.exitstatus if self.child.exitstatus is not None else -1)
