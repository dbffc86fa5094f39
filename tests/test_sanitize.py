"""The one terminal sanitiser: every control a hostile model or server could send is shown."""

from __future__ import annotations

import os

import pytest

from goshi.sanitize import for_log, for_review, for_terminal, one_line


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b]0;pwned\x07", "^[]0;pwned^G"),  # OSC: set the window title
        ("\x1b]52;c;ZXZpbA==\x07", "^[]52;c;ZXZpbA==^G"),  # OSC 52: write the clipboard
        ("\x1b[2J\x1b[H", "^[[2J^[[H"),  # CSI: clear the screen, home the cursor
        ("ok\rfake", "ok^Mfake"),  # CR: overwrite the line
        ("a\x08b\x7f", "a^Hb^?"),
        ("\x9b2J", "<U+009B>2J"),  # the one-byte CSI
        ("line\r\nnext\ttab", "line\nnext\ttab"),
    ],
)
def test_controls_are_shown_not_interpreted(raw: str, shown: str) -> None:
    assert for_terminal(raw) == shown


def test_plain_text_is_untouched() -> None:
    text = "# Title\n\n```py\nprint('héllo 世界')\n```\n\t- item\n"
    assert for_terminal(text) is text


def test_one_line_keeps_its_line() -> None:
    assert one_line("model\nname\t\x1b") == "model^Jname^I^["


def test_review_shows_bidi_and_zero_width() -> None:
    trojan = 'access = "user\u202e \u2066// admin\u2069\u2066"\u200b'
    shown = for_review(trojan)
    assert "<U+202E>" in shown and "<U+2066>" in shown and "<U+200B>" in shown
    assert "\u202e" not in shown and "\u200b" not in shown


def test_log_values_cannot_forge_lines() -> None:
    assert for_log("bad\n2026-01-01 INFO forged\x1b[31m") == "bad\\n2026-01-01 INFO forged\\x1b[31m"
    assert "\n" not in for_log("a\u2028b\r\n")


def test_a_crlf_split_between_two_deltas_is_still_a_line_end() -> None:
    from goshi.sanitize import TerminalStream

    safe = TerminalStream()
    shown = safe.feed("one\r") + safe.feed("\ntwo\r") + safe.feed("three\x1b[2J") + safe.flush()
    assert shown == "one\ntwo^Mthree^[[2J"
    assert safe.feed("end\r") + safe.flush() == "end^M"


@pytest.mark.parametrize(
    "char",
    [
        "\U000e0041",  # a tag character: invisible ASCII
        "\U000e0001",
        "\u2061",  # invisible operators
        "\u2064",
        "\u206a",  # deprecated format characters
        "\u206f",
        "\u115f",  # Hangul fillers
        "\u1160",
        "\u3164",
        "\uffa0",
        "\ufe00",  # variation selectors
        "\ufe0f",
        "\U000e0100",
        "\U000e01ef",
        "\u034f",  # combining grapheme joiner
        "\u180e",  # Mongolian vowel separator
        "\u00a0",  # a space that is not a space
        "\u2028",  # line separator: a line break the diff does not see
        "\ue000",  # private use
        "\U0010fffd",
    ],
)
def test_review_escapes_every_invisible_character(char: str) -> None:
    assert for_review(f"a{char}b") == f"a<U+{ord(char):04X}>b"


def test_review_escapes_each_format_and_default_ignorable_character() -> None:
    """Derived from Unicode's data, not a hand list: every format character (Cf) and every
    Default_Ignorable code point Python knows of is escaped."""
    import unicodedata

    ignorable = [*range(0x115F, 0x1161), 0x3164, 0xFFA0, *range(0xFE00, 0xFE10)]
    ignorable += [*range(0xE0000, 0xE1000), *range(0x180B, 0x1810), 0x034F, 0x17B4, 0x17B5]
    formats = [c for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"]
    for code in ignorable + formats:
        assert for_review(chr(code)) == f"<U+{code:04X}>", hex(code)


def test_review_counts_long_blank_runs_and_keeps_short_ones() -> None:
    assert for_review("rm -rf ~" + " " * 20_000 + "# ok") == "rm -rf ~⟨20,000 spaces⟩# ok"
    assert for_review("x" + "\t" * 40 + "y") == "x⟨40 tabs⟩y"
    assert for_review("    indented    code") == "    indented    code"
    assert for_review("a" + "\u200b" * 500 + "b") == "a⟨500 × <U+200B>⟩b"


def test_review_counts_the_blanks_that_end_a_line() -> None:
    """A trailing blank is invisible: `DIR := build ` is not `DIR := build` to make."""
    assert for_review("DIR := build ") == "DIR := build⟨1 space⟩"
    assert for_review("a \t") == "a⟨1 space⟩⟨1 tab⟩"
    assert for_review("x\ny  \nz") == "x\ny⟨2 spaces⟩\nz"
    assert for_review("é" + " " * 20) == "é⟨20 spaces⟩"


def test_review_shows_every_cr_and_escapes_its_own_markers() -> None:
    assert for_review("total\r\nnext") == "total^M\nnext"
    assert for_review("⟨20,000 spaces⟩") == "<U+27E8>20,000 spaces<U+27E9>"


def test_review_escapes_a_stack_of_combining_marks_but_not_an_accent() -> None:
    """Marks stacked on one letter draw as a smudge that could carry any bits; one accent, or a
    script's vowel signs, stay as written."""
    hidden = "".join(chr(0x0300 + (ord(c) % 0x30)) for c in "run rm -rf")
    assert for_review("a" + hidden) == "a" + "".join(f"<U+{ord(c):04X}>" for c in hidden)
    assert for_review("café, e\u0301, नमस्ते") == "café, e\u0301, नमस्ते"


def test_an_approval_row_is_never_wider_than_the_terminal() -> None:
    """Rows are laid out for the widest a terminal may draw them: every character but ASCII,
    the narrow forms and combining marks counts two columns (wide, ambiguous-width ones, and
    neutral ones a newer Unicode than Python's may draw wide), so no row wraps on its own and
    pushes the top of an approval off the screen."""
    from goshi.ui.review import fold

    # 19, 18 and 13: a continued row's `↪` (neutral width) counts two as well
    assert [len(row) for row in fold("世" * 50, 40, "+")] == [20, 20, 15]
    assert [len(row) for row in fold("①" * 50, 40, "+")] == [20, 20, 15]
    hexagram = [len(row) for row in fold("\u4dc0" * 50, 40, "+")]  # wide since Unicode 16
    assert hexagram == [20, 20, 15]
    assert [len(row) for row in fold("e\u0301" * 30, 40)] == [40, 22]
    assert [len(row) for row in fold("x" * 50, 40)] == [40, 12]


def test_a_sheet_counts_each_line_of_a_two_line_question_or_header() -> None:
    """A change goshi cannot keep asks in two lines (the warning, then the question); a command
    asked despite the allow-list has a two-line header: each line is a row on the screen."""
    from goshi.ui.approve import text_sheet
    from goshi.ui.review import Sheet

    sheet = Sheet(["row"] * 8, 10, 80)
    assert sheet.fits("change a? [y]es")  # 8 + 1 rows, one spare: 10 of 10
    assert not sheet.fits("a: cannot be undone\nchange a? [y]es")  # 8 + 2 rows: no spare
    header = "allow-listed, but asked: -y approves no command\nrun in /w (timeout 120 s):"
    assert len(text_sheet(header, ["ls"], "  $ ", os.terminal_size((80, 24))).rows) == 3
