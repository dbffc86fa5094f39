"""The chat prompt: prompt_toolkit with history kept in the XDG state dir, multi-line input and
slash-command completion.

Enter sends. Alt+Enter (Esc then Enter) inserts a newline; a bracketed paste stays one message,
newlines and all. Ctrl-X Ctrl-E edits the question in $VISUAL or $EDITOR (prompt_toolkit's own
binding: the edited text comes back to the prompt, Enter sends it). Ctrl-C clears the line; Ctrl-D
on an empty line leaves. Tab completes /commands, and model names after `/model `.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

from goshi import paths

Choices = Callable[[str], list[tuple[str, str]]]  # what was typed -> (completion, meaning)


class SlashCompleter(Completer):
    """`/he` -> /help; `/model g` -> the model names `models` offers for `g`."""

    def __init__(self, commands: dict[str, str], models: Choices | None = None) -> None:
        self.commands = commands
        self.models = models

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        text = document.text_before_cursor
        if text.startswith("/model ") and self.models is not None:
            typed = text.removeprefix("/model ").lstrip()
            if " " not in typed:
                for name, meaning in self.models(typed):
                    yield Completion(name, start_position=-len(typed), display_meta=meaning)
            return
        if not text.startswith("/") or " " in text:
            return
        for name, meaning in self.commands.items():
            if name.startswith(text):
                yield Completion(name, start_position=-len(text), display_meta=meaning)


def _bindings() -> KeyBindings:
    kb = KeyBindings()

    @kb.add("enter")
    def _send(event: KeyPressEvent) -> None:
        event.current_buffer.validate_and_handle()

    @kb.add("escape", "enter")
    def _newline(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text("\n")

    return kb


class Prompt:
    def __init__(
        self, history_file: Path, commands: dict[str, str], models: Choices | None = None
    ) -> None:
        paths.private_dir(history_file.parent)
        paths.private_file(history_file)
        self.session: PromptSession[str] = PromptSession(
            history=FileHistory(str(history_file)),
            multiline=True,
            key_bindings=_bindings(),
            completer=SlashCompleter(commands, models),
            complete_while_typing=True,
            prompt_continuation="… ",
            enable_open_in_editor=True,  # Ctrl-X Ctrl-E: the question in $VISUAL or $EDITOR
        )

    def read(self) -> str | None:
        """The next message; '' when Ctrl-C cleared the line; None at Ctrl-D."""
        try:
            return self.session.prompt("› ")
        except KeyboardInterrupt:
            return ""
        except EOFError:
            return None
