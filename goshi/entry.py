"""The console script's front door.

    goshi ask WORDS...   (no option at all: the shape scripts use most) -> goshi/commands/ask.py
    anything else                                                      -> the Typer app (cli.py)
    either way: goshi/commands/ending.py's run(command) -> exit code

Importing Typer costs a one-token `goshi ask` ~27 ms, an eighth of the whole run; a command line
of words only is parsed the same by Typer and by `argv[2:]`, so that one skips it. An option, a
`-` or `--`, completion, --help or a mistake all go to Typer, which owns every message.
"""

import os
import sys


def main() -> None:
    argv = sys.argv[1:]
    if not plain_ask(argv):
        from goshi import cli

        cli.main()
        return
    from goshi.commands.ask import run as ask
    from goshi.commands.ending import run
    from goshi.turn.options import AskOptions

    sys.exit(run(lambda: ask(AskOptions(words=argv[1:])), 0))


def plain_ask(argv: list[str]) -> bool:
    """`ask` and words, none of them an option, with no shell asking what Tab should offer."""
    words_only = not any(a.startswith("-") for a in argv)
    return argv[:1] == ["ask"] and words_only and "_GOSHI_COMPLETE" not in os.environ
