"""`goshi history export` and `history show`: one valid JSON document equal to the store, with
invisible and control characters escaped; Markdown to a terminal shown, never obeyed, and to a
pipe byte for byte; memory that stays flat however long the conversation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from goshi.llm.types import Message
from goshi.store import Store
from tests.conftest import GOSHI
from tests.test_screen_safety import CLASSES, HOSTILE, assert_untouched, spawn

# what a model may write that a reader of the JSON must not be deceived or driven by
INVISIBLE = {
    "\x9b": "\\u009b",  # C1 CSI
    "\x7f": "\\u007f",  # DEL
    "\u202e": "\\u202e",  # bidi override
    "\u200d": "\\u200d",  # zero-width joiner
    "\u2063": "\\u2063",  # invisible separator
    "\u206a": "\\u206a",  # inhibit symmetric swapping
    "\U000e0041": "\\udb40\\udc41",  # tag latin capital A
    "\ufe0f": "\\ufe0f",  # variation selector 16
    "\u034f": "\\u034f",  # combining grapheme joiner
    "\u3164": "\\u3164",  # Hangul filler
    "\u2028": "\\u2028",  # line separator
}
VISIBLE = "naïve 日本語 👍 ελληνικά"  # printable, kept as it is


def store_of(home: Path) -> Store:
    return Store(home / "data" / "goshi" / "goshi.db")


def conversation(home: Path, *contents: str) -> int:
    store = store_of(home)
    cid = store.new_conversation("gpt-4o-mini", "openai", None).id
    for i, content in enumerate(contents):
        store.add_message(cid, Message("user" if i % 2 == 0 else "assistant", content), "ok")
    store.close()
    return cid


def test_json_export_is_one_document_equal_to_the_store_with_invisibles_escaped(
    goshi, home: Path
) -> None:
    hidden = "ok" + "".join(INVISIBLE) + " end"
    cid = conversation(home, "first", f"{VISIBLE} {hidden}", "\x1b]0;pwned\x07", "")
    r = goshi("history", "export", str(cid), "--format", "json")
    assert r.code == 0, r.stderr
    for char, escape in INVISIBLE.items():
        assert char not in r.stdout and escape in r.stdout, repr(char)
    assert VISIBLE in r.stdout
    document = json.loads(r.stdout)
    stored = store_of(home).transcript(cid)
    assert [m["content"] for m in document["messages"]] == [m.content for m in stored]
    assert [m["id"] for m in document["messages"]] == [m.id for m in stored]
    assert document["messages"][1]["content"] == f"{VISIBLE} {hidden}"


def test_json_export_of_a_conversation_without_messages_is_valid(goshi, home: Path) -> None:
    cid = conversation(home)
    r = goshi("history", "export", str(cid), "--format", "json")
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["messages"] == []


def test_markdown_export_to_a_terminal_is_shown_never_obeyed(
    env: dict[str, str], home: Path
) -> None:
    cid = conversation(home, "show me", HOSTILE)
    screen = spawn(env, home / "work", ["history", "export", str(cid)], "xterm")
    assert screen.wait_exit(20) == 0
    for _, shown in CLASSES:
        assert shown in screen.text(), f"{shown!r} not on the screen:\n{screen.text()}"
    assert_untouched(screen)


def test_markdown_export_to_a_pipe_keeps_every_byte(env: dict[str, str], home: Path) -> None:
    cid = conversation(home, "show me", HOSTILE + VISIBLE + "\u202e")
    r = subprocess.run(
        [GOSHI, "history", "export", str(cid)],
        env=env,
        cwd=home / "work",
        capture_output=True,
        timeout=30,
        start_new_session=True,
    )
    assert r.returncode == 0, r.stderr
    assert f"\n## goshi\n\n{HOSTILE}{VISIBLE}\u202e\n".encode() in r.stdout


# Runs a command and says its peak RSS. goshi is started from this small process, not from
# pytest's: Linux counts the image a child was forked from in its peak (ru_maxrss survives exec).
PEAK = """
import resource, subprocess, sys
size = 0
with subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL) as proc:
    while chunk := proc.stdout.read(1 << 20):
        size += len(chunk)
assert proc.returncode == 0, proc.returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, size)
"""


def peak_rss_mib(env: dict[str, str], home: Path, *args: str) -> tuple[float, int]:
    """(the peak RSS of one goshi run in MiB, the bytes it wrote to a pipe)."""
    r = subprocess.run(
        [sys.executable, "-c", PEAK, GOSHI, *args],
        env=env,
        cwd=home / "work",
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
    )
    assert r.returncode == 0, r.stderr
    peak, size = r.stdout.split()
    return float(peak), int(size)


def test_exports_and_show_stream_in_flat_memory(env: dict[str, str], home: Path) -> None:
    store = store_of(home)
    cid = store.new_conversation("gpt-4o-mini", "openai", None).id
    # 64 MB of answers; the search index is left out to build it fast (no export reads it)
    store.db.execute("DROP TRIGGER messages_fts_insert")
    store.db.execute("BEGIN")
    for i in range(640):
        role = "user" if i % 2 == 0 else "assistant"
        store.add_message(cid, Message(role, f"{i} " + "ünïcode words\n" * 7_000), "ok")
    store.db.execute("COMMIT")
    store.close()
    for args in (["export", "--format", "json"], ["export", "--format", "md"], ["show"]):
        peak, size = peak_rss_mib(env, home, "history", args[0], str(cid), *args[1:])
        assert size > 64_000_000, args
        assert peak < 50, f"{args}: {peak:.1f} MiB"


def test_a_conversation_is_read_in_its_order_from_an_index_not_sorted(home: Path) -> None:
    store = store_of(home)
    traced: list[str] = []
    store.db.set_trace_callback(traced.append)
    list(store.messages_of(conversation(home, "q", "a")))
    (query,) = [q for q in traced if "FROM messages" in q]
    plan = " / ".join(row[3] for row in store.db.execute(f"EXPLAIN QUERY PLAN {query}"))
    assert "INDEX messages_in_order" in plan and "TEMP B-TREE" not in plan, plan


def test_the_json_layout_is_json_dumps_with_indent_byte_for_byte() -> None:
    from goshi.commands.export import _layout

    values = [
        {"a": [], "b": {}, "c": [{"x": None, "y": True, "z": False}], "d": 1.5e-7, "e": -3},
        {"s": 'q"\\\n\t\x01\x7f\x9b\u202e日本 👍', "n": float("nan"), "i": float("inf")},
        [1, [2, [3, {}]], "x"],
        {"id": 2**70, "at": 1796545583.8170211, "usd": 0.000435},
    ]
    for value in values:
        assert _layout(value, "") == json.dumps(value, indent=2, ensure_ascii=False)
