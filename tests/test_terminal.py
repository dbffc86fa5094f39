"""`goshi ask` in a real pseudo-terminal: the answer streams live, then a footer."""

from __future__ import annotations

import pexpect

from tests.conftest import GOSHI
from tests.wire_server import WireServer, openai_stream


def test_terminal_shows_the_answer_and_a_footer(env, home, server: WireServer) -> None:
    server.openai.push(openai_stream("Streaming into a terminal.", usage=(12, 5, 0)))
    child = pexpect.spawn(
        GOSHI,
        ["ask", "hi"],
        env=env,
        cwd=str(home / "work"),
        encoding="utf-8",
        timeout=15,
        dimensions=(24, 100),
    )
    child.expect("Streaming into a terminal.")
    child.expect(
        r"openai · gpt-4o-mini-2024-07-18 · 12 in / 5 out · \$0\.000005 · session \$0\.000005"
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_a_dumb_terminal_gets_plain_text_and_a_footer_line(env, home, server) -> None:
    server.openai.push(openai_stream("Plain **text**.", usage=(3, 2, 0)))
    child = pexpect.spawn(
        GOSHI,
        ["ask", "hi"],
        env={**env, "TERM": "dumb"},
        cwd=str(home / "work"),
        encoding="utf-8",
        timeout=15,
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert child.before == (
        "Plain **text**.\r\nopenai · gpt-4o-mini-2024-07-18 · 3 in / 2 out · $0.000002 · "
        "session $0.000002 · ctx 0% of 128k\r\n"
    )
