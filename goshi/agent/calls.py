"""The tools as the model and the audit see them: the schemas offered (plain data), the result of
a call, and a call described for the user's tool line and for the audit.

Nothing here touches the file system: the implementations (goshi/agent/tools.py) load on the
first tool call, so an answer that calls no tool never imports them.

    read_file  {path, start_line?, end_line?}  text; a long file is cut with a marker that says
                                              how to read on; binary files are refused
    list_dir   {path, recursive?}             entries, directories with a trailing /; bounded
    search     {pattern, path?, glob?}        a regex over text files; bounded
    write_file {path, content}                a proposal: a unified diff the user approves (or -y);
                                              refused when the file changed since it was read
    edit_file  {path, old_string, new_string, replace_all?}
                                              the same, for one exact replacement in a file read
    run_command {command, timeout_s?}         a shell command in the workspace root, approved on
                                              the terminal (never by -y) unless tools.allow_commands
                                              names it; exit code, duration, bounded output
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import field
from typing import Any, Protocol

from goshi import json_bounds
from goshi.llm.types import ToolCall
from goshi.record import record
from goshi.sanitize import one_line


class Approver(Protocol):
    """Who says yes: the terminal (goshi/ui/approve.py), or a test's stand-in."""

    def __call__(
        self, rel: str, diff: str, new_file: bool, tool: str = "write_file", undoable: bool = True
    ) -> bool:
        """A change to a file (path relative to the workspace, its unified diff) that `tool`
        proposes: approved? `undoable` False: too large to keep, `goshi undo` cannot put it
        back, and the approval must say so."""

    def command(
        self, command: str, cwd: str, timeout_s: float, why: str = "", note: str = ""
    ) -> str | None:
        """A command the model wants to run: the command to run (the user may have edited
        it), or None when refused. -y never answers this. `why`: the reason an allow-listed
        command is asked about after all; `note`: what else the user should know (a program
        the repository's git config names)."""

    def allowlist_applies(self) -> str:
        """ "" when an allow-listed command may run unasked now, else why not: under -y, or
        after a change was written in this session that the user was not shown."""


class NotShown(Exception):
    """An approver could not show the whole proposal at once (too big for the user's terminal):
    refused unseen; the message is for the model."""


# (an MCP tool's SERVER__tool name, its arguments as JSON) -> approved?  -y never answers this
ToolApprover = Callable[[str, str], bool]


@record(frozen=True, slots=True)
class Applied:
    """A file change a tool wrote, for the store to keep (goshi/store/changes.py) and undo."""

    path: str  # absolute, its links followed
    rel: str  # as the workspace names it
    before: str | None  # None: the file was created; "" when an edited one is not kept
    after: str | None
    kept: bool = True  # False: too large to keep; the approval said it cannot be undone


@record
class ToolResult:
    """What a tool call returned, for the model and for the user."""

    ok: bool
    content: str  # what the model reads
    summary: str  # one short phrase for the user's tool line
    waited_s: float = 0.0  # time spent waiting for the user: not part of the tool's duration
    tail: str = ""  # a command's last lines, shown under the tool line
    audit: dict[str, Any] = field(default_factory=dict)  # facts the audit records beside the call
    stop: bool = False  # the user pressed Ctrl-C: the turn ends after this result
    applied: Applied | None = None  # the file change it wrote, if any


NOT_SHOWN = "too big to show"  # the summary of a call refused as NotShown: history shows it whole


def not_shown(exc: NotShown, waited_s: float = 0.0) -> ToolResult:
    return ToolResult(False, f"refused: {exc}", NOT_SHOWN, waited_s)


def size_text(n: int) -> str:
    return f"{n} B" if n < 1000 else f"{n / 1000:.1f} KB"


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
        "Search the workspace's text files with a regular expression (RE2: Python syntax without "
        "backreferences or lookaround). Returns path:line: text for each match; .gitignore is "
        "respected.",
        {
            "pattern": {"type": "string"},
            "path": {"type": "string", "description": "Directory or file to search; default ."},
            "glob": {"type": "string", "description": "Only files matching this, e.g. *.py"},
        },
        ["pattern"],
    ),
    _schema(
        "write_file",
        "Create a new file with this content. To change an existing file use edit_file; "
        "write_file replaces a whole file only when most of it changes (read it first: a file "
        "changed since you read it is refused). The user sees a diff and approves it or not.",
        {"path": {"type": "string"}, "content": {"type": "string"}},
        ["path", "content"],
    ),
    _schema(
        "edit_file",
        "Change an existing file: replace old_string, which must occur exactly once in the file "
        "(include a few surrounding lines to make it unique), with new_string; or every "
        "occurrence with replace_all. Copy old_string exactly from what read_file showed, "
        "indentation included; you must have read those lines. The user sees a diff and approves "
        "it or not. Prefer this to write_file for every change to an existing file.",
        {
            "path": {"type": "string"},
            "old_string": {"type": "string", "description": "The exact text to replace."},
            "new_string": {"type": "string", "description": "The text to put in its place."},
            "replace_all": {"type": "boolean", "default": False},
        },
        ["path", "old_string", "new_string"],
    ),
    _schema(
        "run_command",
        "Run a shell command in the workspace root, e.g. the project's tests or linter, to check "
        "a change. The user approves each command. No stdin: it must not wait for input. "
        "Returns the exit code, the duration and the output (stdout and stderr interleaved, "
        "long output cut in the middle).",
        {
            "command": {"type": "string"},
            "timeout_s": {
                "type": "number",
                "description": "Kill it after this many seconds (at most the user's limit).",
            },
        },
        ["command"],
    ),
]
NAMES = [s["function"]["name"] for s in SCHEMAS]


def offered(commands: bool) -> list[dict[str, Any]]:
    """The schemas sent: run_command only while tools.commands is on."""
    if commands:
        return SCHEMAS
    return [s for s in SCHEMAS if s["function"]["name"] != "run_command"]


_SECRET_KEY = re.compile(r"key|token|secret|passw|authorization|credential", re.IGNORECASE)


def redacted_arguments(call: ToolCall, facts: dict[str, Any] | None = None) -> str:
    """The call's arguments for the audit: secrets by key name replaced, file contents sized,
    then the facts the tool reported (a command as it ran, its exit code, output size)."""
    try:
        args = json_bounds.loads(call.arguments or "{}")
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
    if isinstance(args, dict):
        for key in _SIZED.get(call.name, ()):
            if isinstance(args.get(key), str):
                args[key] = f"<{len(args[key])} chars>"
        args.update(facts or {})
    text = json.dumps(args, ensure_ascii=False)[:500]
    return text.encode("utf-8", "backslashreplace").decode("utf-8")  # a lone surrogate, spelt


_SIZED = {"write_file": ("content",), "edit_file": ("old_string", "new_string")}
BRIEF_CHARS = 60


def brief(call: ToolCall) -> str:
    """The call in a few words for the user's tool line: `read_file README.md`."""
    try:
        args = json_bounds.loads(call.arguments or "{}")
    except ValueError:
        return call.name
    if not isinstance(args, dict):
        return call.name
    main = args.get({"search": "pattern", "run_command": "command"}.get(call.name, "path"))
    if not main:
        return call.name
    main = str(main)
    if len(main) > BRIEF_CHARS:
        main = main[: BRIEF_CHARS - 1] + "…"
    return f"{call.name} {one_line(main)}"
