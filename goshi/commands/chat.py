"""`goshi chat`: the interactive REPL.

    prompt -> a slash command runs here; `/NAME TEXT` fills the user's template NAME
    (goshi/templates.py) -> anything else is one turn of the Session
    (goshi/turn/session.py), shown by the live Markdown view with its footer (goshi/ui/live.py).

Ctrl-C while an answer streams stops that answer (kept, marked interrupted) and returns to the
prompt; an error in a turn is one line, and the chat goes on. Ctrl-D or /exit leaves with 0.
"""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from goshi import config, paths, templates
from goshi.commands import export, history, search
from goshi.config import BACKENDS
from goshi.cost.meter import format_usd, local_midnight
from goshi.errors import GoshiError, HungUp, Interrupted, Terminated, UsageError
from goshi.sanitize import for_terminal, one_line
from goshi.turn.session import Session, SessionOptions, workspace_refusal
from goshi.ui.approve import Approval
from goshi.ui.live import MarkdownOutput, make_console

if TYPE_CHECKING:
    import typer

COMMANDS = {
    "/help": "list the commands and keys",
    "/model": "NAME: answer with this model from now on",
    "/backend": "auto|openai|ollama: choose the backend",
    "/system": "TEXT: set this conversation's system prompt",
    "/cost": "what this conversation and today have cost",
    "/clear": "start a new conversation",
    "/retry": "ask the last question again",
    "/history": "show this conversation",
    "/save": "FILE: save this conversation as Markdown",
    "/search": "TEXT: find past conversations (continue one with goshi chat --cid ID)",
    "/tools": "on|off: offer the model the coding tools",
    "/context": "what is sent: the window, summary, turns and tokens",
    "/compact": "fold the older turns into a summary now",
    "/exit": "leave (Ctrl-D does too)",
}
KEYS = (
    "Enter sends · Alt+Enter (Esc Enter) adds a line · a paste stays one message\n"
    "Ctrl-C clears the line, or stops an answer · Ctrl-D leaves · Tab completes /commands"
)
TEMPLATE_HELP = "/NAME TEXT asks with your template NAME ({dir})"


class Chat:
    def __init__(self, session: Session, opts: SessionOptions) -> None:
        self.settings = session.settings
        self.session = session
        self.opts = opts
        self.console = make_console()
        self.running = True
        self.handlers: dict[str, Callable[[str], None]] = {
            "/help": self.help,
            "/model": self.model,
            "/backend": self.backend,
            "/system": self.system,
            "/cost": self.cost,
            "/clear": self.clear,
            "/retry": self.retry,
            "/history": self.history,
            "/save": self.save,
            "/search": self.search,
            "/tools": self.tools,
            "/context": self.context,
            "/compact": self.compact,
            "/exit": self.exit,
        }

    # --- the loop --------------------------------------------------------------------------

    def run(self) -> int:
        from goshi.ui.repl import Prompt

        prompt = Prompt(paths.chat_history_file(), {**COMMANDS, **template_commands()})
        self.say(
            f"goshi chat · {self.session.selector.primary_backend()} "
            f"{self.session.selector.primary_model()} · conversation {self.session.cid} · "
            "/help for commands, Ctrl-D to leave"
        )
        while self.running:
            text = prompt.read()
            if text is None:
                break
            if not text.strip():
                continue
            if text.startswith("/"):
                self.command(text.strip())
            else:
                self.ask(text)
        return 0

    def ask(self, text: str) -> None:
        self.turn(
            lambda out: self.session.ask(
                text, out, stream=self.opts.stream, max_cost_usd=self.opts.max_cost_usd
            )
        )

    def turn(self, run: Callable[[MarkdownOutput], object]) -> None:
        out = MarkdownOutput(self.console)
        try:
            outcome = run(out)
        except (HungUp, Terminated):
            raise  # the terminal closed or goshi was told to end: the chat ends too
        except Interrupted:
            self.say("stopped; the partial answer is kept · /retry asks again")
        except GoshiError as exc:
            self.console.print(f"goshi: {exc.line()}", style="red", markup=False, highlight=False)
            if exc.exit_code == 5:
                self.say("/retry asks again")
        else:
            if getattr(outcome, "fallback", False):
                self.say("answered by the fallback · /retry asks again")

    def command(self, line: str) -> None:
        name, _, arg = line.partition(" ")
        handler = self.handlers.get(name)
        if handler is None and name[1:] in templates.names():
            handler = lambda text: self.template(name[1:], text)  # noqa: E731
        if handler is None:
            self.say(f"unknown command {name}; /help lists the commands and your templates")
            return
        try:
            handler(arg.strip())
        except GoshiError as exc:
            self.console.print(f"goshi: {exc.line()}", style="red", markup=False, highlight=False)

    def say(self, text: str) -> None:
        """A line of goshi's own; model names and paths in it may come from outside."""
        self.console.print(for_terminal(text), style="dim", markup=False, highlight=False)

    # --- commands --------------------------------------------------------------------------

    def help(self, arg: str) -> None:
        width = max(len(n) for n in COMMANDS)
        lines = [f"{name:<{width}}  {meaning}" for name, meaning in COMMANDS.items()]
        lines.append("\n" + TEMPLATE_HELP.format(dir=templates.directory()))
        for name, meaning in template_commands().items():
            lines.append(f"{name:<{width}}  {meaning}")
        self.say("\n".join(lines) + "\n\n" + KEYS)

    def model(self, arg: str) -> None:
        if not arg:
            raise UsageError("/model needs a name", "e.g. /model gpt-4o")
        config.set_model(self.settings, arg, "/model")
        self.say(f"model: {self.session.selector.primary_model()}")

    def backend(self, arg: str) -> None:
        if arg not in BACKENDS:
            raise UsageError(f"/backend: expected one of {', '.join(BACKENDS)}")
        self.settings.backend = arg
        self.say(f"backend: {arg} ({self.session.selector.primary_model()})")

    def system(self, arg: str) -> None:
        self.session.store.set_system(self.session.cid, arg or None)
        self.session.conversation.system = arg or None
        self.say("system prompt set" if arg else "system prompt cleared")

    def cost(self, arg: str) -> None:
        store = self.session.store
        self.say(
            f"conversation {self.session.cid}: {format_usd(store.spent(cid=self.session.cid))}"
            f" · today: {format_usd(store.spent(since=local_midnight()))}"
        )

    def clear(self, arg: str) -> None:
        self.session.new_conversation()
        self.say(f"new conversation {self.session.cid}")

    def retry(self, arg: str) -> None:
        self.turn(
            lambda out: self.session.retry(
                out, stream=self.opts.stream, max_cost_usd=self.opts.max_cost_usd
            )
        )

    def history(self, arg: str) -> None:
        self.console.print(
            history.transcript_text(self.session.store, self.session.cid),
            markup=False,
            highlight=False,
        )

    def save(self, arg: str) -> None:
        if not arg:
            raise UsageError("/save needs a file name", "e.g. /save notes.md")
        target = Path(arg).expanduser()
        with target.open("w", encoding="utf-8") as file:
            pieces = export.markdown_pieces(self.session.store, self.session.cid)
            export.write(pieces, file, terminal=False)
        self.say(f"saved conversation {self.session.cid} to {target}")

    def search(self, arg: str) -> None:
        hits = self.session.store.search(arg, 10)
        if not hits:
            self.say(f"no conversation mentions {arg!r}")
            return
        from rich.text import Text

        for line in search.lines(hits, styled=True):  # sanitised; the only ESC is the bold
            self.console.print(Text.from_ansi(line), highlight=False)
        self.say(search.CONTINUE_HINT)

    def template(self, name: str, arg: str) -> None:
        template = templates.load(name)
        question = template.render(None, [arg] if arg else [])
        with self.front_matter(template):
            self.ask(question)

    @contextmanager
    def front_matter(self, template: templates.Template) -> Iterator[None]:
        """A template's system prompt, model, backend and tools, for its one turn."""
        settings, conversation = self.settings, self.session.conversation
        saved = (
            settings.backend,
            settings.openai.model,
            settings.ollama.model,
            settings.tools.enabled,
            conversation.system,
        )
        if template.backend:
            settings.backend = template.backend
        if template.model:
            config.set_model(settings, template.model, f"template {template.name}")
        if template.tools is not None:
            settings.tools.enabled = template.tools
        if template.system is not None:
            conversation.system = template.system
        try:
            yield
        finally:
            (
                settings.backend,
                settings.openai.model,
                settings.ollama.model,
                settings.tools.enabled,
                conversation.system,
            ) = saved

    def tools(self, arg: str) -> None:
        if arg not in ("on", "off"):
            raise UsageError("/tools: expected on or off")
        if arg == "on" and (why := workspace_refusal(self.settings)):
            raise UsageError(why)
        self.settings.tools.enabled = arg == "on"
        self.say(f"tools {arg}")

    def context(self, arg: str) -> None:
        self.session.messages()  # the keeper learns the system prompt in force
        self.say(self.session.context.describe())

    def compact(self, arg: str) -> None:
        self.session.messages()
        try:
            self.say(self.session.context.compact(self.opts.max_cost_usd))
        except KeyboardInterrupt:
            self.say("stopped; nothing was compacted")

    def exit(self, arg: str) -> None:
        self.running = False


def template_commands() -> dict[str, str]:
    """`/NAME` for each of the user's templates, with its description (for /help and Tab)."""
    out = {}
    for name in templates.names():
        try:
            description = templates.load(name).description
        except GoshiError as exc:
            description = f"(cannot be used: {exc.message})"
        out[f"/{name}"] = one_line(description or "template")
    return out


def run(opts: SessionOptions) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("goshi chat needs a terminal", 'in scripts use goshi ask "..."')
    approval = Approval(opts.yes)
    return Chat(Session.start(opts, approval, approval.tool_call), opts).run()


def register(app: "typer.Typer") -> None:
    import typer

    from goshi.commands.options import Turn, Verbose, finish, turn_options

    @app.command()
    @turn_options
    def chat(turn: Turn, verbose: Verbose = 0) -> None:
        """Chat in the terminal (live Markdown, cost footer, /help)."""
        opts = turn.options(SessionOptions)
        raise typer.Exit(finish(lambda: run(opts), turn.verbose))
