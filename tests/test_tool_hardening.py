"""Tools never crash and never hang, whatever the model sends or the workspace holds: arguments of
the wrong type, hostile regexes, a 2 GB file, symlink loops, hard links, bytes that are not UTF-8.
No wire is involved, so the Toolbox is driven directly (tests/test_tools.py covers the wire).
"""

from __future__ import annotations

import json
import os
import resource
import time
from pathlib import Path
from typing import Any

import pytest

from goshi.agent.calls import ToolResult
from goshi.agent.tools import Toolbox
from goshi.agent.workspace import Workspace
from goshi.llm.types import ToolCall


@pytest.fixture
def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Toolbox:
    for name in ("config", "data", "state"):
        monkeypatch.setenv(f"XDG_{name.upper()}_HOME", str(tmp_path / name))
    root = tmp_path / "work"
    root.mkdir()
    (root / "notes.txt").write_text("alpha\nbeta\ngamma\n")
    return Toolbox(Workspace(root), lambda rel, diff, new, tool="write_file": True)


def run(box: Toolbox, name: str, raw: str | None = None, **args: Any) -> ToolResult:
    return box.run(ToolCall("call_1", name, raw if raw is not None else json.dumps(args)))


@pytest.mark.parametrize(
    ("name", "raw", "said"),
    [
        (
            "read_file",
            '{"path": "notes.txt", "start_line": "abc"}',
            "start_line must be an integer",
        ),
        (
            "read_file",
            '{"path": "notes.txt", "start_line": 1e999}',
            "start_line must be an integer",
        ),
        ("read_file", '{"path": "notes.txt", "start_line": 0}', "from 1 to"),
        ("read_file", '{"path": "notes.txt", "end_line": 1' + "0" * 30 + "}", "end_line must"),
        ("read_file", '{"path": "notes.txt", "start_line": true}', "start_line must"),
        ("read_file", '{"path": "notes.txt", "start_line": 3, "end_line": 2}', "before start_line"),
        ("read_file", '{"path": 42}', "path must be a string"),
        ("read_file", "{}", "path is required"),
        ("read_file", '{"path": "notes.txt", "mode": "rb"}', "unknown argument 'mode'"),
        ("list_dir", '{"path": ".", "recursive": "yes"}', "recursive must be true or false"),
        ("search", '{"pattern": ["a"]}', "pattern must be a string"),
        ("write_file", '{"path": "x.txt", "content": {"a": 1}}', "content must be a string"),
        ("read_file", "[" * 100_000, "not valid JSON"),
        ("read_file", '"notes.txt"', "not valid JSON"),
        ("read_file", '{"path": "notes.txt", "start_line": ' + "9" * 5000 + "}", "not valid JSON"),
    ],
)
def test_arguments_of_the_wrong_shape_are_an_error_result(
    box: Toolbox, name: str, raw: str, said: str
) -> None:
    result = run(box, name, raw)
    assert not result.ok and said in result.content, result.content


def test_integral_floats_and_nulls_are_taken_as_meant(box: Toolbox) -> None:
    result = run(box, "read_file", path="notes.txt", start_line=2.0, end_line=None)
    assert result.ok and result.content == "beta\ngamma\n"


@pytest.mark.parametrize(
    ("pattern", "said"),
    [
        ("a{100000}", "invalid repetition size"),
        (r"(a)\1", "invalid escape sequence"),
        ("(?=a)b", "RE2"),
        ("[", "missing ]"),
    ],
)
def test_hostile_patterns_are_an_error_result(box: Toolbox, pattern: str, said: str) -> None:
    result = run(box, "search", pattern=pattern)
    assert not result.ok and said in result.content, result.content


def test_a_catastrophic_pattern_runs_in_linear_time(box: Toolbox) -> None:
    (box.ws.root / "long.txt").write_text("a" * 200_000 + "!\n" + "(a+)+$ aaaa\n")
    result = run(box, "search", pattern="(a+)+$")  # backtracking would not end in a lifetime
    assert result.ok and "long.txt:2: (a+)+$ aaaa" in result.content
    nested = run(box, "search", pattern="(" * 5000 + "beta" + ")" * 5000)
    assert nested.ok and "notes.txt:2: beta" in nested.content


def test_read_file_of_a_2_gb_file_reads_only_what_it_shows(box: Toolbox) -> None:
    big = box.ws.root / "huge.log"
    with big.open("wb") as f:
        f.write(b"".join(b"line %d\n" % i for i in range(1, 3001)))
        f.truncate(2 * 1024**3)  # sparse: 2 GB on paper, nothing on disk
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu = time.process_time()
    result = run(box, "read_file", path="huge.log")
    # work done, not time waited: reading through 2 GB costs seconds of CPU, however idle
    assert time.process_time() - cpu < 0.5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss < 50_000  # KB
    assert result.ok and result.content.startswith("line 1\nline 2\n")
    assert result.content.endswith(
        "[cut: lines 1-2000 shown; call read_file with start_line=2001 to read on]"
    )
    far = run(box, "read_file", path="huge.log", start_line=10_000_000)
    assert not far.ok and "MB into the file" in far.content
    # and write_file will not take it on (it would have to hold the file whole for the diff)
    refused = run(box, "write_file", path="huge.log", content="x")
    assert not refused.ok and "over 10 MB" in refused.content


def test_a_line_longer_than_the_cap_shows_its_start(box: Toolbox) -> None:
    (box.ws.root / "one.min.js").write_text("x" * 300_000 + "\n")
    result = run(box, "read_file", path="one.min.js")
    assert result.ok and result.content.startswith("x" * 1000)
    assert result.content.endswith("longer than 100 KB; only its start is shown]")
    assert len(result.content) < 101_000


def test_binary_is_decided_by_the_first_bytes(box: Toolbox) -> None:
    (box.ws.root / "blob").write_bytes(b"\x7fELF\x00\x00" + b"x" * 100_000)
    result = run(box, "read_file", path="blob")
    assert not result.ok and "binary file" in result.content


def test_a_symlink_loop_is_refused_and_walks_go_on(box: Toolbox) -> None:
    root = box.ws.root
    os.symlink("b", root / "a")
    os.symlink("a", root / "b")
    os.symlink("self", root / "self")
    result = run(box, "read_file", path="a")
    assert not result.ok and "symlink loop" in result.content
    assert not run(box, "write_file", path="self/x.txt", content="x").ok
    for args in ({"path": "."}, {"path": ".", "recursive": True}):
        listed = run(box, "list_dir", **args)
        assert listed.ok and "notes.txt" in listed.content
    found = run(box, "search", pattern="beta")
    assert found.ok and "notes.txt:2: beta" in found.content


def test_search_skips_a_fifo_instead_of_waiting_on_it(box: Toolbox) -> None:
    os.mkfifo(box.ws.root / "pipe")
    result = run(box, "search", pattern="beta")  # opening the FIFO would wait for a writer
    assert result.ok and result.content == "notes.txt:2: beta"
    assert "FIFO" in run(box, "read_file", path="pipe").content


def test_a_hard_linked_file_is_refused(box: Toolbox, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOKEN=hunter2\n")
    os.link(secret, box.ws.root / "innocent.txt")
    result = run(box, "read_file", path="innocent.txt")
    assert not result.ok and "2 hard links" in result.content
    found = run(box, "search", pattern="hunter2")
    assert found.ok and "hunter2" not in found.content
    assert not run(box, "write_file", path="innocent.txt", content="x").ok
    assert secret.read_text() == "TOKEN=hunter2\n"


def test_a_file_that_is_not_utf8_is_never_rewritten(box: Toolbox) -> None:
    latin = box.ws.root / "latin1.txt"
    latin.write_bytes(b"caf\xe9\nsecond\n")
    read = run(box, "read_file", path="latin1.txt")
    assert read.ok and read.content == "caf\ufffd\nsecond\n"
    write = run(box, "write_file", path="latin1.txt", content="caf\ufffd\nsecond line\n")
    assert not write.ok and "not valid UTF-8 (byte 0xe9 at offset 3)" in write.content
    assert latin.read_bytes() == b"caf\xe9\nsecond\n"


def test_edit_file_never_rewrites_a_file_that_is_not_utf8(box: Toolbox) -> None:
    latin = box.ws.root / "latin1.txt"
    latin.write_bytes(b"caf\xe9\nsecond\n")
    assert run(box, "read_file", path="latin1.txt").ok
    edit = run(box, "edit_file", path="latin1.txt", old_string="second", new_string="2nd")
    assert not edit.ok and "not valid UTF-8 (byte 0xe9 at offset 3)" in edit.content
    assert latin.read_bytes() == b"caf\xe9\nsecond\n"


def test_content_with_a_lone_surrogate_is_refused(box: Toolbox) -> None:
    raw = '{"path": "new.txt", "content": "half \\ud83d of a smile"}'
    result = run(box, "write_file", raw)
    assert not result.ok and "lone surrogate" in result.content
    assert not (box.ws.root / "new.txt").exists()


def test_a_utf8_file_is_rewritten_exactly(box: Toolbox) -> None:
    (box.ws.root / "crlf.txt").write_bytes("naïve\r\nline\r\n".encode())
    assert run(box, "read_file", path="crlf.txt").ok
    result = run(box, "write_file", path="crlf.txt", content="naïve\r\nline two\r\n")
    assert result.ok, result.content
    assert (box.ws.root / "crlf.txt").read_bytes() == "naïve\r\nline two\r\n".encode()
