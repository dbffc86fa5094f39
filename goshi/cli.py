"""The command line: parse, build the pieces, hand over. Nothing else lives here.

Heavy modules (httpx, Rich, prompt_toolkit) are imported inside the commands that use them, so
`goshi --help` and `goshi --version` stay as fast as Typer itself.
"""

# No `from __future__ import annotations` here: Typer reads every option's annotation, and a
# string one it must evaluate first (1.7 ms for `ask` alone).

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from goshi import __version__, completion, entry

if TYPE_CHECKING:
    from goshi.config import Overrides

app = typer.Typer(
    name="goshi",
    help="A terminal chat CLI for coding work.",
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=True,  # Typer's --install-completion and --show-completion
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
config_app = typer.Typer(help="Show, check, create and trust goshi.yaml.", no_args_is_help=True)
app.add_typer(config_app, name="config")
prices_app = typer.Typer(help="List the price table, or update it.", invoke_without_command=True)
app.add_typer(prices_app, name="prices")
mcp_app = typer.Typer(help="Your MCP servers: what they offer.", no_args_is_help=True)
app.add_typer(mcp_app, name="mcp")
history_app = typer.Typer(
    help="List, show, search, remove or export conversations.", invoke_without_command=True
)
app.add_typer(history_app, name="history")
templates_app = typer.Typer(
    help="List your prompt templates, or add examples.", invoke_without_command=True
)
app.add_typer(templates_app, name="templates")

ConfigOpt = Annotated[
    str | None, typer.Option("--config", help="Read this goshi.yaml.", show_default=False)
]
Verbose = Annotated[
    int,
    typer.Option("-v", "--verbose", count=True, help="More detail on stderr.", show_default=False),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"goshi {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = None,
) -> None:
    """A terminal chat CLI for coding work."""


# The options ask and chat share.
ModelOpt = Annotated[
    str | None,
    typer.Option("-m", "--model", help="Model name.", autocompletion=completion.models),
]
BackendOpt = Annotated[
    str | None,
    typer.Option(
        "-b", "--backend", help="auto, openai or ollama.", autocompletion=completion.backends
    ),
]
SystemOpt = Annotated[str | None, typer.Option("-s", "--system", help="System prompt.")]
ContinueOpt = Annotated[
    bool, typer.Option("-c", "--continue", help="Continue the last conversation.")
]
# SQLite's rowids are signed 64-bit: a larger id is a usage error, not an OverflowError
MAX_ID = 2**63 - 1
CidOpt = Annotated[
    int | None,
    typer.Option(
        "--cid",
        min=1,
        max=MAX_ID,
        help="Continue this conversation.",
        autocompletion=completion.conversations,
    ),
]
CidArg = Annotated[
    int,
    typer.Argument(
        min=1, max=MAX_ID, help="Conversation id.", autocompletion=completion.conversations
    ),
]
NoStreamOpt = Annotated[bool, typer.Option("--no-stream", help="Wait for whole answers.")]
NoToolsOpt = Annotated[bool, typer.Option("--no-tools", help="Offer the model no tools.")]
YesOpt = Annotated[
    bool, typer.Option("-y", "--yes", help="Approve proposed writes and edits (never commands).")
]


def _usd(value: float | None) -> float | None:
    """--max-cost: dollars, finite and not negative (nan and inf are usage errors)."""
    import math

    if value is not None and not (math.isfinite(value) and 0 <= value <= 1e9):
        raise typer.BadParameter(f"expected an amount of USD from 0 to 1e9, got {value!r}")
    return None if value is None else value + 0.0  # -0 is 0


MaxCostOpt = Annotated[
    float | None,
    typer.Option(
        "--max-cost",
        callback=_usd,
        help="Refuse, before sending, a request that could cost more (USD).",
    ),
]


def _overrides(
    backend: str | None, model: str | None, system: str | None, no_tools: bool
) -> "Overrides":
    from goshi.config import Overrides

    return Overrides(backend=backend, model=model, system=system, tools=False if no_tools else None)


@app.command()
def ask(
    prompt: Annotated[list[str] | None, typer.Argument(help="The question.")] = None,
    model: ModelOpt = None,
    backend: BackendOpt = None,
    system: SystemOpt = None,
    config_file: ConfigOpt = None,
    continue_last: ContinueOpt = False,
    cid: CidOpt = None,
    no_stream: NoStreamOpt = False,
    no_tools: NoToolsOpt = False,
    yes: YesOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    max_cost: MaxCostOpt = None,
    template: Annotated[
        str | None,
        typer.Option(
            "-t",
            "--template",
            help="Use the prompt template NAME (goshi templates).",
            autocompletion=completion.templates,
        ),
    ] = None,
    verbose: Verbose = 0,
) -> None:
    """Ask one question; piped stdin is sent along. Output is clean when piped."""
    from goshi import ask as ask_mod

    opts = ask_mod.AskOptions(
        words=prompt or [],
        config_file=config_file,
        overrides=_overrides(backend, model, system, no_tools),
        continue_last=continue_last,
        cid=cid,
        stream=not no_stream,
        as_json=as_json,
        yes=yes,
        max_cost_usd=max_cost,
        template=template,
    )
    _run(lambda: ask_mod.run(opts), verbose)


@app.command()
def chat(
    model: ModelOpt = None,
    backend: BackendOpt = None,
    system: SystemOpt = None,
    config_file: ConfigOpt = None,
    continue_last: ContinueOpt = False,
    cid: CidOpt = None,
    no_stream: NoStreamOpt = False,
    no_tools: NoToolsOpt = False,
    yes: YesOpt = False,
    max_cost: MaxCostOpt = None,
    verbose: Verbose = 0,
) -> None:
    """Chat in the terminal (live Markdown, cost footer, /help)."""
    from goshi import chat as chat_mod
    from goshi.session import SessionOptions

    opts = SessionOptions(
        config_file=config_file,
        overrides=_overrides(backend, model, system, no_tools),
        continue_last=continue_last,
        cid=cid,
        stream=not no_stream,
        max_cost_usd=max_cost,
        yes=yes,
    )
    _run(lambda: chat_mod.run(opts), verbose)


LimitOpt = Annotated[
    int, typer.Option("-n", "--limit", min=1, max=1_000_000, help="How many to list.")
]


@history_app.callback()
def history(ctx: typer.Context, limit: LimitOpt = 20, verbose: Verbose = 0) -> None:
    """List conversations (the newest first); show, search, rm or export them."""
    if ctx.invoked_subcommand is None:
        from goshi import history as history_mod

        _run(lambda: history_mod.list_conversations(limit), verbose)


@history_app.command("list")
def history_list(limit: LimitOpt = 20, verbose: Verbose = 0) -> None:
    """The newest conversations: id, time, model, turns, cost, first line."""
    from goshi import history as history_mod

    _run(lambda: history_mod.list_conversations(limit), verbose)


@history_app.command("show")
def history_show(cid: CidArg, verbose: Verbose = 0) -> None:
    """The whole transcript of one conversation."""
    from goshi import history as history_mod

    _run(lambda: history_mod.show(cid), verbose)


@history_app.command("rm")
def history_rm(cid: CidArg, verbose: Verbose = 0) -> None:
    """Delete a conversation (its spend stays in the ledger)."""
    from goshi import history as history_mod

    _run(lambda: history_mod.remove(cid), verbose)


@history_app.command("export")
def history_export(
    cid: CidArg,
    fmt: Annotated[
        str,
        typer.Option("--format", help="md or json.", autocompletion=completion.formats),
    ] = "md",
    verbose: Verbose = 0,
) -> None:
    """Print a conversation as Markdown or JSON."""
    from goshi import history as history_mod

    _run(lambda: history_mod.export(cid, fmt), verbose)


@history_app.command("search")
def history_search(
    text: Annotated[list[str], typer.Argument(help="Words to find (all of them).")],
    limit: Annotated[int, typer.Option("-n", "--limit", help="How many conversations.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    verbose: Verbose = 0,
) -> None:
    """Find conversations by what was asked or answered, best match first."""
    from goshi import search

    _run(lambda: search.command(" ".join(text), limit, as_json), verbose)


@templates_app.callback()
def templates(ctx: typer.Context, verbose: Verbose = 0) -> None:
    """List your prompt templates ($XDG_CONFIG_HOME/goshi/prompts/NAME.md)."""
    if ctx.invoked_subcommand is None:
        from goshi import templates as templates_mod

        _run(templates_mod.show, verbose)


@templates_app.command("init")
def templates_init(
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
    verbose: Verbose = 0,
) -> None:
    """Copy the example templates (commit, review) into your prompts directory."""
    from goshi import templates as templates_mod

    _run(lambda: templates_mod.init(force), verbose)


@app.command()
def models(
    config_file: ConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    verbose: Verbose = 0,
) -> None:
    """The models each backend offers, with price, context window and the default."""
    from goshi import models_cmd

    _run(lambda: models_cmd.run(config_file, as_json), verbose)


@app.command()
def status(
    config_file: ConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    verbose: Verbose = 0,
) -> None:
    """Show each backend: URL, reachable, model present, circuit state."""
    from goshi import status as status_mod

    _run(lambda: status_mod.check(config_file, as_json), verbose)


@app.command()
def cost(
    since: Annotated[
        str | None,
        typer.Option("--since", help="From this date (YYYY-MM-DD); default: this month."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    verbose: Verbose = 0,
) -> None:
    """What answers cost: today, this month, by model and backend."""
    from goshi.cost import report

    _run(lambda: report.spend(since, as_json), verbose)


@prices_app.callback()
def prices(ctx: typer.Context, config_file: ConfigOpt = None, verbose: Verbose = 0) -> None:
    """List the price table with its date (and your cost.prices overrides)."""
    if ctx.invoked_subcommand is None:
        from goshi.cost import report

        _run(lambda: report.show_prices(config_file), verbose)


@prices_app.command("update")
def prices_update(
    source: Annotated[str, typer.Option("--from", help="A JSON price table: a file or a URL.")],
    verbose: Verbose = 0,
) -> None:
    """Validate a new price table and install it; the old one stays if it is invalid."""
    from goshi.cost import report

    _run(lambda: report.update_prices(source), verbose)


@config_app.command("show")
def config_show(config_file: ConfigOpt = None, verbose: Verbose = 0) -> None:
    """Print the effective settings and where each came from (secrets masked)."""
    from goshi import config_cmd

    _run(lambda: config_cmd.show(config_file), verbose)


@config_app.command("validate")
def config_validate(
    file: Annotated[str | None, typer.Argument(help="File to check.")] = None,
    config_file: ConfigOpt = None,
    verbose: Verbose = 0,
) -> None:
    """Check a goshi.yaml (the one in use when no FILE is given)."""
    from goshi import config_cmd

    _run(lambda: config_cmd.validate(file or config_file), verbose)


@config_app.command("init")
def config_init(
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    verbose: Verbose = 0,
) -> None:
    """Write the commented example goshi.yaml to the XDG config directory."""
    from goshi import config_cmd

    _run(lambda: config_cmd.init(force), verbose)


@config_app.command("path")
def config_path(config_file: ConfigOpt = None, verbose: Verbose = 0) -> None:
    """Print the path of the goshi.yaml in use (or where `config init` would write it)."""
    from goshi import config_cmd

    _run(lambda: config_cmd.path(config_file), verbose)


@config_app.command("trust")
def config_trust(
    file: Annotated[str | None, typer.Argument(help="Default: ./goshi.yaml.")] = None,
    verbose: Verbose = 0,
) -> None:
    """Let every setting of a project's goshi.yaml apply (until the file changes)."""
    from goshi import config_cmd

    _run(lambda: config_cmd.trust_file(file), verbose)


@config_app.command("untrust")
def config_untrust(
    file: Annotated[str | None, typer.Argument(help="Default: ./goshi.yaml.")] = None,
    verbose: Verbose = 0,
) -> None:
    """Forget that a project's goshi.yaml was trusted: only its harmless settings apply."""
    from goshi import config_cmd

    _run(lambda: config_cmd.untrust_file(file), verbose)


@mcp_app.command("list")
def mcp_list(config_file: ConfigOpt = None, verbose: Verbose = 0) -> None:
    """Show each MCP server: whether it starts, and its tools."""
    from goshi.mcp import commands

    _run(lambda: commands.list_servers(config_file), verbose)


@mcp_app.command("test")
def mcp_test(
    name: Annotated[str, typer.Argument(help="The server's name in mcp.servers.")],
    config_file: ConfigOpt = None,
    verbose: Verbose = 0,
) -> None:
    """Run one MCP server's handshake; show its tools and schemas."""
    from goshi.mcp import commands

    _run(lambda: commands.test_server(name, config_file), verbose)


def _run(command: Callable[[], int | None], verbose: int) -> None:
    """Run a command the way every command ends (goshi/entry.py): its exit code, or one line."""
    raise typer.Exit(entry.run(command, verbose))


def only_the_command(argv: list[str]) -> None:
    """Typer builds the parser of every command before it parses anything; when the first argument
    names a command, register only that one, and for --version none. Its options, help and errors
    are the same (a group's command never sees its siblings); anything else (--help, a typo) gets
    the whole app."""
    from typer.main import get_command_name

    name = argv[0] if argv else ""
    if name == "--version":  # eager: it prints and exits before a command is looked up
        app.registered_commands, app.registered_groups = [], []
        return
    commands = [
        c
        for c in app.registered_commands
        if name == (c.name or get_command_name(c.callback.__name__ if c.callback else ""))
    ]
    groups = [g for g in app.registered_groups if g.name == name]
    if commands or groups:
        app.registered_commands, app.registered_groups = commands, groups


def main() -> None:
    if "_GOSHI_COMPLETE" in os.environ:  # the shell asks what Tab should offer: the whole app
        completion.plain_help_text()
    else:
        only_the_command(sys.argv[1:])
    try:
        app()
    except BrokenPipeError:
        sys.exit(entry.reader_left())
