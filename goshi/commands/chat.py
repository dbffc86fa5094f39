"""`goshi chat`: the interactive REPL (the loop is goshi/commands/chatloop.py, the slash commands
goshi/commands/slash.py). Its options are ask's (goshi/commands/options.py); nothing of the turn
or the terminal view loads until the chat starts, so Tab and --help stay quick."""

import sys
from typing import TYPE_CHECKING

from goshi.errors import UsageError

if TYPE_CHECKING:
    import typer

    from goshi.turn.options import SessionOptions


def run(opts: "SessionOptions") -> int:
    from goshi.commands.chatloop import Chat
    from goshi.turn.session import Session
    from goshi.ui.approve import Approval

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("goshi chat needs a terminal", 'in scripts use goshi ask "..."')
    attached = None
    if opts.files:  # read first: a missing file is exit 2 before the chat starts
        from goshi.agent import attach

        attached = attach.read(opts.files)
    approval = Approval(opts.yes)
    chat = Chat(Session.start(opts, approval, approval.tool_call), opts)
    chat.attached = attached
    return chat.run()


def register(app: "typer.Typer") -> None:
    import typer

    from goshi.commands.options import Turn, Verbose, finish, turn_options

    @app.command()
    @turn_options
    def chat(turn: Turn, verbose: Verbose = 0) -> None:
        """Chat in the terminal (live Markdown, cost footer, /help)."""
        from goshi.turn.options import SessionOptions

        opts = turn.options(SessionOptions)
        raise typer.Exit(finish(lambda: run(opts), turn.verbose))
