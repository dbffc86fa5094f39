"""The user's MCP servers' tools beside goshi's own: started once, offered as SERVER__tool,
approved, bounded and sanitised.

    McpTools(settings.mcp, approve).schemas -> every configured server started once per process
        (in parallel): handshake, tools/list, each schema checked -> OpenAI function schemas
    McpTools.run(call) -> arguments the tool's schema does not declare: refused -> the allow
        list, or the user's y / n / a on /dev/tty, every argument shown (-y does not count)
        -> tools/call within mcp.call_timeout_s -> the text, controls made visible, cut at
        MAX_RESULT_CHARS -> a ToolResult (never an exception)

A server that fails to start, breaks the protocol or offers a broken schema is left out with one
warning line; its process is stopped. Every process is stopped at exit (atexit) and on SIGTERM
or SIGHUP, whole process group included.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import re
import signal
import threading
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from goshi import json_bounds
from goshi.agent.calls import NotShown, ToolApprover, ToolResult, not_shown
from goshi.agent.command import LOCALE_ENV, absolute_path
from goshi.config import McpServer, McpSettings
from goshi.llm.types import ToolCall
from goshi.mcp import protocol
from goshi.mcp.client import ServerFailed, StdioClient
from goshi.sanitize import for_terminal, one_line

log = logging.getLogger("goshi")

SEPARATOR = "__"
TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what OpenAI accepts as a function name
MAX_RESULT_CHARS = 100_000
MAX_DESCRIPTION_CHARS = 2000
MAX_RESTARTS = 3  # a server that died is started again at its next call, this many times
MAX_SCHEMA_CHARS = 64_000
MAX_SCHEMA_DEPTH = 32
JSON_TYPES = {"object", "array", "string", "number", "integer", "boolean", "null"}
# what a server inherits of goshi's environment (the MCP SDK's list, and the locale)
INHERITED_ENV = ("HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER", "LANG", "TMPDIR")


@dataclass
class Server:
    """One configured server in this process: running with its tools, or failed with a reason."""

    name: str
    spec: McpServer
    client: StdioClient | None = None
    info: protocol.Handshake | None = None
    tools: list[protocol.Tool] = field(default_factory=list)
    error: str | None = None
    skipped: list[str] = field(default_factory=list)  # tools left out, and why
    ready: threading.Event = field(default_factory=threading.Event)  # started, or failed
    restarts: int = 0  # after it died in this process (at most MAX_RESTARTS)


_running: dict[str, Server] = {}  # once per process: a chat's every turn and conversation share
_lock = threading.Lock()


def connect(name: str, spec: McpServer, timeout: float) -> Server:
    """Start one server and list its tools; on any failure, the Server says why (and is stopped)."""
    server = Server(name, spec)
    _connect(server, timeout)
    return server


def _connect(server: Server, timeout: float) -> None:
    spec = server.spec
    client = StdioClient(server.name, _argv(spec), server_env(spec.env), _cwd(spec.cwd))
    server.client = client
    try:
        client.start()
        server.info = protocol.handshake(client, timeout)
        tools = protocol.list_tools(client, timeout)
        broken = [f"{t.name}: {p}" for t in tools if (p := schema_problem(t.input_schema))]
        if broken:
            raise ServerFailed(f"broken input schema ({broken[0]})")
        names: set[str] = set()
        for tool in tools:
            if not TOOL_NAME.fullmatch(f"{server.name}{SEPARATOR}{tool.name}"):
                server.skipped.append(f"{tool.name[:80]!r}: not a usable tool name")
            elif tool.name in names:  # a request naming a function twice is refused
                server.skipped.append(f"{tool.name!r}: listed twice")
            else:
                names.add(tool.name)
                server.tools.append(tool)
    except ServerFailed as exc:
        server.error = str(exc)
        client.stop()
        server.client = None
    finally:
        server.ready.set()


def start_all(settings: McpSettings, warn: bool = True) -> list[Server]:
    """Every configured server, each started at most once per process, in parallel; each
    failure is one warning line (unless `warn` is off: `goshi mcp list` shows them itself).
    Ctrl-C while they start leaves them starting: the next call waits for them. (An Event, not
    Thread.join: Python 3.11 marks a thread finished when Ctrl-C interrupts a join of it.)"""
    with _lock:
        new = [n for n in settings.servers if n not in _running]
        if new:
            _stop_at_exit()
        for name in new:
            server = _running[name] = Server(name, settings.servers[name])
            threading.Thread(
                target=_connect,
                args=(server, settings.call_timeout_s),
                daemon=True,
                name=f"mcp-{name}",
            ).start()
        for name in settings.servers:
            _running[name].ready.wait()
        for name in new if warn else []:
            server = _running[name]
            if server.error:
                log.warning(
                    "MCP server %s: %s; its tools are not offered (see `goshi mcp test %s`)",
                    name,
                    server.error,
                    name,
                )
            elif server.skipped:
                log.warning("MCP server %s: left out %s", name, "; ".join(server.skipped))
        return [_running[n] for n in settings.servers]


def stop_all() -> None:
    for server in list(_running.values()):
        if server.client is not None:
            server.client.stop()


class McpTools:
    """The tools of the servers in settings, for one session; servers start on first use."""

    def __init__(self, settings: McpSettings, approve: ToolApprover) -> None:
        self.settings = settings
        self.approve = approve
        self.by_name: dict[str, tuple[Server, protocol.Tool]] = {}
        self._schemas: list[dict[str, Any]] | None = None

    @property
    def schemas(self) -> list[dict[str, Any]]:
        if self._schemas is None:
            servers = start_all(self.settings)  # Ctrl-C here: the next turn asks again
            self._schemas = []
            for server in servers:
                for tool in server.tools:
                    full = f"{server.name}{SEPARATOR}{tool.name}"
                    self.by_name[full] = (server, tool)
                    self._schemas.append(_function(full, tool))
        return self._schemas

    def handles(self, name: str) -> bool:
        return name in self.by_name

    def run(self, call: ToolCall) -> ToolResult:
        server, tool = self.by_name[call.name]
        try:
            args = json_bounds.loads(call.arguments or "{}")
            if not isinstance(args, dict):
                raise ValueError("expected a JSON object")
        except ValueError as exc:
            return ToolResult(False, f"error: the arguments are not valid JSON ({exc})", "bad JSON")
        undeclared = sorted(set(args) - set(tool.input_schema.get("properties") or {}))
        if undeclared:
            named = ", ".join(repr(k)[:80] for k in undeclared[:5])
            return ToolResult(
                False,
                f"error: {call.name} does not declare the argument(s) {named}; it was not run."
                " Send only the arguments its schema lists",
                "undeclared arguments",
            )
        try:
            approved = tool.name in server.spec.allow or self.approve(call.name, call.arguments)
        except NotShown as exc:
            return not_shown(exc)
        if not approved:
            return ToolResult(
                False,
                f"the user did not approve this call to {call.name}; it was not run",
                "not approved",
            )
        if server.client is not None and server.client.gone is not None:
            _restart(server, self.settings.call_timeout_s)
        if server.client is None:
            why = server.error or "not running"
            return ToolResult(
                False, f"error: MCP server {server.name}: {why}", f"failed: {one_line(why)}"
            )
        if not any(t.name == tool.name for t in server.tools):  # listed again after a restart
            return ToolResult(
                False, f"error: MCP server {server.name} no longer offers this tool", "gone"
            )
        try:
            result = protocol.call_tool(
                server.client, tool.name, args, self.settings.call_timeout_s
            )
        except ServerFailed as exc:
            reason = one_line(str(exc))
            return ToolResult(
                False, f"error: MCP server {server.name}: {reason}", f"failed: {reason}"
            )
        text = bounded(for_terminal(result.text))
        size = len(text.encode())
        if not result.ok:
            return ToolResult(False, f"the tool reported an error: {text}", f"tool error {size} B")
        return ToolResult(True, text, f"ok {size} B" if size < 1000 else f"ok {size / 1000:.1f} KB")


def _restart(server: Server, timeout: float) -> None:
    """A server that died mid-session is started again (its handshake and tool list too), at
    most MAX_RESTARTS times per process; each time is one warning line."""
    assert server.client is not None
    died = server.client.gone or "it stopped"
    server.client.stop()
    server.client = None
    if server.restarts >= MAX_RESTARTS:
        server.error = f"{died}; not started again after {MAX_RESTARTS} restarts"
        return
    server.restarts += 1
    server.tools, server.skipped, server.error = [], [], None
    _connect(server, timeout)
    if server.error:
        server.error = f"{died}, and restarting it failed: {server.error}"
        log.warning("MCP server %s: %s", server.name, server.error)
    else:
        log.warning(
            "MCP server %s: %s; restarted it (%d of %d)",
            server.name,
            died,
            server.restarts,
            MAX_RESTARTS,
        )


def bounded(text: str) -> str:
    if len(text) <= MAX_RESULT_CHARS:
        return text
    return (
        text[:MAX_RESULT_CHARS]
        + f"\n[cut: the first {MAX_RESULT_CHARS} of {len(text)} characters are shown]"
    )


def schema_problem(schema: Any) -> str | None:
    """What makes an input schema unusable as a function's parameters, or None."""
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return "not a JSON Schema of type object"
    if len(json.dumps(schema)) > MAX_SCHEMA_CHARS:
        return f"over {MAX_SCHEMA_CHARS} characters"
    return _walk(schema, 0)


def _walk(node: Any, depth: int) -> str | None:
    if depth > MAX_SCHEMA_DEPTH:
        return f"nested deeper than {MAX_SCHEMA_DEPTH}"
    if isinstance(node, list):
        return next((p for n in node if (p := _walk(n, depth + 1))), None)
    if not isinstance(node, dict):
        return None
    kind = node.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind is not None else []
    if any(k not in JSON_TYPES for k in kinds):
        return f"unknown type {str(kind)[:40]!r}"
    props = node.get("properties")
    if props is not None and (
        not isinstance(props, dict) or not all(isinstance(v, dict) for v in props.values())
    ):
        return "properties is not a mapping of schemas"
    required = node.get("required")
    if required is not None and (
        not isinstance(required, list) or not all(isinstance(r, str) for r in required)
    ):
        return "required is not a list of names"
    return next((p for v in node.values() if (p := _walk(v, depth + 1))), None)


def server_env(configured: dict[str, str]) -> dict[str, str]:
    """A few harmless variables of goshi's environment (never its API keys), then the server's
    own `env`, where ${NAME} takes NAME from goshi's environment. The PATH inherited keeps
    only its absolute entries: an empty one or `.` is the working folder, where a cloned
    repository's own `./npx` would start in place of the server."""
    env = {k: v for k, v in os.environ.items() if k in INHERITED_ENV or k in LOCALE_ENV}
    if "PATH" in env:
        env["PATH"] = absolute_path(env["PATH"])
    for key, value in configured.items():
        env[key] = re.sub(r"\$\{(\w+)\}", lambda m: os.environ.get(m.group(1), ""), value)
    return env


def _argv(spec: McpServer) -> list[str]:
    return [os.path.expanduser(spec.command), *spec.args]


def _cwd(cwd: str | None) -> str | None:
    return os.path.expanduser(cwd) if cwd else None


def _function(full: str, tool: protocol.Tool) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": full,
            "description": tool.description[:MAX_DESCRIPTION_CHARS],
            "parameters": tool.input_schema,
        },
    }


_registered = False


def _stop_at_exit() -> None:
    """Once: atexit, and SIGTERM/SIGHUP stop the servers, then do what they did before."""
    global _registered
    if _registered:
        return
    _registered = True
    atexit.register(stop_all)
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        before = signal.getsignal(sig)

        def on_signal(
            signum: int, frame: FrameType | None, before: Any = before, sig: Any = sig
        ) -> None:
            stop_all()
            if callable(before):
                before(signum, frame)
            elif before != signal.SIG_IGN:
                signal.signal(sig, signal.SIG_DFL)
                os.kill(os.getpid(), sig)

        signal.signal(sig, on_signal)
