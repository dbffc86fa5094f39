"""What the model has read: per file, the SHA-256 of the content it saw and the lines shown.

    read_file  -> saw(file, digest, first, last)  a new digest forgets the old lines
    write_file -> check(file, rel, text)           read at all, and unchanged since?
    edit_file  -> check(...) and covers(file, a, b) the lines it replaces were shown
    a change written -> wrote(...)                 the model knows what it wrote

A change is refused when the model has not read the file or the file changed since it did, so
goshi never overwrites what neither the model nor the user has seen.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from goshi.agent.workspace import Refused

EVERY_LINE = 1 << 62


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass
class Read:
    digest: str
    lines: list[tuple[int, int]] = field(default_factory=list)  # 1-based, inclusive


class Reads:
    def __init__(self) -> None:
        self.files: dict[Path, Read] = {}

    def saw(self, file: Path, now: str, first: int, last: int) -> None:
        """The model was shown lines first..last of the file whose bytes have digest `now`
        (the SHA-256 of UTF-8 text, as `digest` computes it)."""
        known = self.files.get(file)
        if known is None or known.digest != now:
            known = self.files[file] = Read(now)
        if last >= first:
            known.lines.append((first, last))

    def forget(self, file: Path) -> None:
        self.files.pop(file, None)

    def check(self, file: Path, rel: str, text: str) -> None:
        """Refused unless the model read this file and it has not changed since."""
        known = self.files.get(file)
        if known is None:
            raise Refused(f"{rel} exists and you have not read it; read_file it first")
        if known.digest != digest(text):
            raise Refused(f"{rel} changed since you read it; read_file it again")

    def covers(self, file: Path, first: int, last: int) -> bool:
        """Were lines first..last all shown to the model?"""
        line = first
        for a, b in sorted(self.files[file].lines):
            if a > line:
                break
            line = max(line, b + 1)
        return line > last

    def wrote(self, file: Path, text: str, spans: list[tuple[int, int, int]] | None = None) -> None:
        """The file now holds `text`, written by the model. `spans` = (first, last, new last)
        of each run of lines an edit replaced: the lines read after one move with it; without
        spans the model wrote (so knows) the whole file."""
        known = self.files.get(file)
        if spans is None or known is None:
            self.files[file] = Read(digest(text), [(1, EVERY_LINE)])
            return
        lines = known.lines
        for first, last, new_last in sorted(spans, reverse=True):  # the last first: no renumbering
            shift = new_last - last
            moved = []
            for a, b in lines:
                if b < first:
                    moved.append((a, b))
                elif a > last:
                    moved.append((a + shift, b + shift))
                else:
                    moved.append((min(a, first), max(b, last) + shift))
            lines = moved
        self.files[file] = Read(digest(text), lines)
