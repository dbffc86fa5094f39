"""`goshi history search`: full-text search over every question and answer."""

from __future__ import annotations

import json
import sqlite3 as pythons_sqlite3
from pathlib import Path

import pytest

from goshi.llm.types import Message
from goshi.store import Store
from goshi.store.db import statements
from goshi.store.engine import sqlite3
from goshi.store.migrations import MIGRATIONS
from tests.wire_server import openai_stream


def converse(goshi, server, question: str, answer: str) -> None:  # type: ignore[no-untyped-def]
    server.openai.push(openai_stream(answer))
    r = goshi("ask", question)
    assert r.code == 0, r.stderr


@pytest.fixture
def three(goshi, server) -> None:  # type: ignore[no-untyped-def]
    converse(goshi, server, "How do I undo a merge?", "Use git revert -m 1 on the merge commit.")
    converse(
        goshi,
        server,
        "Should I rebase or merge my feature branch?",
        "Rebase for a linear history; rebasing rewrites commits, so never rebase shared ones.",
    )
    converse(goshi, server, "What is a reflog?", "A log of where HEAD has been; rebase leaves one.")


def test_search_finds_ranks_and_marks_the_matches(goshi, three) -> None:
    r = goshi("history", "search", "rebase")
    assert r.code == 0, r.stderr
    lines = r.stdout.splitlines()
    # conversation 2 says rebase four times (rebasing too: words are stemmed), 3 once, 1 never
    assert [line.split()[0] for line in lines[::2]] == ["2", "3"]
    assert "Should I rebase or merge my feature branch?" in lines[0]
    assert "**rebase**" in r.stdout and "**rebasing**" in r.stdout
    assert "\x1b" not in r.stdout  # a pipe gets no escape codes


def test_search_json_has_the_conversation_to_continue(goshi, three) -> None:
    rows = json.loads(goshi("history", "search", "rebase", "--json", "-n", "1").stdout)
    assert len(rows) == 1
    row = rows[0]
    assert row["conversation_id"] == 2 and row["first_line"].startswith("Should I rebase")
    assert row["role"] in ("user", "assistant") and "**rebas" in row["snippet"]
    assert isinstance(row["rank"], float) and isinstance(row["created_at"], float)


def test_all_words_must_match_in_any_order(goshi, three) -> None:
    found = json.loads(goshi("history", "search", "merge", "commit", "--json").stdout)
    assert [row["conversation_id"] for row in found] == [1]
    assert json.loads(goshi("history", "search", "merge", "--json").stdout)


def test_fts_syntax_in_the_text_is_just_text(goshi, three) -> None:
    for text in (
        '"',
        "rebase AND",
        "AND",
        "OR NOT",
        "*",
        "-x",
        "a -b",
        "rebase*",
        "NEAR(a b)",
        "a:b",
        "'",
        "(",
        "^x",
        'rebase"merge',
    ):
        r = goshi("history", "search", "--", text)
        assert (r.code, r.stderr) == (0, ""), text


def test_nothing_found_and_nothing_asked(goshi, three) -> None:
    r = goshi("history", "search", "kubernetes")
    assert r.code == 0 and "no conversation mentions 'kubernetes'" in r.stdout
    assert json.loads(goshi("history", "search", "kubernetes", "--json").stdout) == []
    assert goshi("history", "search", "  ").code == 2
    assert goshi("history", "search", "x", "-n", "0").code == 2


def test_a_removed_conversation_is_no_longer_found(goshi, three) -> None:
    assert goshi("history", "rm", "2").code == 0
    ids = [
        row["conversation_id"]
        for row in json.loads(goshi("history", "search", "rebase", "--json").stdout)
    ]
    assert ids == [3]


def test_control_sequences_in_a_conversation_are_shown_not_run(goshi, server) -> None:
    converse(goshi, server, "colour \x1b]0;pwned\x07 title", "rebase \x1b[2J\x1b[31mred\x9b")
    out = goshi("history", "search", "rebase").stdout
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert "^[[2J^[[31mred<U+009B>" in out and "^[]0;pwned^G" in out


def old_store(path: Path) -> None:
    """A store as goshi left it before search existed, with conversations."""
    before = next(i for i, script in enumerate(MIGRATIONS) if "messages_fts" in script)
    db = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:before]:
        for statement in statements(script):
            db.execute(statement)
    db.execute(f"PRAGMA user_version = {before}")
    for cid, (question, answer) in enumerate(
        [("old question about rebase", "an answer"), ("unrelated", "bisect finds it")], start=1
    ):
        db.execute(
            "INSERT INTO conversations VALUES (?, 1700000000, 'gpt-4o-mini', 'openai', NULL)",
            (cid,),
        )
        for role, text in (("user", question), ("assistant", answer)):
            db.execute(
                "INSERT INTO messages (conversation_id, created_at, role, content, status)"
                " VALUES (?, 1700000000, ?, ?, 'ok')",
                (cid, role, text),
            )
    db.close()


def test_the_migration_indexes_conversations_already_stored(goshi, server, home) -> None:
    store = home / "data" / "goshi" / "goshi.db"
    store.parent.mkdir(parents=True)
    old_store(store)
    found = json.loads(goshi("history", "search", "rebase", "--json").stdout)
    assert [(r["conversation_id"], r["role"]) for r in found] == [(1, "user")]
    assert (
        json.loads(goshi("history", "search", "bisect", "--json").stdout)[0]["role"] == "assistant"
    )
    db = sqlite3.connect(store)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    # and what is asked from now on is indexed as it is stored
    converse(goshi, server, "rebase again?", "yes")
    found = json.loads(goshi("history", "search", "rebase", "--json").stdout)
    assert sorted(r["conversation_id"] for r in found) == [1, 3]
    assert "old question about rebase" in goshi("history", "list").stdout


def schema_14_store(store: Path, questions: dict[int, list[str]]) -> None:
    """A store as goshi up to schema 14 left it, written by the Python's own SQLite."""
    store.parent.mkdir(parents=True, exist_ok=True)
    db = pythons_sqlite3.connect(store, isolation_level=None)
    for script in MIGRATIONS[:14]:
        for statement in statements(script):
            db.execute(statement)
    db.execute("PRAGMA user_version = 14")
    db.execute("BEGIN")
    for cid, asked in questions.items():
        db.execute(
            "INSERT INTO conversations VALUES (?, 1700000000, 'gpt-4o-mini', 'openai', NULL)",
            (cid,),
        )
        db.executemany(
            "INSERT INTO messages (conversation_id, created_at, role, content, status)"
            " VALUES (?, 1700000000, 'user', ?, 'ok')",
            [(cid, question) for question in asked],
        )
    db.execute("COMMIT")
    db.close()


def test_a_store_of_schema_14_made_by_pythons_own_sqlite_keeps_its_search(goshi, home) -> None:
    """Goshi up to schema 14 ran on the Python's SQLite (3.40 here), whose FTS5 index forgot a
    message only by tokenizing its text again; migration 15 builds the contentless-delete index
    from the messages already stored, and search, snippets and `history rm` work on it."""
    store = home / "data" / "goshi" / "goshi.db"
    schema_14_store(store, {1: ["rebasing the feature branch"], 2: ["a café near the office"]})
    found = json.loads(goshi("history", "search", "rebase", "--json").stdout)  # stemmed
    assert [(r["conversation_id"], r["snippet"]) for r in found] == [
        (1, "**rebasing** the feature branch")
    ]
    assert [
        r["conversation_id"]
        for r in json.loads(goshi("history", "search", "cafe", "--json").stdout)
    ] == [2]
    assert goshi("history", "rm", "1").code == 0
    assert goshi("history", "search", "rebase").stdout == "no conversation mentions 'rebase'\n"
    db = sqlite3.connect(store)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    db.execute("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")


def test_the_index_follows_a_message_whose_text_or_role_changes(home) -> None:
    """No goshi command rewrites a message's text today; the trigger keeps the index true if one
    does (or a user edits goshi.db by hand with a current sqlite3)."""
    store = Store(home / "data" / "goshi" / "goshi.db")
    cid = store.new_conversation("gpt-4o-mini", "openai", None).id
    mid = store.add_message(cid, Message("user", "zanzibar"), "ok")
    db = store.db
    db.execute("UPDATE messages SET content = 'timbuktu' WHERE id = ?", (mid,))
    assert [h.message_id for h in store.search("timbuktu", 5)] == [mid]
    assert store.search("zanzibar", 5) == []
    db.execute("UPDATE messages SET role = 'tool' WHERE id = ?", (mid,))  # tool results: unindexed
    assert store.search("timbuktu", 5) == []
    db.execute("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")
    store.close()


def test_a_conversation_removed_while_the_search_runs_is_left_out(home) -> None:
    """`history rm` in another process between finding a message and reading about it (the
    snippets are drawn in between): the hit goes, the search does not fail."""
    path = home / "data" / "goshi" / "goshi.db"

    class RemovedMeanwhile(Store):
        def _snippets(self, query: str, ids: list[int]) -> dict[int, str]:
            snippets = super()._snippets(query, ids)
            other = Store(path)
            other.delete_conversation(gone)
            other.close()
            return snippets

    store = RemovedMeanwhile(path)
    kept = store.new_conversation("gpt-4o-mini", "openai", None).id
    gone = store.new_conversation("gpt-4o-mini", "openai", None).id
    store.add_message(kept, Message("user", "zanzibar kept"), "ok")
    store.add_message(gone, Message("user", "zanzibar gone"), "ok")
    assert [h.conversation_id for h in store.search("zanzibar", 5)] == [kept]
    store.close()
