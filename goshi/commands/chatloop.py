"""The chat's loop (`goshi chat`, goshi/commands/chat.py): read a line, run it.

    prompt -> a slash command runs here; `/NAME TEXT` fills the user's template NAME
    (goshi/templates.py) -> anything else is one turn of the Session
    (goshi/turn/session.py), shown by the live Markdown view with its footer (goshi/ui/live.py).

Ctrl-C while an answer streams stops that answer (kept, marked interrupted) and returns to the
prompt; an error in a turn is one line, and the chat goes on. Ctrl-D or /exit leaves with 0.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from goshi import paths, templates
from goshi.commands.slash import COMMANDS, SlashCommands, template_commands
from goshi.errors import GoshiError, HungUp, Interrupted, Terminated
from goshi.sanitize import for_terminal
from goshi.turn.session import Session, SessionOptions
from goshi.ui.live import MarkdownOutput, make_console

SHOWN_LINES = 6  # of a question shown when a conversation is taken up again

if TYPE_CHECKING:
    from goshi.agent.attach import Attachments


class Chat(SlashCommands):
    """The loop: read a line, run a slash command (goshi/commands/slash.py) or ask."""

    def __init__(self, session: Session, opts: SessionOptions) -> None:
        self.settings = session.settings
        self.session = session
        self.opts = opts
        self.console = make_console()
        self.running = True
        self.handlers = self.slash_handlers()
        self.attached: Attachments | None = None  # -f and /add: they go with the next question

    # --- the loop --------------------------------------------------------------------------

    def run(self) -> int:
        from goshi.commands.completion import models
        from goshi.ui.repl import Prompt

        prompt = Prompt(paths.chat_history_file(), {**COMMANDS, **template_commands()}, models)
        self.say(
            f"goshi chat · {self.session.selector.primary_backend()} "
            f"{self.session.selector.primary_model()} · conversation {self.session.cid} · "
            "/help for commands, Ctrl-D to leave"
        )
        if self.opts.cid is not None or self.opts.continue_last:
            self.show_last()
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
        attached, self.attached = self.attached, None
        self.turn(
            lambda out: self.session.ask(
                text,
                out,
                stream=self.opts.stream,
                max_cost_usd=self.opts.max_cost_usd,
                attached=attached,
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

    def show_last(self) -> None:
        """A conversation taken up again: its last question (its first lines) and answer."""
        last = self.session.store.last_exchange(self.session.cid)
        if last is None:
            return
        question, answer = last
        lines = question.splitlines() or [""]
        more = f"\n… ({len(lines) - SHOWN_LINES} more lines)" if len(lines) > SHOWN_LINES else ""
        self.say("› " + "\n  ".join(lines[:SHOWN_LINES]) + more)
        self.console.print(for_terminal(answer), markup=False, highlight=False)

    def say(self, text: str) -> None:
        """A line of goshi's own; model names and paths in it may come from outside."""
        self.console.print(for_terminal(text), style="dim", markup=False, highlight=False)
