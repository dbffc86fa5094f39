"""The one terminal sanitiser: text from outside is shown, never interpreted.

Everything a model, a server, an MCP server or a workspace file wrote reaches a terminal through
one of these functions (stdout to a pipe is the exception on purpose: it gets the model's bytes).

    for_terminal(text)  C0 controls but newline and tab, DEL and C1 controls made visible:
                        ESC -> ^[, CR -> ^M, BEL -> ^G, DEL -> ^?, U+009B (CSI) -> <U+009B>.
                        CRLF is a line end and becomes LF. A lone surrogate (`"\\udc9b"` in a
                        server's JSON) -> <U+DC9B>: in a C locale Python would write it as the
                        raw byte 0x9B, an 8-bit CSI.
    one_line(text)      the same, and newline and tab too (^J, ^I): for names, error messages
                        and anything that must stay on its line.
    for_review(text)    what an approval shows: every byte that will run or be written,
                        visible. C0 controls but newline and tab as ^[, and every character
                        that is invisible or reorders text shown as <U+202E>: Unicode's format
                        characters (Cf: bidi controls, Trojan Source; the tag block; invisible
                        operators), the other Default_Ignorable code points (variation
                        selectors, Hangul fillers, CGJ), C1, surrogates, private use,
                        unassigned, and separators other than the space. A run of one blank or
                        escaped character longer than RUN is a count: ⟨20,000 spaces⟩. CR stays
                        ^M even before a newline (it is written too), and a literal ⟨ or ⟩ is
                        escaped, so every ⟨...⟩ on an approval screen is goshi's. Blanks
                        that end a line are a count too (⟨1 space⟩): a trailing blank
                        is invisible, and `DIR := build ` in a Makefile is not `build`. More
                        than MAX_MARKS combining marks in a row are escaped too (a stack
                        of them draws as one smudge and could carry anything).
    for_log(text)       a value from outside inside a log line: newlines and controls escaped
                        as \\n, \\x1b, \\u202e, so a server cannot forge log lines.

    TerminalStream      for_terminal over a stream of deltas: a CR that ends one delta waits
                        for the next, so a CRLF split between two deltas is still a line end.

Caret notation is what `cat -v` and most terminals' users already read.
"""

from __future__ import annotations

import functools
import itertools
import re

_C0 = [c for c in range(0x20) if c not in (0x09, 0x0A)]
_C1 = list(range(0x80, 0xA0))
_BIDI = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_ZERO_WIDTH = [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x180E]

_TERMINAL: dict[int, str] = {c: f"^{chr(c + 0x40)}" for c in _C0}
_TERMINAL[0x7F] = "^?"
_TERMINAL.update({c: f"<U+{c:04X}>" for c in _C1})
_ONE_LINE = {**_TERMINAL, 0x09: "^I", 0x0A: "^J"}

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_UNSAFE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# compiled on first use (re's cache): each costs 0.6-0.7 ms, and most runs need neither
_LOG = (
    "[\x00-\x1f\x7f-\x9f\\\\"
    + "".join(chr(c) for c in _BIDI + _ZERO_WIDTH + [0x2028, 0x2029])
    + "]"
)


def for_terminal(text: str) -> str:
    if not _UNSAFE.search(text):  # the common case costs one scan in C
        return text
    return _surrogates_shown(text.replace("\r\n", "\n").translate(_TERMINAL))


def one_line(text: str) -> str:
    if not _UNSAFE_LINE.search(text):
        return text
    return _surrogates_shown(text.translate(_ONE_LINE))


RUN = 16  # for_review: a run of one blank or escaped character longer than this is a count
MAX_MARKS = 4  # combining marks on one character past this are escaped: a stack hides them
# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt) less what the categories
# below already catch (its Cf and Cn members): what renders as nothing although it is there
_IGNORABLE = (
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x115F, 0x1160),  # Hangul choseong and jungseong fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian free variation selectors
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0x1D173, 0x1D17A),  # musical symbol format characters
    (0xE0000, 0xE0FFF),  # tags, variation selectors supplement, reserved
)
_HIDDEN = frozenset(("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"))
_BLANK_LOOKING = frozenset((0x2800,))  # braille pattern blank: a glyph of nothing
_REVIEW_RUN = (
    r"(?P<trail>[ \t]+)(?=\n|\Z)"
    rf"|(?P<space> {{{RUN + 1},}})|(?P<tab>\t{{{RUN + 1},}})|[^\x20-\x7e\n\t]+"
)


@functools.cache
def review_char(char: str) -> str:
    """One character as an approval shows it: itself, or escaped when it could hide."""
    import unicodedata  # approvals only: a plain answer never loads it

    code = ord(char)
    if code < 0x20:
        return f"^{chr(code + 0x40)}"
    if code == 0x7F:
        return "^?"
    if (
        unicodedata.category(char) in _HIDDEN
        or any(low <= code <= high for low, high in _IGNORABLE)
        or code in _BLANK_LOOKING
        or char in "⟨⟩"
    ):
        return f"<U+{code:04X}>"
    return char


def _combining(chars: set[str]) -> set[str]:
    import unicodedata

    return {c for c in chars if unicodedata.category(c) in ("Mn", "Me")}


def _review_piece(match: re.Match[str]) -> str:
    piece = match.group()
    if match.group("trail"):  # at a line's end a blank is invisible: `DIR := build ` in make
        return "".join(_count(blank, len(list(run))) for blank, run in itertools.groupby(piece))
    if match.group("space") or match.group("tab"):
        return _count(piece[0], len(piece))
    distinct = set(piece)
    if marks := _combining(distinct):  # stacked past MAX_MARKS, marks hide what they carry
        stacked = f"[{re.escape(''.join(marks))}]{{{MAX_MARKS + 1},}}"
        piece = re.sub(stacked, lambda m: "".join(f"<U+{ord(c):04X}>" for c in m.group()), piece)
        distinct = set(piece)
    if all(review_char(char) == char for char in distinct):  # letters, CJK: nothing hides
        return piece
    out = []
    for char, same in itertools.groupby(piece):  # a run of characters that are not ASCII
        count = sum(1 for _ in same)
        shown = review_char(char)
        out.append(f"⟨{count:,} × {shown}⟩" if count > RUN and shown != char else shown * count)
    return "".join(out)


def _count(blank: str, n: int) -> str:
    return f"⟨{n:,} {'space' if blank == ' ' else 'tab'}{'s' if n > 1 else ''}⟩"


def for_review(text: str) -> str:
    if (
        text.isascii()
        and text.isprintable()
        and " " * (RUN + 1) not in text
        and not text.endswith(" ")
    ):
        return text
    return re.sub(_REVIEW_RUN, _review_piece, text)


def _surrogates_shown(text: str) -> str:
    if not _SURROGATE.search(text):
        return text
    return _SURROGATE.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


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
