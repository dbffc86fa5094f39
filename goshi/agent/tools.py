"""The coding tools' implementations, jailed in the workspace (their schemas, the contract, are
plain data in goshi/agent/calls.py; this module loads on the first tool call).

    call -> JSON arguments -> the handler by name -> a ToolResult for the model

Changes are proposals: goshi/agent/write.py (write_file) and goshi/agent/edit.py (edit_file) show
the diff and write only what is approved; goshi/agent/command.py runs an approved run_command.
Walks skip .git/ and whatever .gitignore files say. `Toolbox.run` never raises: invalid JSON,
arguments of the wrong type (goshi/agent/arguments.py), an unknown tool, a refused path or a
failing tool all come back as an error result for the model. Nothing hangs either: read_file
streams and stops at its cap, search runs RE2 (goshi/agent/pattern.py), linear in the text.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from goshi import json_bounds
from goshi.agent.arguments import BadArguments, check
from goshi.agent.calls import NAMES, SCHEMAS, Approver, ToolResult, size_text
from goshi.agent.ignore import Ignore
from goshi.agent.pattern import BadPattern, compile_pattern
from goshi.agent.reads import Reads
from goshi.agent.workspace import Refused, Workspace, read_text, single_link
from goshi.agent.write import MAX_WRITE_BYTES, propose_write
from goshi.llm.types import ToolCall

if TYPE_CHECKING:
    from goshi.agent.command import Commands

log = logging.getLogger("goshi")

MAX_READ_LINES = 2000
MAX_READ_BYTES = 100_000
MAX_ENTRIES = 500
MAX_MATCHES = 100
MAX_SEARCH_FILE_BYTES = 1_000_000
MAX_SKIP_BYTES = 256_000_000  # read_file scans at most this far to reach start_line
BINARY_SNIFF = 8192


class Toolbox:
    def __init__(
        self, workspace: Workspace, approve: Approver, commands: Commands | None = None
    ) -> None:
        self.ws = workspace
        self.approve = approve
        self.commands = commands  # None: run_command is off (tools.commands: false)
        self.seen = Reads()  # what the model has read: changes need it
        self.watch: Callable[[str], None] | None = None  # a running command's output goes here

    def run(self, call: ToolCall, watch: Callable[[str], None] | None = None) -> ToolResult:
        """The call's result; `watch` sees a command's output as it arrives."""
        self.watch = watch
        try:
            args = json_bounds.loads(call.arguments or "{}")
            if not isinstance(args, dict):
                raise ValueError("expected a JSON object")
        except ValueError as exc:
            return ToolResult(False, f"error: the arguments are not valid JSON ({exc})", "bad JSON")
        handlers: dict[str, Callable[..., ToolResult]] = {
            "read_file": self.read_file,
            "list_dir": self.list_dir,
            "search": self.search,
            "write_file": self.write_file,
            "edit_file": self.edit_file,
            "run_command": self.run_command,
        }
        handler = handlers.get(call.name)
        if handler is None:
            return ToolResult(
                False,
                f"error: no tool named {call.name!r}; the tools are {', '.join(NAMES)}",
                "unknown tool",
            )
        schema = next((s for s in SCHEMAS if s["function"]["name"] == call.name), None)
        try:
            if schema is not None:
                args = check(schema, args)
            return handler(**args)
        except BadArguments as exc:
            return ToolResult(
                False, f"error: bad arguments for {call.name}: {exc}", "bad arguments"
            )
        except Refused as exc:
            return ToolResult(False, f"refused: {exc}", f"refused: {exc}")
        except TypeError as exc:
            return ToolResult(
                False, f"error: bad arguments for {call.name}: {exc}", "bad arguments"
            )
        except (OSError, UnicodeError) as exc:
            return ToolResult(False, f"error: {call.name} failed: {exc}", f"failed: {exc}")
        except Exception as exc:  # a tool must never end the turn; the model hears what failed
            log.debug("tool %s failed", call.name, exc_info=True)
            what = f"{type(exc).__name__}: {exc}"[:300]
            return ToolResult(False, f"error: {call.name} failed: {what}", "failed")

    # --- the tools -------------------------------------------------------------------------

    def read_file(
        self, path: str, start_line: int | None = None, end_line: int | None = None
    ) -> ToolResult:
        """Streamed: the first bytes decide binary, and reading stops at the cap, so a 2 GB
        file costs no more than a small one."""
        file = self.ws.resolve(path)
        if not file.exists():
            raise Refused(f"{path!r} does not exist")
        if file.is_dir():
            raise Refused(f"{path!r} is a directory; use list_dir")
        first = start_line or 1
        if end_line is not None and end_line < first:
            raise BadArguments(f"end_line {end_line} is before start_line {first}")
        with file.open("rb") as f:
            if b"\x00" in f.read(BINARY_SNIFF):
                raise Refused(f"{file.name} is a binary file; only text files can be read")
            f.seek(0)
            lines, more = _read_lines(f, first, end_line)
        body = "".join(raw.decode("utf-8", errors="replace") for raw in lines)
        shown_last = first + len(lines) - 1
        self._remember(file, first, shown_last)
        if more and lines and not lines[-1].endswith(b"\n"):
            body += (
                f"\n[cut: line {shown_last} is longer than {MAX_READ_BYTES // 1000} KB;"
                " only its start is shown]"
            )
        elif more:
            body += (
                f"\n[cut: lines {first}-{shown_last} shown; call read_file with "
                f"start_line={shown_last + 1} to read on]"
            )
        return ToolResult(True, body, f"ok {size_text(len(body.encode()))}")

    def _remember(self, file: Path, first: int, last: int) -> None:
        """What the model read, so a change can tell whether the file changed since: the digest
        of its bytes, streamed (only for files a change may rewrite: hashing a huge one would
        read it all)."""
        if file.stat().st_size > MAX_WRITE_BYTES:
            self.seen.forget(file)
            return
        digest = hashlib.sha256()
        with file.open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
        self.seen.saw(file, digest.hexdigest(), first, last)

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
            matches_line, note = compile_pattern(pattern)
        except BadPattern as exc:
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
                info = file.lstat()
                if (
                    not stat.S_ISREG(info.st_mode)  # a link, FIFO (it would block), device...
                    or self.ws.is_private(file)
                    or info.st_size > MAX_SEARCH_FILE_BYTES
                    or not single_link(info)
                ):
                    continue
                text = read_text(file)
            except (Refused, OSError):
                continue
            for number, line in enumerate(text.splitlines(), 1):
                if matches_line(line):
                    matches.append(f"{rel}:{number}: {line.strip()[:200]}")
                    if len(matches) >= MAX_MATCHES:
                        break
            if len(matches) >= MAX_MATCHES:
                break
        body = ("\n".join(matches) or "no matches") + note
        if len(matches) >= MAX_MATCHES:
            body += f"\n[cut at {MAX_MATCHES} matches; narrow the pattern, path or glob]"
        return ToolResult(True, body, f"ok {len(matches)} matches")

    def write_file(self, path: str, content: str) -> ToolResult:
        return propose_write(self.ws, self.seen, self.approve, path, content)

    def edit_file(
        self, path: str, old_string: str, new_string: str, replace_all: bool = False
    ) -> ToolResult:
        from goshi.agent.edit import propose_edit

        return propose_edit(
            self.ws, self.seen, self.approve, path, old_string, new_string, bool(replace_all)
        )

    def run_command(self, command: str, timeout_s: float | None = None) -> ToolResult:
        if self.commands is None:
            return ToolResult(
                False, "error: run_command is turned off (tools.commands: false)", "turned off"
            )
        return self.commands.run(command, timeout_s, self.approve, self.watch)


def _read_lines(f: BinaryIO, first: int, last: int | None) -> tuple[list[bytes], bool]:
    """Lines first..last (1-based, with their newlines) of a file, read piece by piece within
    MAX_READ_LINES and MAX_READ_BYTES; True when the cap cut them (more follow)."""
    lines: list[bytes] = []
    line = bytearray()
    number = 1
    size = skipped = 0
    while raw := f.readline(MAX_READ_BYTES + 1):
        if number < first:
            skipped += len(raw)
            if skipped > MAX_SKIP_BYTES:
                raise Refused(
                    f"line {first} is more than {MAX_SKIP_BYTES // 1_000_000} MB into the file;"
                    " read an earlier part, or search for what you need"
                )
            number += raw.endswith(b"\n")
            continue
        if len(lines) >= MAX_READ_LINES or size + len(raw) > MAX_READ_BYTES:
            if not lines:  # one line longer than the cap: its start
                lines.append(bytes(line + raw)[:MAX_READ_BYTES])
            return lines, True
        line += raw
        size += len(raw)
        if raw.endswith(b"\n"):
            lines.append(bytes(line))
            line.clear()
            number += 1
            if last is not None and number > last:
                return lines, False
    if line:
        lines.append(bytes(line))
    return lines, False
