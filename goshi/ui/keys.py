"""Keys from the user's own terminal (/dev/tty), so questions work while stdout is a pipe.

Tty() -> OSError when there is no controlling terminal
size() -> the terminal's columns and lines (what an approval must fit in)
key(choices) -> cbreak mode (no echo, no Enter needed; Ctrl-C is still SIGINT), typeahead
                discarded so a key pressed before the question cannot answer it -> one key
                -> the terminal's mode restored, always (Ctrl-C included)
edit(prompt, text) -> a line editor (prompt_toolkit) on /dev/tty with `text` to fix up
"""

from __future__ import annotations

import os
import termios

REFUSE = (b"\r", b"\n", b"\x1b", b"\x04")  # Enter, Esc, Ctrl-D: the safe answer


class Tty:
    def __init__(self) -> None:
        self.fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)

    def __enter__(self) -> Tty:
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)

    def write(self, text: str) -> None:
        data = text.encode("utf-8", "replace")
        while data:
            data = data[os.write(self.fd, data) :]

    def size(self) -> os.terminal_size:
        """Columns and lines; 80 x 24 when the terminal does not say."""
        try:
            size = os.get_terminal_size(self.fd)
        except OSError:
            return os.terminal_size((80, 24))
        if size.columns <= 0 or size.lines <= 0:
            return os.terminal_size((80, 24))
        return size

    def key(self, choices: str, default: str) -> str:
        """One of `choices` (lower-case letters); Enter, Esc or Ctrl-D give `default`."""
        try:
            saved = termios.tcgetattr(self.fd)
        except termios.error as exc:
            raise OSError(str(exc)) from None
        mode = [*saved[:6], list(saved[6])]
        mode[3] = saved[3] & ~(termios.ICANON | termios.ECHO)
        mode[6][termios.VMIN], mode[6][termios.VTIME] = 1, 0
        termios.tcsetattr(self.fd, termios.TCSAFLUSH, mode)
        try:
            while True:
                data = os.read(self.fd, 32)
                if not data or data in REFUSE:
                    return default
                char = data[:1].decode("ascii", "ignore").lower()
                if char and char in choices:
                    return char
                self.write("\a")
        finally:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, saved)

    def edit(self, prompt: str, text: str) -> str | None:
        """The user's fixed-up line, or None on Ctrl-D (Ctrl-C raises KeyboardInterrupt)."""
        from prompt_toolkit import PromptSession
        from prompt_toolkit.input import create_input
        from prompt_toolkit.output import create_output

        with open("/dev/tty", encoding="utf-8") as keys, open("/dev/tty", "w") as screen:
            session: PromptSession[str] = PromptSession(
                input=create_input(keys), output=create_output(screen)
            )
            try:
                return session.prompt(prompt, default=text)
            except EOFError:
                return None
