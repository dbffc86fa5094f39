"""What .gitignore files (at every level) and .git/ hide from the tools' walks."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class Ignore:
    """What .gitignore files (at every level) and .git/ hide from walks."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.specs: dict[str, Any] = {}

    def load(self, rel_dir: str) -> None:
        if rel_dir in self.specs:
            return
        file = self.root / rel_dir / ".gitignore"
        spec = None
        if file.is_file():
            import pathspec

            lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
            spec = pathspec.GitIgnoreSpec.from_lines(lines)
        self.specs[rel_dir] = spec

    def ignored(self, rel: str, is_dir: bool) -> bool:
        if rel == ".git" or rel.startswith(".git/") or "/.git/" in f"/{rel}/":
            return True
        parts = rel.split("/")
        for depth in range(len(parts)):
            base = "/".join(parts[:depth])
            self.load(base)
            spec = self.specs.get(base)
            if spec is not None:
                sub = "/".join(parts[depth:]) + ("/" if is_dir else "")
                if spec.match_file(sub):
                    return True
        return False

    def walk(self, start: Path) -> Iterator[tuple[str, bool]]:
        """(path relative to the root, is a directory), sorted, pruning ignored directories."""
        for dirpath, dirnames, filenames in os.walk(start):
            rel_dir = Path(dirpath).relative_to(self.root).as_posix()
            rel_dir = "" if rel_dir == "." else rel_dir
            keep = []
            for name in sorted(dirnames):
                rel = f"{rel_dir}/{name}" if rel_dir else name
                if not self.ignored(rel, True) and not os.path.islink(os.path.join(dirpath, name)):
                    keep.append(name)
                    yield rel, True
            dirnames[:] = keep
            for name in sorted(filenames):
                rel = f"{rel_dir}/{name}" if rel_dir else name
                if not self.ignored(rel, False):
                    yield rel, False
