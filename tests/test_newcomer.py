"""A newcomer's first hour (#23): never a traceback, every failure one line with the right exit
code, and the chat goes on when one of its commands cannot do what was asked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import GOSHI
from tests.test_chat import chat  # noqa: F401  (the pseudo-terminal chat fixture)
from tests.wire_server import WireServer, openai_stream, refused_port


def no_traceback(text: str) -> None:
    assert "Traceback" not in text and 'File "' not in text, text


def test_a_question_bigger_than_a_known_window_exits_7_before_sending(
    goshi, server: WireServer
) -> None:
    """gpt-4o-mini's window (128k tokens) is in the model table: 700 KB of piped log is over it
    whatever is compacted, so nothing is sent, the overshoot is said, and the exit code is 7."""
    big = "2026-12-06 12:00:00 worker-7 GET /api/items?id=123456 200 in 17 ms\n" * 10_000
    r = goshi("ask", "summarize", stdin=big)
    no_traceback(r.stderr)
    assert r.code == 7, r.stderr
    assert "does not fit gpt-4o-mini's context window" in r.stderr
    assert "tokens over the" in r.stderr and "nothing was sent" in r.stderr
    assert server.chat_requests() == []


BUG = """
import sys
sys.argv = ["goshi", *{args!r}]
import goshi.{module} as target
def broken(*args, **kwargs):
    raise RuntimeError("a bug for the test")
target.{name} = broken
from goshi.entry import main
main()
"""


def run_with_a_bug(
    env: dict[str, str], home: Path, args: list[str], module: str, name: str
) -> subprocess.CompletedProcess[str]:
    code = BUG.format(args=args, module=module, name=name)
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=home / "work",
        timeout=60,
        start_new_session=True,
    )


def test_an_unexpected_exception_is_one_line_and_exit_70_with_the_traceback_in_the_log(
    env: dict[str, str], home: Path
) -> None:
    for args, module, name in (
        (["ask", "hi"], "commands.ask", "compose_prompt"),  # the fast door
        (["ask", "--no-stream", "hi"], "commands.ask", "compose_prompt"),  # through Typer
        (["cost"], "commands.cost", "spend"),
    ):
        r = run_with_a_bug(env, home, args, module, name)
        no_traceback(r.stderr)
        assert r.returncode == 70, (args, r.stderr)
        lines = r.stderr.splitlines()
        assert len(lines) == 1, r.stderr
        assert "internal error (RuntimeError: a bug for the test)" in lines[0]
        assert "goshi.log; please report it" in lines[0]
    log = (home / "state" / "goshi" / "goshi.log").read_text()
    assert "Traceback" in log and "a bug for the test" in log


def test_a_bad_backend_is_a_usage_error(goshi) -> None:
    r = goshi("ask", "-b", "foo", "hi")
    assert r.code == 2
    assert "'foo' is not one of auto, openai, ollama" in r.stderr
    no_traceback(r.stderr)


def test_status_exits_5_when_no_backend_answers(goshi) -> None:
    away = f"http://127.0.0.1:{refused_port()}"
    r = goshi("status", OPENAI_BASE_URL=f"{away}/v1", OLLAMA_HOST=away)
    assert r.code == 5, r.stderr
    assert "no backend answers" in r.stderr and "reachable: no" in r.stdout
    r = goshi("status", "--json", OPENAI_BASE_URL=f"{away}/v1", OLLAMA_HOST=away)
    assert r.code == 5


def test_save_says_why_it_cannot_and_the_chat_goes_on(chat, server: WireServer, home) -> None:  # noqa: F811
    server.openai.push(openai_stream("Hello."))
    t = chat()
    t.say("hi")
    t.wait_for("Hello.")
    t.prompt()
    t.say(f"/save {home / 'no' / 'such' / 'dir' / 'x.md'}")
    t.wait_for("no such folder")
    t.prompt()
    t.say(f"/save {home}")
    t.wait_for("is a folder")
    t.prompt()
    kept = home / "kept.md"
    kept.write_text("mine\n")
    t.say(f"/save {kept}")
    t.wait_for("exists;")
    t.wait_for("replaces it")
    t.prompt()
    assert kept.read_text() == "mine\n"
    t.say(f"/save {kept}!")
    t.wait_for("saved conversation")
    t.prompt()
    assert "Hello." in kept.read_text()
    assert "Traceback" not in t.text()
    t.send("\x04")
    assert t.wait_exit() == 0


def test_goshi_is_the_command_the_tests_run() -> None:
    assert Path(GOSHI).exists()


def test_counts_take_the_number_of_their_noun() -> None:
    from goshi.words import counted

    assert [counted(n, "turn") for n in (0, 1, 2, 12_000)] == [
        "0 turns",
        "1 turn",
        "2 turns",
        "12,000 turns",
    ]
    assert counted(1, "summary") == "1 summary" and counted(2, "summary") == "2 summaries"
