"""Every file change goshi applied, with the file's content before and after, so that it can be
shown (/diff), listed (`history show`) and put back (`goshi undo`, `goshi redo`).

    kind 'tool'  a write_file or edit_file the user approved: its conversation, the question it
                 answered and the assistant message whose call made it; `undone` while an undo
                 holds it reverted
    kind 'undo'  one file put back by `goshi undo`; `undone` once `goshi redo` applied it again
    kind 'redo'  one file changed again by `goshi redo`
An undo's (or redo's) rows share a `run`: the id of its first row. `before` NULL: the file did
not exist; `after` NULL: it was removed. A change too large to keep (`kept` 0) keeps no content
(`before` '' for a file that existed, NULL for a created one): it is listed, and never undone.
The store is 0600 in a 0700 folder (goshi/store/db.py).
"""

from __future__ import annotations

import time
from typing import Any

from goshi.record import record
from goshi.store.db import Database

_COLUMNS = (
    "id, conversation_id, question_id, message_id, path, rel, before, after, kind, kept, undone"
)


@record(frozen=True, slots=True)
class FileChange:
    id: int
    cid: int
    question_id: int | None
    message_id: int | None
    path: str  # where the file is (absolute, its links followed when it was written)
    rel: str  # as the workspace named it
    before: str | None
    after: str | None
    kind: str
    kept: bool
    undone: bool = False


class Changes(Database):
    def record_change(
        self,
        cid: int,
        path: str,
        rel: str,
        before: str | None,
        after: str | None,
        *,
        kept: bool = True,
        question_id: int | None = None,
        message_id: int | None = None,
    ) -> None:
        """A change a tool call applied, as the answer to `question_id`."""
        self._insert(cid, question_id, message_id, path, rel, before, after, "tool", kept=kept)

    def record_undo(self, change: FileChange, run: int | None) -> int:
        """One file put back by an undo (its run: None for the first), and the change marked
        undone, together. Returns the run."""
        with self.writing():
            row = self._turned_around(change, "undo", run)
            self.db.execute("UPDATE file_changes SET undone = 1 WHERE id = ?", (change.id,))
        return run or row

    def record_redo(self, undo: FileChange, original: int, run: int | None) -> int:
        """One file changed again by a redo: the undo marked undone, the change applied again."""
        with self.writing():
            row = self._turned_around(undo, "redo", run)
            self.db.execute("UPDATE file_changes SET undone = 1 WHERE id = ?", (undo.id,))
            self.db.execute("UPDATE file_changes SET undone = 0 WHERE id = ?", (original,))
        return run or row

    def _turned_around(self, change: FileChange, kind: str, run: int | None) -> int:
        """A row that reverts `change` (its after is the file's before); the first row of an
        undo or redo (`run` None) names itself as the run the rest join."""
        row = self._insert(
            change.cid, None, None, change.path, change.rel, change.after, change.before, kind,
            kept=True, reverts=change.id, run=run,
        )  # fmt: skip
        if run is None:
            self.db.execute("UPDATE file_changes SET run = id WHERE id = ?", (row,))
        return row

    def _insert(
        self,
        cid: int,
        question_id: int | None,
        message_id: int | None,
        path: str,
        rel: str,
        before: str | None,
        after: str | None,
        kind: str,
        *,
        kept: bool,
        reverts: int | None = None,
        run: int | None = None,
    ) -> int:
        cur = self.db.execute(
            "INSERT INTO file_changes (conversation_id, question_id, message_id, path, rel, before,"
            " after, kind, kept, reverts, run, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (cid, question_id, message_id, path, rel, before, after, kind, kept, reverts, run,
             time.time()),
        )  # fmt: skip
        return int(cur.lastrowid or 0)

    def newest_conversation(self, kind: str) -> int | None:
        """The conversation of the newest change of this kind still in place: 'tool' for
        `goshi undo`, 'undo' for `goshi redo`."""
        row = self.db.execute(
            "SELECT conversation_id FROM file_changes WHERE kind = ? AND undone = 0"
            " ORDER BY id DESC LIMIT 1",
            (kind,),
        ).fetchone()
        return None if row is None else int(row[0])

    def applied_changes(self, cid: int, last_answer_only: bool) -> list[FileChange]:
        """The conversation's changes still applied, newest first: all, or the last answer's."""
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM file_changes"
            " WHERE conversation_id = ? AND kind = 'tool' AND undone = 0 ORDER BY id DESC",
            (cid,),
        ).fetchall()
        changes = [_change(r) for r in rows]
        if last_answer_only and changes:
            last = changes[0].question_id
            changes = [c for c in changes if c.question_id == last]
        return changes

    def last_undo(self, cid: int) -> list[tuple[FileChange, int]]:
        """The last undo of the conversation not redone yet: (its row, the change it reverted),
        in the order the undo made them."""
        rows = self.db.execute(
            f"SELECT {_COLUMNS}, reverts FROM file_changes WHERE conversation_id = ?"
            " AND kind = 'undo' AND undone = 0 AND run = (SELECT max(run) FROM file_changes"
            " WHERE conversation_id = ? AND kind = 'undo' AND undone = 0) ORDER BY id",
            (cid, cid),
        ).fetchall()
        return [(_change(r[:-1]), int(r[-1])) for r in rows]

    def changes_of(self, message_id: int) -> list[FileChange]:
        """What one assistant message's tool calls changed, in order."""
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM file_changes WHERE message_id = ? AND kind = 'tool'"
            " ORDER BY id",
            (message_id,),
        ).fetchall()
        return [_change(r) for r in rows]


def _change(row: tuple[Any, ...]) -> FileChange:
    r = row
    return FileChange(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], bool(r[9]), bool(r[10]))
