"""`goshi mcp list` and `goshi mcp test NAME`: start the configured servers, say what they offer.

    settings (mcp.servers) -> bridge.start_all / bridge.connect -> one block per server on stdout
    (whether it starts, its protocol version, its tools; `test` adds each tool's schema) -> stop.

What a server says (names, descriptions, schemas, errors) is shown through the sanitiser.
"""

import json
import sys
import time
from typing import TYPE_CHECKING, Annotated

from goshi import config
from goshi.config import Settings
from goshi.errors import McpServerFailed, UsageError
from goshi.mcp import bridge
from goshi.sanitize import for_terminal, one_line
from goshi.words import counted

if TYPE_CHECKING:
    import typer


def list_servers(config_file: str | None) -> int:
    settings = config.load(config_file)
    if not _configured(settings):
        return 0
    out = sys.stdout
    for server in bridge.start_all(settings.mcp, warn=False):
        out.write(f"{server.name}  {one_line(_command(server.spec))}\n")
        if server.error:
            out.write(f"  does not start: {one_line(server.error)}\n")
            continue
        info = server.info
        assert info is not None
        out.write(f"  starts: {one_line(info.server_name)} {one_line(info.server_version)}, ")
        out.write(f"MCP {info.version}, {counted(len(server.tools), 'tool')}\n")
        for tool in server.tools:
            allowed = "  (allowed without asking)" if tool.name in server.spec.allow else ""
            out.write(f"  {one_line(server.name + bridge.SEPARATOR + tool.name)}{allowed}\n")
        for skipped in server.skipped:
            out.write(f"  left out {one_line(skipped)}\n")
    bridge.stop_all()
    return 0


def test_server(name: str, config_file: str | None) -> int:
    settings = config.load(config_file)
    if not _configured(settings):
        return 0
    spec = settings.mcp.servers.get(name)
    if spec is None:
        raise UsageError(
            f"no MCP server named {name!r}",
            "the configured ones are " + ", ".join(settings.mcp.servers),
        )
    out = sys.stdout
    out.write(f"starting {name}: {one_line(_command(spec))}\n")
    started = time.monotonic()
    server = bridge.connect(name, spec, settings.mcp.call_timeout_s)
    if server.error:
        raise McpServerFailed(
            f"MCP server {name}: {one_line(server.error)}",
            "check its command in goshi.yaml; its stderr is in goshi's log",
        )
    info = server.info
    assert info is not None and server.client is not None
    ms = (time.monotonic() - started) * 1000
    out.write(
        f"handshake ok in {ms:.0f} ms: {one_line(info.server_name)} "
        f"{one_line(info.server_version)}, MCP {info.version}\n"
    )
    out.write(f"{counted(len(server.tools), 'tool')}:\n")
    for tool in server.tools:
        out.write(f"\n{one_line(name + bridge.SEPARATOR + tool.name)}\n")
        if tool.description:
            out.write(f"  {for_terminal(tool.description).strip()}\n")
        schema = json.dumps(tool.input_schema, indent=2, ensure_ascii=False)
        out.write("".join(f"  {line}\n" for line in for_terminal(schema).splitlines()))
    for skipped in server.skipped:
        out.write(f"left out {one_line(skipped)}\n")
    server.client.stop()
    return 0


def _configured(settings: Settings) -> bool:
    if settings.mcp.servers:
        return True
    where = settings.file or "your goshi.yaml (goshi config path)"
    sys.stdout.write(f"no MCP servers configured; add them under mcp.servers in {where}\n")
    return False


def _command(spec: config.McpServer) -> str:
    import shlex

    return shlex.join([spec.command, *spec.args])


def register(app: "typer.Typer") -> None:
    import typer

    from goshi.commands.options import ConfigOpt, Verbose, finish

    mcp_app = typer.Typer(help="Your MCP servers: what they offer.", no_args_is_help=True)
    app.add_typer(mcp_app, name="mcp")

    @mcp_app.command("list")
    def mcp_list(config_file: ConfigOpt = None, verbose: Verbose = 0) -> None:
        """Show each MCP server: whether it starts, and its tools."""
        raise typer.Exit(finish(lambda: list_servers(config_file), verbose))

    @mcp_app.command("test")
    def mcp_test(
        name: Annotated[str, typer.Argument(help="The server's name in mcp.servers.")],
        config_file: ConfigOpt = None,
        verbose: Verbose = 0,
    ) -> None:
        """Run one MCP server's handshake; show its tools and schemas."""
        raise typer.Exit(finish(lambda: test_server(name, config_file), verbose))
