"""The coding tools offered to the model (the names are the contract), jailed in the workspace.

    read_file  {path, start_line?, end_line?}  text; a long file is cut with a marker that says
                                              how to read on; binary files are refused
    list_dir   {path, recursive?}             entries, directories with a trailing /; bounded
    search     {pattern, path?, glob?}        a regex over text files; bounded
    write_file {path, content}                a proposal: a unified diff the user approves (or -y);
                                              refused when the file changed since it was read

Walks skip .git/ and whatever .gitignore files say. `Toolbox.run` never raises: invalid JSON,
an unknown tool, a refused path or a failing tool all come back as an error result for the model.
"""

from __future__ import annotations

import contextlib
import difflib
import fnmatch
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from goshi.agent.workspace import Refused, Workspace
from goshi.llm.types import ToolCall

MAX_READ_LINES = 2000
MAX_READ_BYTES = 100_000
MAX_ENTRIES = 500
MAX_MATCHES = 100
MAX_SEARCH_FILE_BYTES = 1_000_000

# (path relative to the workspace, unified diff, is it a new file) -> approved?
Approver = Callable[[str, str, bool], bool]


@dataclass
class ToolResult:
    ok: bool
    content: str  # what the model reads
    summary: str  # one short phrase for the user's tool line


def _schema(
    name: str, description: str, props: dict[str, Any], required: list[str]
) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": props, "required": required},
        },
    }


SCHEMAS = [
    _schema(
        "read_file",
        "Read a text file in the workspace. Long files come back in parts; use start_line and "
        "end_line (1-based, inclusive) to read a range.",
        {
            "path": {"type": "string", "description": "Path relative to the workspace root."},
            "start_line": {"type": "integer", "minimum": 1},
            "end_line": {"type": "integer", "minimum": 1},
        },
        ["path"],
    ),
    _schema(
        "list_dir",
        "List a directory of the workspace (directories end with /). recursive lists the whole "
        "tree, skipping .git and what .gitignore ignores.",
        {"path": {"type": "string", "default": "."}, "recursive": {"type": "boolean"}},
        ["path"],
    ),
    _schema(
        "search",
        "Search the workspace's text files with a regular expression (Python syntax). Returns "
        "path:line: text for each match; .gitignore is respected.",
        {
            "pattern": {"type": "string"},
            "path": {"type": "string", "description": "Directory or file to search; default ."},
            "glob": {"type": "string", "description": "Only files matching this, e.g. *.py"},
        },
        ["pattern"],
    ),
    _schema(
        "write_file",
        "Propose the complete new content of a file. The user sees a diff and approves it or not. "
        "Read an existing file first: a file changed since you read it is refused.",
        {"path": {"type": "string"}, "content": {"type": "string"}},
        ["path", "content"],
    ),
]
NAMES = [s["function"]["name"] for s in SCHEMAS]


_SECRET_KEY = re.compile(r"key|token|secret|passw|authorization|credential", re.IGNORECASE)


def redacted_arguments(call: ToolCall) -> str:
    """The call's arguments for the audit: secrets by key name replaced, file contents sized."""
    try:
        args = json.loads(call.arguments or "{}")
    except ValueError:
        return f"[invalid JSON, {len(call.arguments)} chars]"

    def clean(value: Any, key: str = "") -> Any:
        if key and _SECRET_KEY.search(key):
            return "[redacted]"
        if isinstance(value, dict):
            return {k: clean(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    args = clean(args)
    if (
        call.name == "write_file"
        and isinstance(args, dict)
        and isinstance(args.get("content"), str)
    ):
        args["content"] = f"<{len(args['content'])} chars>"
    return json.dumps(args, ensure_ascii=False)[:500]


def brief(call: ToolCall) -> str:
    """The call in a few words for the user's tool line: `read_file README.md`."""
    try:
        args = json.loads(call.arguments or "{}")
    except ValueError:
        return call.name
    if not isinstance(args, dict):
        return call.name
    main = args.get("path") if call.name != "search" else args.get("pattern")
    return f"{call.name} {main}" if main else call.name


def _size(n: int) -> str:
    return f"{n} B" if n < 1000 else f"{n / 1000:.1f} KB"


def _text(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise Refused(f"{path.name} is a binary file; only text files can be read")
    return data.decode("utf-8", errors="replace")


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


class Toolbox:
    def __init__(self, workspace: Workspace, approve: Approver) -> None:
        self.ws = workspace
        self.approve = approve
        self.seen: dict[Path, str] = {}  # file -> sha256 of the content the model read

    schemas = SCHEMAS

    def run(self, call: ToolCall) -> ToolResult:
        try:
            args = json.loads(call.arguments or "{}")
            if not isinstance(args, dict):
                raise ValueError("expected a JSON object")
        except ValueError as exc:
            return ToolResult(False, f"error: the arguments are not valid JSON ({exc})", "bad JSON")
        handlers: dict[str, Callable[..., ToolResult]] = {
            "read_file": self.read_file,
            "list_dir": self.list_dir,
            "search": self.search,
            "write_file": self.write_file,
        }
        handler = handlers.get(call.name)
        if handler is None:
            return ToolResult(
                False,
                f"error: no tool named {call.name!r}; the tools are {', '.join(NAMES)}",
                "unknown tool",
            )
        try:
            return handler(**args)
        except Refused as exc:
            return ToolResult(False, f"refused: {exc}", f"refused: {exc}")
        except TypeError as exc:
            return ToolResult(
                False, f"error: bad arguments for {call.name}: {exc}", "bad arguments"
            )
        except (OSError, UnicodeError) as exc:
            return ToolResult(False, f"error: {call.name} failed: {exc}", f"failed: {exc}")

    # --- the tools -------------------------------------------------------------------------

    def read_file(
        self, path: str, start_line: int | None = None, end_line: int | None = None
    ) -> ToolResult:
        file = self.ws.resolve(path)
        if not file.exists():
            raise Refused(f"{path!r} does not exist")
        if file.is_dir():
            raise Refused(f"{path!r} is a directory; use list_dir")
        text = _text(file)
        self.seen[file] = hashlib.sha256(text.encode()).hexdigest()
        lines = text.splitlines(keepends=True)
        first = max(1, int(start_line or 1))
        last = min(len(lines), int(end_line or len(lines)))
        chunk: list[str] = []
        size = 0
        for number in range(first, last + 1):
            line = lines[number - 1]
            if len(chunk) >= MAX_READ_LINES or size + len(line) > MAX_READ_BYTES:
                break
            chunk.append(line)
            size += len(line)
        shown_last = first + len(chunk) - 1
        body = "".join(chunk)
        if shown_last < last:
            body += (
                f"\n[cut: lines {first}-{shown_last} of {len(lines)} shown; call read_file with "
                f"start_line={shown_last + 1} to read on]"
            )
        return ToolResult(True, body, f"ok {_size(len(body.encode()))}")

    def list_dir(self, path: str = ".", recursive: bool = False) -> ToolResult:
        top = self.ws.resolve(path)
        if not top.is_dir():
            raise Refused(f"{path!r} is not a directory")
        ignore = Ignore(self.ws.root)
        entries: list[str] = []
        if recursive:
            for rel, is_dir in ignore.walk(top):
                if self.ws.is_private(self.ws.root / rel):
                    continue
                entries.append(rel + ("/" if is_dir else ""))
                if len(entries) > MAX_ENTRIES:
                    break
        else:
            for child in sorted(top.iterdir(), key=lambda p: p.name):
                rel = self.ws.relative(child)
                hidden = child.name == ".git" or self.ws.is_private(child)
                if not hidden and not ignore.ignored(rel, child.is_dir()):
                    entries.append(rel + ("/" if child.is_dir() else ""))
        more = len(entries) > MAX_ENTRIES
        body = "\n".join(sorted(entries[:MAX_ENTRIES])) or "(empty)"
        if more:
            body += f"\n[cut at {MAX_ENTRIES} entries; list a subdirectory to see more]"
        return ToolResult(True, body, f"ok {min(len(entries), MAX_ENTRIES)} entries")

    def search(self, pattern: str, path: str = ".", glob: str | None = None) -> ToolResult:
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            return ToolResult(False, f"error: invalid regular expression: {exc}", "bad regex")
        top = self.ws.resolve(path)
        ignore = Ignore(self.ws.root)
        files = [(self.ws.relative(top), False)] if top.is_file() else ignore.walk(top)
        matches: list[str] = []
        for rel, is_dir in files:
            if is_dir or (
                glob
                and not fnmatch.fnmatch(rel, glob)
                and not fnmatch.fnmatch(rel.rsplit("/", 1)[-1], glob)
            ):
                continue
            file = self.ws.root / rel
            try:
                if (
                    file.is_symlink()
                    or self.ws.is_private(file)
                    or file.stat().st_size > MAX_SEARCH_FILE_BYTES
                ):
                    continue
                text = _text(file)
            except (Refused, OSError):
                continue
            for number, line in enumerate(text.splitlines(), 1):
                if regex.search(line):
                    matches.append(f"{rel}:{number}: {line.strip()[:200]}")
                    if len(matches) >= MAX_MATCHES:
                        break
            if len(matches) >= MAX_MATCHES:
                break
        body = "\n".join(matches) or "no matches"
        if len(matches) >= MAX_MATCHES:
            body += f"\n[cut at {MAX_MATCHES} matches; narrow the pattern, path or glob]"
        return ToolResult(True, body, f"ok {len(matches)} matches")

    def write_file(self, path: str, content: str) -> ToolResult:
        if not isinstance(content, str):
            raise TypeError("content must be a string")
        file = self.ws.resolve(path, for_write=True)
        rel = self.ws.relative(file)
        exists = file.exists()
        if exists and file.is_dir():
            raise Refused(f"{path!r} is a directory")
        old = _text(file) if exists else ""
        if exists:
            digest = hashlib.sha256(old.encode()).hexdigest()
            if file not in self.seen:
                raise Refused(f"{rel} exists and you have not read it; read_file it first")
            if self.seen[file] != digest:
                raise Refused(f"{rel} changed since you read it; read_file it again")
        diff = "".join(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                content.splitlines(keepends=True),
                fromfile=f"a/{rel}" if exists else "/dev/null",
                tofile=f"b/{rel}",
            )
        )
        if not diff:
            return ToolResult(True, f"{rel} already has that content; nothing written", "unchanged")
        if not self.approve(rel, diff, not exists):
            return ToolResult(
                False,
                f"the user did not approve the change to {rel}; it was not written",
                "not approved",
            )
        _atomic_write(file, content)
        self.seen[file] = hashlib.sha256(content.encode()).hexdigest()
        added = sum(
            1 for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")
        )
        removed = sum(
            1 for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")
        )
        return ToolResult(
            True, f"wrote {rel} (+{added} -{removed} lines)", f"ok +{added} -{removed}"
        )


def _atomic_write(file: Path, content: str) -> None:
    """A temp file beside the target, then a rename: the file is old or new, never half."""
    file.parent.mkdir(parents=True, exist_ok=True)
    mode = file.stat().st_mode & 0o7777 if file.exists() else None
    fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".goshi")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(content)
        if mode is not None:
            os.chmod(tmp, mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, file)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
