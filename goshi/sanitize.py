"""The one terminal sanitiser: text from outside is shown, never interpreted.

Everything a model, a server, an MCP server or a workspace file wrote reaches a terminal through
one of these functions (stdout to a pipe is the exception on purpose: it gets the model's bytes).

    for_terminal(text)  C0 controls but newline and tab, DEL and C1 controls made visible:
                        ESC -> ^[, CR -> ^M, BEL -> ^G, DEL -> ^?, U+009B (CSI) -> <U+009B>.
                        CRLF is a line end and becomes LF.
    one_line(text)      the same, and newline and tab too (^J, ^I): for names, error messages
                        and anything that must stay on its line.
    for_review(text)    for_terminal, and Unicode bidirectional controls and zero-width
                        characters shown as <U+202E> (Trojan Source): what the user approves
                        is what gets written.
    for_log(text)       a value from outside inside a log line: newlines and controls escaped
                        as \\n, \\x1b, \\u202e, so a server cannot forge log lines.

    TerminalStream      for_terminal over a stream of deltas: a CR that ends one delta waits
                        for the next, so a CRLF split between two deltas is still a line end.

Caret notation is what `cat -v` and most terminals' users already read.
"""

from __future__ import annotations

import re

_C0 = [c for c in range(0x20) if c not in (0x09, 0x0A)]
_C1 = list(range(0x80, 0xA0))
_BIDI = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_ZERO_WIDTH = [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x180E]

_TERMINAL: dict[int, str] = {c: f"^{chr(c + 0x40)}" for c in _C0}
_TERMINAL[0x7F] = "^?"
_TERMINAL.update({c: f"<U+{c:04X}>" for c in _C1})
_ONE_LINE = {**_TERMINAL, 0x09: "^I", 0x0A: "^J"}
_REVIEW = {**_TERMINAL, **{c: f"<U+{c:04X}>" for c in _BIDI + _ZERO_WIDTH}}

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_UNSAFE_LINE = re.compile("[\x00-\x1f\x7f-\x9f]")
# compiled on first use (re's cache): each costs 0.6-0.7 ms, and most runs need neither
_UNSAFE_REVIEW = "[\x00-\x08\x0b-\x1f\x7f-\x9f" + "".join(chr(c) for c in _BIDI + _ZERO_WIDTH) + "]"
_LOG = (
    "[\x00-\x1f\x7f-\x9f\\\\"
    + "".join(chr(c) for c in _BIDI + _ZERO_WIDTH + [0x2028, 0x2029])
    + "]"
)


def for_terminal(text: str) -> str:
    if not _UNSAFE.search(text):  # the common case costs one scan in C
        return text
    return text.replace("\r\n", "\n").translate(_TERMINAL)


def one_line(text: str) -> str:
    if not _UNSAFE_LINE.search(text):
        return text
    return text.translate(_ONE_LINE)


def for_review(text: str) -> str:
    if not re.search(_UNSAFE_REVIEW, text):
        return text
    return text.replace("\r\n", "\n").translate(_REVIEW)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\\":
        return "\\\\"
    code = ord(char)
    return {0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"}.get(
        code, f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    )


def for_log(text: str) -> str:
    if text.isascii() and text.isprintable() and "\\" not in text:
        return text  # printable ASCII: nothing of _LOG's in it
    return re.sub(_LOG, _escape, text)


class TerminalStream:
    """for_terminal for text that arrives in pieces."""

    def __init__(self) -> None:
        self.held = ""

    def feed(self, delta: str) -> str:
        text = self.held + delta
        self.held = "\r" if text.endswith("\r") else ""
        return for_terminal(text[:-1] if self.held else text)

    def flush(self) -> str:
        held, self.held = self.held, ""
        return for_terminal(held)
