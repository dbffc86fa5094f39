"""`goshi ask`: one question, one answer, for terminals and shell scripts.

prompt + piped stdin (through a template with -t, goshi/templates.py)
-> settings -> a Session's one turn (see goshi/turn/session.py) -> output
(pipe | terminal | json). Expected failures are raised as GoshiError and turned into one stderr
line and an exit code by the CLI.
"""

import sys
from typing import TYPE_CHECKING, Annotated

from goshi.errors import UsageError

if TYPE_CHECKING:  # the turn loads when the question is asked, not when Tab asks for options
    import typer

    from goshi import templates
    from goshi.config import Overrides
    from goshi.turn.options import AskOptions
    from goshi.ui.view import Output


def compose_prompt(words: list[str], piped: str | None, attached: bool = False) -> str:
    """`cmd | goshi ask "summarize"`: the piped text, a blank line, then the instruction.
    With files attached, the files may be the whole question."""
    prompt = " ".join(words).strip()
    piped = (piped or "").strip("\n")
    if piped and prompt:
        return f"{piped}\n\n{prompt}"
    if piped or prompt or attached:
        return piped or prompt
    raise UsageError("nothing to ask", 'give a prompt (goshi ask "...") or pipe text on stdin')


def read_piped_stdin() -> str | None:
    if sys.stdin is None or sys.stdin.isatty():
        return None
    return sys.stdin.buffer.read().decode("utf-8", errors="replace")


def with_template(template: "templates.Template", flags: "Overrides") -> "Overrides":
    """The template's front matter fills what the command line left unsaid."""
    from goshi.record import replace

    return replace(
        flags,
        system=flags.system if flags.system is not None else template.system,
        model=flags.model or template.model,
        backend=flags.backend or template.backend,
        tools=flags.tools if flags.tools is not None else template.tools,
        api=template.api or flags.api,
    )


def choose_output(opts: "AskOptions") -> "Output":
    from goshi.ui import output

    if not opts.code:
        return output.choose(opts.as_json)
    if opts.as_json:
        raise UsageError("--json and -x/--code do not go together", "choose one")
    from goshi.ui.code import CodeOutput

    return CodeOutput(sys.stdout)


def run(opts: "AskOptions") -> int:
    from goshi.turn.session import Session
    from goshi.ui.approve import Approval

    attached = None
    if opts.files:  # read first: a missing file sends nothing
        from goshi.agent import attach

        attached = attach.read(opts.files)
    if opts.template is not None:
        from goshi import templates

        template = templates.load(opts.template)
        prompt = template.render(read_piped_stdin(), opts.words)
        opts.overrides = with_template(template, opts.overrides)
    else:
        prompt = compose_prompt(opts.words, read_piped_stdin(), bool(attached))
    out = choose_output(opts)
    approval = Approval(opts.yes)
    session = Session.start(opts, approval, approval.tool_call)
    session.ask(
        prompt,
        out,
        stream=opts.stream,
        max_cost_usd=opts.max_cost_usd,
        attached=attached,
    )
    return 0


def register(app: "typer.Typer") -> None:
    import typer

    from goshi.commands import completion
    from goshi.commands.options import Turn, Verbose, finish, turn_options

    @app.command()
    @turn_options
    def ask(
        turn: Turn,
        prompt: Annotated[list[str] | None, typer.Argument(help="The question.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
        template: Annotated[
            str | None,
            typer.Option(
                "-t",
                "--template",
                help="Use the prompt template NAME (goshi templates).",
                autocompletion=completion.templates,
            ),
        ] = None,
        code: Annotated[
            bool, typer.Option("-x", "--code", help="Print only the code of the answer.")
        ] = False,
        verbose: Verbose = 0,
    ) -> None:
        """Ask one question; piped stdin is sent along. Output is clean when piped."""
        from goshi.turn.options import AskOptions

        opts = turn.options(
            AskOptions, words=prompt or [], as_json=as_json, template=template, code=code
        )
        raise typer.Exit(finish(lambda: run(opts), turn.verbose))
