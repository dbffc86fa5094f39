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
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from goshi.llm.types import ToolCall

# (path relative to the workspace, unified diff, is it a new file) -> approved?
Approver = Callable[[str, str, bool], bool]
# (an MCP tool's SERVER__tool name, its arguments as JSON) -> approved?  -y never answers this
ToolApprover = Callable[[str, str], bool]


@dataclass
class ToolResult:
    """What a tool call returned, for the model and for the user."""

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
