"""Reasoning and refusals in a real pseudo-terminal, read through pyte as a user reads them."""

from __future__ import annotations

from typing import Any

import pexpect

from tests.conftest import GOSHI
from tests.terminal import Term
from tests.wire_server import WireServer, openai_stream


def spawn(env: dict[str, str], home: Any, *args: str) -> Term:
    child = pexpect.spawn(
        GOSHI,
        ["ask", *args, "hi"],
        env={**env, "TERM": "xterm-256color"},
        cwd=str(home / "work"),
        encoding="utf-8",
        timeout=15,
        dimensions=(24, 80),
    )
    return Term(child, 24, 80)


def test_reasoning_streams_in_a_region_that_collapses_to_one_line(
    env: dict[str, str], home: Any, server: WireServer
) -> None:
    thinking = [f" step{i}" for i in range(40)]
    server.openai.push(
        openai_stream(["The", " answer."], reasoning=thinking, delay_s=0.05, usage=(9, 60, 0))
    )
    term = spawn(env, home)
    term.wait_for(r"thinking… \d+ s")  # the region shows while the model thinks
    term.wait_for(r"step1\d")
    assert term.wait_exit() == 0
    screen = term.lines()
    summary = [i for i, line in enumerate(screen) if line.startswith("thought for ")]
    answer = [i for i, line in enumerate(screen) if "The answer." in line]
    assert len(summary) == 1 and answer and summary[0] < answer[0]
    assert "tokens" in screen[summary[0]]
    assert "step39" not in "\n".join(screen)  # the region is gone: only its one line stays
    assert "thinking…" not in "\n".join(screen)


def test_a_refusal_is_the_answer_and_the_footer_says_so(
    env: dict[str, str], home: Any, server: WireServer
) -> None:
    server.openai.push(openai_stream([], refusal=["I can't help", " with that."], usage=(5, 4, 0)))
    term = spawn(env, home)
    term.wait_for("I can't help with that.")
    term.wait_for(r"· refusal")
    assert term.wait_exit() == 0


def test_a_cut_answer_is_marked_in_the_footer_and_exits_8(
    env: dict[str, str], home: Any, server: WireServer
) -> None:
    server.openai.push(openai_stream(["Once", " upon"], finish="length", usage=(5, 2, 0)))
    term = spawn(env, home)
    term.wait_for(r"cut: token cap")
    term.wait_for(r"the answer was cut at the server's own output limit")
    assert term.wait_exit() == 8


def test_a_dumb_terminal_gets_one_line_for_the_thinking(
    env: dict[str, str], home: Any, server: WireServer
) -> None:
    server.openai.push(openai_stream(["Yes."], reasoning=["let", " me", " see"], usage=(3, 2, 0)))
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
    lines = child.before.splitlines()
    assert lines[0].startswith("thought for ") and lines[0].endswith(" tokens")
    assert lines[1] == "Yes." and "let me see" not in child.before
