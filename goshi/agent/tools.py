"""The coding tools' implementations, jailed in the workspace (their schemas, the contract, are
plain data in goshi/agent/calls.py; this module loads on the first tool call).

    call -> JSON arguments -> the handler by name -> a ToolResult for the model

Changes are proposals: goshi/agent/write.py (write_file) and goshi/agent/edit.py (edit_file) show
the diff and write only what is approved; goshi/agent/command.py runs an approved run_command.
Walks skip .git/ and whatever .gitignore files say. `Toolbox.run` never raises: invalid JSON,
an unknown tool, a refused path or a failing tool all come back as an error result for the model.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from goshi.agent.calls import NAMES, Approver, ToolResult, size_text
from goshi.agent.ignore import Ignore
from goshi.agent.reads import Reads
from goshi.agent.workspace import Refused, Workspace, read_text, text_lines
from goshi.agent.write import propose_write
from goshi.llm.types import ToolCall

if TYPE_CHECKING:
    from goshi.agent.command import Commands

MAX_READ_LINES = 2000
MAX_READ_BYTES = 100_000
MAX_ENTRIES = 500
MAX_MATCHES = 100
MAX_SEARCH_FILE_BYTES = 1_000_000


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
        text = read_text(file)
        lines = text_lines(text)
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
        self.seen.saw(file, text, first, shown_last)
        body = "".join(chunk)
        if shown_last < last:
            body += (
                f"\n[cut: lines {first}-{shown_last} of {len(lines)} shown; call read_file with "
                f"start_line={shown_last + 1} to read on]"
            )
        return ToolResult(True, body, f"ok {size_text(len(body.encode()))}")

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
                text = read_text(file)
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
