"""The one terminal sanitiser: every control a hostile model or server could send is shown."""

from __future__ import annotations

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
