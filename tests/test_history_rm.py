"""`goshi history rm`: the conversation, its messages, their words in the search index and its
compactions go; its spend stays; and other goshi processes get to write while it works."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from goshi.llm.types import Message, Usage
from goshi.store import Store
from goshi.store.conversations import DELETE_BATCH_MESSAGES
from goshi.store.engine import sqlite3
from tests.conftest import start


def store_of(home: Path) -> Store:
    return Store(home / "data" / "goshi" / "goshi.db")


def test_rm_takes_the_messages_their_words_and_compactions_and_keeps_the_spend(
    goshi, home: Path
) -> None:
    store = store_of(home)
    gone = store.new_conversation("gpt-4o-mini", "openai", None).id
    kept = store.new_conversation("gpt-4o-mini", "openai", None).id
    for i in range(3_000):  # more than one batch
        store.add_message(gone, Message("user", f"zanzibar question {i}"), "ok")
        store.add_message(kept, Message("user", f"kept question {i}"), "ok")
    last = store.add_message(gone, Message("assistant", "zanzibar answer"), "ok")
    store.add_compaction(gone, last, "drop", 10, None, 0, None)
    store.record_spend(gone, "openai", "gpt-4o-mini", Usage(10, 5), 4_500_000, False)
    store.close()
    assert "zanzibar question 0" in goshi("history", "search", "zanzibar").stdout
    r = goshi("history", "rm", str(gone))
    assert (r.code, r.stdout) == (0, f"removed conversation {gone}\n")
    db = sqlite3.connect(home / "data" / "goshi" / "goshi.db")
    assert (
        db.execute("SELECT count(*) FROM messages WHERE conversation_id = ?", (gone,)).fetchone()[0]
        == 0
    )
    assert db.execute("SELECT count(*) FROM compactions").fetchone()[0] == 0
    matches = "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?"
    assert db.execute(matches, ("zanzibar",)).fetchone()[0] == 0
    assert db.execute(matches, ("kept",)).fetchone()[0] == 3_000
    db.execute("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")
    assert goshi("history", "search", "zanzibar").stdout == "no conversation mentions 'zanzibar'\n"
    assert json.loads(goshi("cost", "--json").stdout)["total_usd"] == 0.0000045
    assert goshi("history", "show", str(gone)).code == 2


@pytest.mark.parametrize(
    ("total", "words"),
    [
        (DELETE_BATCH_MESSAGES * 4, 60),  # four write transactions
        # tool outputs of 100 KB: what is deleted is overwritten (secure_delete), which costs
        # in proportion to the text: 300 of them are 30 MB, too much for one transaction
        (300, 7_000),
    ],
    ids=["many", "big"],
)
def test_other_processes_write_while_a_long_conversation_is_removed(
    home: Path, env, total: int, words: int
) -> None:
    store = store_of(home)
    cid = store.new_conversation("gpt-4o-mini", "openai", None).id
    store.db.execute("BEGIN")
    for i in range(total):
        store.add_message(cid, Message("user", f"{i} " + "words to index " * words), "ok")
    store.db.execute("COMMIT")
    store.close()
    writer = sqlite3.connect(home / "data" / "goshi" / "goshi.db", timeout=30, isolation_level=None)
    rm = start(env, home, "history", "rm", str(cid))
    seen = set()  # how many of its messages were left each time this writer got the lock
    while rm.poll() is None:
        writer.execute("BEGIN IMMEDIATE")  # as an ask storing its question
        left = writer.execute(
            "SELECT count(*) FROM messages WHERE conversation_id = ?", (cid,)
        ).fetchone()[0]
        writer.execute(
            "INSERT INTO conversations (created_at, model, backend) VALUES (0, 'm', 'b')"
        )
        writer.execute("COMMIT")
        seen.add(left)
        time.sleep(0.005)  # an ask writes a few times a turn, not in a loop
    assert rm.wait() == 0, rm.communicate()[1]
    assert any(0 < left < total for left in seen), sorted(seen)


def test_rm_leaves_no_text_of_the_conversation_in_the_store_file(goshi, home: Path) -> None:
    """A removed conversation's text is overwritten, not only unlinked: someone who removes a
    conversation holding a pasted secret and then copies goshi.db must not copy the secret.
    (The Python's SQLite on Debian was built with SECURE_DELETE; sqlean.py's is not.)"""
    store = store_of(home)
    kept = store.new_conversation("gpt-4o-mini", "openai", None).id
    gone = store.new_conversation("gpt-4o-mini", "openai", None).id
    for i in range(300):
        store.add_message(kept, Message("user", f"kept question {i} " * 8), "ok")
        store.add_message(gone, Message("user", f"The Token Is Qx7-Vault-{i:04d}! " * 8), "ok")
    store.close()
    assert goshi("history", "rm", str(gone)).code == 0
    folder = home / "data" / "goshi"
    left = b"".join(f.read_bytes() for f in folder.glob("goshi.db*"))
    assert left.count(b"Vault-0") == 0
    assert left.count(b"kept question 1") > 0  # the file is readable as such: a fair test


HOLDER = """
import sys, time
from goshi.store.engine import sqlite3
db = sqlite3.connect(sys.argv[1])
db.execute("SELECT count(*) FROM conversations").fetchone()
print("open", flush=True)
sys.stdin.read()
"""


def test_rm_pauses_for_others_only_while_another_process_has_the_store_open(home: Path) -> None:
    """Pauses let a waiting writer in; alone, `history rm` has no one to wait for. The kernel
    says whether another process holds the store's -shm lock (goshi/store/lockpeek.py)."""
    store = store_of(home)
    store.new_conversation("gpt-4o-mini", "openai", None)
    assert not store.shared()  # this process's own connection is not another's
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(store.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "open\n"
    assert store.shared()
    holder.communicate("", timeout=10)
    assert not store.shared()
    store.close()
