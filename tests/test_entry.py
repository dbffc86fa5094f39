"""The front door (goshi/entry.py): `goshi ask WORDS...` skips Typer, so it must do exactly what
the Typer app does with the same words; anything with an option still goes through Typer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.wire_server import WireServer, openai_error, openai_stream

DOOR = """
import sys
sys.argv = ["goshi", *{args!r}]
from goshi.{module} import main
try:
    main()
finally:
    print("TYPER:", "typer" in sys.modules, file=sys.stderr)
"""


def _run(module: str, args: list[str], env: dict[str, str], home: Path, stdin: str) -> Result:
    proc = subprocess.run(
        [sys.executable, "-c", DOOR.format(args=args, module=module)],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=home / "work",
        timeout=30,
        start_new_session=True,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.mark.parametrize("case", ["answer", "piped stdin", "bad key", "rejected", "no words"])
def test_plain_words_get_what_the_typer_app_gives(
    case: str, env: dict[str, str], home: Path, server: WireServer
) -> None:
    args, stdin = ["ask", "say", "hi"], ""
    server.openai.default = openai_stream(["Hi", " there"])
    if case == "piped stdin":
        stdin = "line one\nline two\n"
    elif case == "bad key":
        env = {**env, "OPENAI_API_KEY": "sk-with a space"}
    elif case == "rejected":
        server.openai.default = openai_error(400, "no such parameter: temperature")
    elif case == "no words":
        args = ["ask"]
    fast = _run("entry", args, env, home, stdin)
    full = _run("cli", args, env, home, stdin)
    assert "TYPER: False" in fast.stderr and "TYPER: True" in full.stderr
    assert (fast.code, fast.stdout) == (full.code, full.stdout)
    assert fast.stderr.replace("TYPER: False", "") == full.stderr.replace("TYPER: True", "")
    sent = server.chat_requests()
    assert len(sent) in (0, 2) and all(r.body == sent[0].body for r in sent)
    expected = {"answer": 0, "piped stdin": 0, "bad key": 4, "rejected": 7, "no words": 2}
    assert fast.code == expected[case], fast.stderr


def test_an_option_goes_through_typer(env: dict[str, str], home: Path, server: WireServer) -> None:
    server.openai.default = openai_stream(["Hi"])
    r = _run("entry", ["ask", "--json", "hi"], env, home, "")
    assert r.code == 0 and '"text": "Hi"' in r.stdout and "TYPER: True" in r.stderr
    r = _run("entry", ["ask", "--nope", "hi"], env, home, "")
    assert r.code == 2 and "No such option: --nope" in r.stderr


@pytest.mark.parametrize("args", [["ask", "hi"], ["ask", "-y", "hi"]])
def test_the_reader_leaving_is_not_an_error(
    args: list[str], env: dict[str, str], home: Path, server: WireServer
) -> None:
    """`goshi ask ... | head -c 20`: exit 0 on either path (Click alone would say 1)."""
    server.openai.default = openai_stream([f"word{n} " for n in range(5000)])
    proc = subprocess.Popen(
        [sys.executable, "-c", DOOR.format(args=args, module="entry")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=home / "work",
        start_new_session=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(20)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=30) == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err
