"""The chat's slash commands: /help, /model, /backend, /system, /cost, /clear, /resume, /retry,
/add, /history, /save, /search, /tools, /context, /compact, /diff, /undo, /exit, and `/NAME TEXT`
for the user's templates.

Each is a method `name(arg)`; what it says goes through `say` (sanitised). A command that cannot do
what was asked raises UsageError: one red line, and the chat goes on.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from goshi import config, templates
from goshi.commands import export, history, search
from goshi.commands.options import MAX_ID
from goshi.config import BACKENDS
from goshi.cost.meter import format_usd, local_midnight
from goshi.errors import GoshiError, UsageError
from goshi.sanitize import one_line
from goshi.turn.session import Session, SessionOptions, workspace_refusal
from goshi.ui.live import MarkdownOutput

if TYPE_CHECKING:
    from rich.console import Console

    from goshi.agent.attach import Attachments

COMMANDS = {
    "/help": "list the commands and keys",
    "/model": "NAME: answer with this model from now on",
    "/backend": "auto|openai|ollama: choose the backend",
    "/system": "TEXT: set this conversation's system prompt",
    "/cost": "what this conversation and today have cost",
    "/clear": "start a new conversation",
    "/resume": "ID: go on with conversation ID, with its model and backend",
    "/retry": "ask the last question again",
    "/add": "PATH...: attach files or images to the next question (a quoted glob too)",
    "/history": "show this conversation",
    "/save": "FILE: save this conversation as Markdown (FILE! replaces a file)",
    "/search": "TEXT: find past conversations (continue one with goshi chat --cid ID)",
    "/tools": "on|off: offer the model the coding tools",
    "/context": "what is sent: the window, summary, turns and tokens",
    "/compact": "fold the older turns into a summary now",
    "/diff": "what this conversation changed in files, as a diff",
    "/undo": "put back the files the last answer changed (goshi redo applies them again)",
    "/exit": "leave (Ctrl-D does too)",
}
KEYS = (
    "Enter sends · Alt+Enter (Esc Enter) adds a line · a paste stays one message\n"
    "Ctrl-X Ctrl-E edits the question in $VISUAL/$EDITOR · Tab completes /commands and /model\n"
    "Ctrl-C clears the line, or stops an answer · Ctrl-D leaves"
)
TEMPLATE_HELP = "/NAME TEXT asks with your template NAME ({dir})"


class SlashCommands:
    """The slash commands of a chat; `Chat` (goshi/commands/chatloop.py) runs them."""

    session: Session
    settings: config.Settings
    opts: SessionOptions
    running: bool
    console: "Console"
    attached: "Attachments | None"

    def say(self, text: str) -> None: ...

    def show_last(self) -> None: ...

    def ask(self, text: str) -> None: ...

    def turn(self, run: Callable[[MarkdownOutput], object]) -> None: ...

    def slash_handlers(self) -> dict[str, Callable[[str], None]]:
        return {name: getattr(self, name[1:]) for name in COMMANDS}

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

    def resume(self, arg: str) -> None:
        if not (arg.isascii() and arg.isdigit()):
            raise UsageError("/resume needs a conversation id", "/search TEXT finds one")
        if int(arg) > MAX_ID:
            raise UsageError(f"no conversation {arg}", "/search TEXT finds one")
        self.session.resume(int(arg))
        self.say(
            f"conversation {self.session.cid} · {self.session.selector.primary_backend()} "
            f"{self.session.selector.primary_model()}"
        )
        self.show_last()

    def retry(self, arg: str) -> None:
        self.turn(
            lambda out: self.session.retry(
                out, stream=self.opts.stream, max_cost_usd=self.opts.max_cost_usd
            )
        )

    def add(self, arg: str) -> None:
        """/add PATH...: files for the next question; a path with spaces in quotes."""
        import shlex

        from goshi.agent import attach

        try:
            named = shlex.split(arg)
        except ValueError as exc:
            raise UsageError(f"/add: {exc}", "close the quote") from None
        if not named:
            raise UsageError("/add needs a file", "e.g. /add src/app.py or /add 'src/*.py'")
        read = attach.read(named)
        if self.attached is None:
            self.attached = read
        else:
            self.attached.add(read)
        self.say(f"attached {', '.join(read.names())}: they go with your next question")

    def history(self, arg: str) -> None:
        self.console.print(
            history.transcript_text(self.session.store, self.session.cid),
            markup=False,
            highlight=False,
        )

    def save(self, arg: str) -> None:
        """/save FILE: the conversation as Markdown. A folder, a missing folder or an unwritable
        file is said in one line; an existing file is replaced only with `/save FILE!`."""
        force = arg.endswith("!")
        arg = arg.removesuffix("!").strip()
        if not arg:
            raise UsageError("/save needs a file name", "e.g. /save notes.md")
        target = Path(arg).expanduser()
        if target.is_dir():
            raise UsageError(
                f"/save: {target} is a folder", f"name a file, e.g. /save {arg}/chat.md"
            )
        if not target.parent.is_dir():
            raise UsageError(
                f"/save: no such folder {target.parent}", "create it first, or name another"
            )
        if target.exists() and not force:
            raise UsageError(f"/save: {target} exists", f"/save {arg}! replaces it")
        try:
            with target.open("w", encoding="utf-8") as out:
                pieces = export.markdown_pieces(self.session.store, self.session.cid)
                export.write(pieces, out, terminal=False)
        except OSError as exc:
            raise UsageError(f"/save: cannot write {target} ({exc.strerror or exc})") from None
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
        """A template's system prompt, model, backend, tools and OpenAI endpoint, for its one
        turn."""
        settings, conversation = self.settings, self.session.conversation
        saved = (
            settings.backend,
            settings.openai.model,
            settings.ollama.model,
            settings.tools.enabled,
            conversation.system,
            settings.openai.api,
        )
        if template.api:
            settings.openai.api = template.api
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
                settings.openai.api,
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

    def diff(self, arg: str) -> None:
        from goshi.commands.undo import diff

        shown = diff(self.session.store, self.session.cid)  # sanitised (for_review)
        self.console.print(shown, markup=False, highlight=False)

    def undo(self, arg: str) -> None:
        from goshi.commands.undo import undo

        done = undo(self.session.store, self.session.cid)
        if done.done:
            self.say(done.lines().rstrip("\n"))
        done.check("put back")

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
