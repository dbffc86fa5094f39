"""edit_file over the real wire: the test server asks for edits, goshi applies what the rules allow
(read first, unchanged since, exactly one match, the lines shown), and the next request carries
the result the model reads."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.test_tools import call, results, tool_round
from tests.wire_server import Handler, WireServer, openai_stream


@pytest.fixture
def work(home: Path) -> Path:
    root = home / "work"
    (root / "app.py").write_text(
        "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a - b\n"
    )
    return root


def edit(path: str, old: str, new: str, **more: Any) -> tuple[str, str, str]:
    return call("edit_file", path=path, old_string=old, new_string=new, **more)


def test_a_unique_match_is_replaced_and_the_diff_shown(goshi, server: WireServer, work) -> None:
    server.openai.push(
        tool_round(call("read_file", path="app.py")),
        tool_round(
            edit("app.py", "def add(a, b):\n    return a - b", "def add(a, b):\n    return a + b")
        ),
        openai_stream("fixed"),
    )
    r = goshi("ask", "-y", "fix add")
    assert r.stdout == "fixed\n"
    assert (work / "app.py").read_text().startswith("def add(a, b):\n    return a + b\n")
    assert (work / "app.py").read_text().endswith("def sub(a, b):\n    return a - b\n")
    assert results(server, 2) == ["edited app.py (+1 -1 lines)"]
    assert "-    return a - b\n+    return a + b\n" in r.stderr
    assert "@@ -1,5 +1,5 @@" in r.stderr


def test_several_matches_say_how_many_and_where(goshi, server: WireServer, work) -> None:
    server.openai.push(
        tool_round(call("read_file", path="app.py")),
        tool_round(edit("app.py", "return a - b", "return a + b")),
        tool_round(edit("app.py", "return a - b", "return b - a", replace_all=True)),
        openai_stream("done"),
    )
    goshi("ask", "-y", "fix")
    (many,) = results(server, 2)
    assert many == (
        "error: old_string occurs 2 times in app.py, at lines 2, 6; add surrounding lines to "
        "old_string so it occurs once, or set replace_all to change every one:\n"
        "2|     return a - b\n6|     return a - b"
    )
    assert results(server, 3) == ["edited app.py (+2 -2 lines)"]
    assert (work / "app.py").read_text().count("return b - a") == 2


def test_no_match_shows_the_closest_lines_with_numbers(goshi, server: WireServer, work) -> None:
    server.openai.push(
        tool_round(call("read_file", path="app.py")),
        tool_round(
            edit("app.py", "def sub(a, b):\n  return a - b", "x"),  # indentation is wrong
            edit("app.py", "def sub(x, y):\n    return x - y\n", "x"),
            edit("app.py", "zzz qqq", "x"),
        ),
        openai_stream("done"),
    )
    goshi("ask", "-y", "fix")
    whitespace, closest, nothing = results(server, 2)
    assert whitespace == (
        "error: old_string does not occur in app.py; lines 5-6 match it except for whitespace "
        "(indentation, tabs or trailing spaces). Copy them exactly:\n"
        "5| def sub(a, b):\n6|     return a - b"
    )
    assert closest.startswith("error: old_string does not occur in app.py; the closest lines are:")
    assert "5| def sub(a, b):\n6|     return a - b" in closest
    assert nothing.startswith("error: old_string does not occur in app.py, nor anything close")
    assert "a - b" in (work / "app.py").read_text()  # nothing written


def test_a_crlf_file_stays_crlf(goshi, server: WireServer, work) -> None:
    win = work / "win.txt"
    win.write_bytes(b"one\r\ntwo\r\nthree\r\n")
    server.openai.push(
        tool_round(call("read_file", path="win.txt")),
        tool_round(edit("win.txt", "two\nthree\n", "2\n2.5\nthree\n")),  # the model writes LF
        openai_stream("done"),
    )
    goshi("ask", "-y", "edit")
    assert results(server, 2) == ["edited win.txt (+2 -1 lines)"]
    assert win.read_bytes() == b"one\r\n2\r\n2.5\r\nthree\r\n"


def test_an_edit_past_the_read_cap_needs_those_lines_read(goshi, server, work) -> None:
    big = work / "big.txt"
    big.write_text("".join(f"line {i}\n" for i in range(1, 5001)))
    big.chmod(0o640)
    server.openai.push(
        tool_round(call("read_file", path="big.txt")),  # lines 1-2000 only
        tool_round(edit("big.txt", "line 4500\n", "line 4500 edited\n")),
        tool_round(call("read_file", path="big.txt", start_line=4495, end_line=4505)),
        tool_round(edit("big.txt", "line 4500\n", "line 4500 edited\n")),
        tool_round(edit("big.txt", "line 4504\n", "line 4504 too\n")),  # still shown, moved
        openai_stream("done"),
    )
    r = goshi("ask", "-y", "edit far down")
    assert "@@ -4497,7 +4497,7 @@\n line 4497\n line 4498\n line 4499\n-line 4500\n" in r.stderr
    assert results(server, 2) == [
        "refused: lines 4500-4500 of big.txt were not shown to you; read_file it with "
        "start_line=4500 end_line=4500 first"
    ]
    assert results(server, 4) == ["edited big.txt (+1 -1 lines)"]
    assert results(server, 5) == ["edited big.txt (+1 -1 lines)"]
    lines = big.read_text().splitlines()
    assert (len(lines), lines[4499], lines[4503]) == (5000, "line 4500 edited", "line 4504 too")
    assert big.stat().st_mode & 0o777 == 0o640
    assert not list(work.glob(".*.goshi"))


def _drift(path: Path, then):  # type: ignore[no-untyped-def]
    def reply(h: Handler, body: dict[str, Any]) -> None:
        path.write_text(path.read_text() + "# someone else\n")
        then(h, body)

    return reply


def test_unread_and_changed_files_are_refused(goshi, server: WireServer, work) -> None:
    app = work / "app.py"
    server.openai.push(
        tool_round(edit("app.py", "a - b", "a + b", replace_all=True)),
        tool_round(call("read_file", path="app.py")),
        _drift(app, tool_round(edit("app.py", "a - b", "a + b", replace_all=True))),
        tool_round(edit("missing.py", "x", "y")),
        openai_stream("gave up"),
    )
    goshi("ask", "-y", "edit")
    assert results(server, 1) == [
        "refused: app.py exists and you have not read it; read_file it first"
    ]
    assert results(server, 3) == ["refused: app.py changed since you read it; read_file it again"]
    assert results(server, 4) == ["refused: missing.py does not exist; create it with write_file"]
    assert "a + b" not in app.read_text()


def test_the_audit_records_edit_sizes_not_contents(goshi, server, work, home) -> None:
    from goshi.store.engine import sqlite3

    server.openai.push(
        tool_round(call("read_file", path="app.py")),
        tool_round(edit("app.py", "def add", "def plus")),
        openai_stream("done"),
    )
    goshi("ask", "-y", "rename")
    db = sqlite3.connect(home / "data" / "goshi" / "goshi.db")
    row = db.execute("SELECT arguments, status, summary FROM tool_calls WHERE tool='edit_file'")
    arguments, status, summary = row.fetchone()
    assert json.loads(arguments) == {
        "path": "app.py",
        "old_string": "<7 chars>",
        "new_string": "<8 chars>",
    }
    assert (status, summary) == ("ok", "ok +1 -1")


def test_the_tool_line_shows_goshis_time(goshi, server: WireServer, work) -> None:
    server.openai.push(
        tool_round(call("read_file", path="app.py")),
        tool_round(edit("app.py", "def add", "def plus")),
        openai_stream("done"),
    )
    r = goshi("ask", "-y", "-v", "rename")
    assert re.search(r"-> edit_file app.py  ok \+1 -1  \d+ ms", r.stderr), r.stderr


def apply_diff(old: list[str], diff: str) -> list[str]:
    """A unified diff applied the way patch does, checking every context and removed line."""
    out, at = [], 0
    lines = diff.splitlines(keepends=True)[2:]
    for line in lines:
        if line.startswith("@@"):
            start = int(re.match(r"@@ -(\d+)", line)[1])  # type: ignore[index]
            begin = start - 1 if ",0 " not in line.split("+")[0] else start
            out += old[at:begin]
            at = begin
        elif line[0] in " -":
            assert old[at] == line[1:], (old[at], line)
            at += 1
            if line[0] == " ":
                out.append(line[1:])
        else:
            out.append(line[1:])
    return out + old[at:]


def test_the_diff_of_the_changed_middle_is_right_and_difflibs_when_unambiguous() -> None:
    import difflib
    import random

    from goshi.agent.write import unified_diff

    rng = random.Random(13)
    for case in range(400):
        alphabet = "abc" if case % 2 else [str(n) for n in range(10_000)]
        old = [f"{rng.choice(alphabet)}\n" for _ in range(rng.randint(0, 40))]
        new = list(old)
        for _ in range(rng.randint(1, 3)):
            at = rng.randint(0, len(new))
            new[at : at + rng.randint(0, 3)] = [f"{rng.choice(alphabet)}\n"] * rng.randint(0, 3)
        diff = unified_diff("".join(old), "".join(new), "f", True)
        assert apply_diff(old, diff) == new
        if len(set(old)) == len(old) and len(set(new)) == len(new):
            assert diff == "".join(difflib.unified_diff(old, new, fromfile="a/f", tofile="b/f"))
