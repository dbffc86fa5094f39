"""The Typer app: the root options, and a group that finds each command by name.

    argv -> main() -> LazyGroup -> goshi/commands/__init__.py's table -> that one module's
    register(app) -> Typer parses its options and runs it -> goshi/commands/ending.py

Typer builds the parser of every command it knows before it parses anything; this group knows
them only by name and summary, so `goshi --help` and `--version` import no command at all and
`goshi cost` builds only cost's parser. Completion asks the same group, one command at a time.
"""

import importlib
import os
import sys
from typing import Annotated

import typer
from typer import _click as click
from typer.core import TyperGroup

from goshi import __version__
from goshi.commands import COMMANDS


class LazyGroup(TyperGroup):
    """goshi's root group: commands are looked up in the table and built when first named."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            app = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False)
            importlib.import_module(COMMANDS[cmd_name][0]).register(app)
            group = typer.main.get_group(app)
            for name, command in group.commands.items():
                self.commands[name] = command
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The table's summaries, as Click would shorten each command's docstring."""
        from typer._click.utils import make_default_short_help

        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [
            (n, make_default_short_help(summary, limit)) for n, (_, summary) in COMMANDS.items()
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(
    name="goshi",
    cls=LazyGroup,
    help="A terminal chat CLI for coding work.",
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=True,  # Typer's --install-completion and --show-completion
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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


def main() -> None:
    from goshi.commands.ending import failed, reader_left

    if "_GOSHI_COMPLETE" in os.environ:  # the shell asks what Tab should offer
        from goshi.commands.completion import plain_help_text

        plain_help_text()
    try:
        app()
    except BrokenPipeError:
        sys.exit(reader_left())
    except Exception as exc:  # outside a command's run(): while parsing, completing, building
        from goshi import log

        log.setup()
        sys.exit(failed(exc, 0))
