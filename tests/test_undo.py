"""Every change goshi applies is kept and can be put back: `goshi ask -y` edits one file and
creates another over the real wire, then `goshi undo`, `goshi redo`, `history show`, and the
chat's /diff and /undo in a pseudo-terminal, as a user sees them."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.test_approve_tty import ASK_CHANGE, spawn
from tests.test_chat import chat as _pty_chat  # noqa: F401  (registers the `chat` fixture)
from tests.wire_server import WireServer, openai_stream

ORIGINAL = "def answer():\n    return 41\n"
EDITED = "def answer():\n    return 42\n"


def call(n: int, name: str, **args: Any) -> tuple[str, str, str]:
    return (f"call_{n}", name, json.dumps(args))


def push_edit_and_create(server: WireServer, notes: str = "# Notes\n") -> None:
    """The model reads app.py, then edits it and creates notes.md, then says it is done."""
    server.openai.push(
        openai_stream([], tool_calls=[call(1, "read_file", path="app.py")]),
        openai_stream(
            [],
            tool_calls=[
                call(2, "edit_file", path="app.py", old_string="41", new_string="42"),
                call(3, "write_file", path="notes.md", content=notes),
            ],
        ),
        openai_stream("done"),
    )


@pytest.fixture
def work(home: Path) -> Path:
    (home / "work" / "app.py").write_text(ORIGINAL)
    return home / "work"


def test_undo_restores_the_edited_file_and_removes_the_created_one(
    goshi, server: WireServer, work: Path, home: Path
) -> None:
    push_edit_and_create(server)
    r = goshi("ask", "-y", "fix the answer and take notes")
    assert r.code == 0, r.stderr
    assert (work / "app.py").read_text() == EDITED and (work / "notes.md").exists()
    shown = goshi("history", "show", "1").stdout
    assert "files changed: app.py (edited), notes.md (created)" in shown

    r = goshi("undo")
    assert (r.code, r.stdout, r.stderr) == (0, "removed notes.md\nrestored app.py\n", "")
    assert (work / "app.py").read_text() == ORIGINAL
    assert not (work / "notes.md").exists()
    assert (
        "app.py (edited, undone), notes.md (created, undone)"
        in goshi("history", "show", "1").stdout
    )

    r = goshi("undo")
    assert r.code == 2 and "nothing to undo: no change goshi applied is in place" in r.stderr
    r = goshi("redo")
    assert (r.code, r.stdout) == (0, "changed app.py again\ncreated notes.md again\n"), r.stderr
    assert (work / "app.py").read_text() == EDITED and (
        work / "notes.md"
    ).read_text() == "# Notes\n"
    store = home / "data" / "goshi" / "goshi.db"
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o600  # the kept contents are the user's only


def test_a_file_the_user_changed_since_is_kept_and_named_the_others_still_put_back(
    goshi, server: WireServer, work: Path
) -> None:
    push_edit_and_create(server)
    assert goshi("ask", "-y", "fix it").code == 0
    (work / "app.py").write_text(EDITED + "# my own line\n")
    r = goshi("undo")
    assert r.code == 1
    assert r.stdout == "removed notes.md\n"
    assert r.stderr.startswith("goshi: conversation 1: left alone: app.py (changed since goshi")
    assert len(r.stderr.splitlines()) == 1
    assert (work / "app.py").read_text() == EDITED + "# my own line\n"
    assert not (work / "notes.md").exists()


def test_undo_takes_the_last_answer_and_all_takes_the_conversation(
    goshi, server: WireServer, work: Path
) -> None:
    push_edit_and_create(server)
    assert goshi("ask", "-y", "fix it").code == 0
    server.openai.push(
        openai_stream([], tool_calls=[call(4, "write_file", path="more.md", content="more\n")]),
        openai_stream("more done"),
    )
    assert goshi("ask", "-y", "-c", "and more").code == 0
    assert goshi("undo").stdout == "removed more.md\n"  # the last answer's only
    assert (work / "notes.md").exists()
    push_edit_and_create(server)
    r = goshi("undo", "--all", "--cid", "1")
    assert (r.code, r.stdout) == (0, "removed notes.md\nrestored app.py\n"), r.stderr
    assert (work / "app.py").read_text() == ORIGINAL


def test_chat_diff_and_undo(request: pytest.FixtureRequest, server: WireServer, work: Path) -> None:
    chat = request.getfixturevalue("_pty_chat")
    push_edit_and_create(server, notes="# Notes \x1b[2J\u202eevil\n")
    t = chat("-y")
    t.say("fix the answer")
    t.wait_for("done")
    t.prompt()
    t.say("/diff")
    t.wait_for(r"\+\+\+ b/notes\.md")
    t.wait_for(r"\+# Notes \^\[\[2J<U\+202E>evil")  # shown, not obeyed
    t.wait_for(r"-    return 41")
    t.wait_for(r"\+    return 42")
    t.prompt()
    t.say("/undo")
    t.wait_for("restored app.py")
    t.prompt()
    assert (work / "app.py").read_text() == ORIGINAL
    assert not (work / "notes.md").exists()
    t.say("/undo")
    t.wait_for("nothing to undo in conversation 1")


BIG = "".join(f"line {i:07d} of a generated table\n" for i in range(40_000))  # ~1.3 MB


def push_big_edit(server: WireServer) -> None:
    """The model reads lines 10-12 of big.txt and changes line 11: a small diff of a file too
    large for the store to keep."""
    server.openai.push(
        openai_stream(
            [], tool_calls=[call(1, "read_file", path="big.txt", start_line=10, end_line=12)]
        ),
        openai_stream(
            [],
            tool_calls=[
                call(2, "edit_file", path="big.txt", old_string="line 0000010 of", new_string="X")
            ],
        ),
        openai_stream("done"),
    )


def test_a_change_too_large_to_keep_says_so_before_it_is_written_and_undo_names_it(
    goshi, server: WireServer, work: Path
) -> None:
    (work / "big.txt").write_text(BIG)
    push_big_edit(server)
    r = goshi("ask", "-y", "fix line 11")
    assert r.code == 0, r.stderr
    said = [line for line in r.stderr.splitlines() if line.startswith("goshi: ")]
    assert said == [
        "goshi: big.txt: this change is too large for goshi to keep (over 1 MB):"
        " `goshi undo` cannot put it back"
    ]
    assert (work / "big.txt").read_text() == BIG.replace("line 0000010 of", "X")
    assert "big.txt (edited, too large to undo)" in goshi("history", "show", "1").stdout
    r = goshi("undo")
    assert r.code == 1
    assert "left alone: big.txt (too large to keep: goshi cannot put it back)" in r.stderr
    assert (work / "big.txt").read_text() == BIG.replace("line 0000010 of", "X")


def test_the_approval_of_a_change_too_large_to_keep_says_it_cannot_be_undone(
    env: dict[str, str], server: WireServer, work: Path
) -> None:
    (work / "big.txt").write_text(BIG)
    push_big_edit(server)
    t = spawn(env, work, "ask", "fix line 11")
    t.wait_for(ASK_CHANGE)
    t.wait_for(r"big\.txt: this change is too large for goshi to keep \(over 1 MB\): `goshi undo`")
    t.send("n")
    assert t.wait_exit() == 0
    assert (work / "big.txt").read_text() == BIG
