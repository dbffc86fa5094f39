"""`goshi undo [--cid ID] [--all]`, `goshi redo [--cid ID]`, and the chat's /undo and /diff: the
file changes goshi applied (goshi/store/changes.py), shown and put back.

    undo  the conversation's changes still applied (the last answer's; --all: every one), newest
          first -> each file put back if it still holds what goshi wrote (goshi/agent/restore.py:
          a created file removed, an edited one restored), else left alone and named -> each
          revert recorded with the change it reverts
    redo  the last undo not yet redone, file by file the same way, in the order first applied
    diff  each file this conversation changed: from before goshi's first change to after its
          last (still applied), through the sanitiser

The conversation is --cid's, else the newest one with a change to undo (or an undo to redo).
Exit 0 when every file was put back; 1 (FilesKept) when some were left alone: the others still
were. Paths came from a model: they reach the terminal through goshi/sanitize.py.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from goshi.agent.restore import put_back
from goshi.errors import FilesKept, UsageError
from goshi.record import record
from goshi.sanitize import for_review, one_line
from goshi.store import FileChange, Store

if TYPE_CHECKING:
    import typer

CHANGED_SINCE = "changed since goshi wrote it"
TOO_LARGE = "too large to keep: goshi cannot put it back"
REDO_HINT = "`goshi redo` applies the last undo again"


@record
class Reverted:
    cid: int
    done: list[str]  # "restored a.py", "removed b.py"
    kept: list[tuple[str, str]]  # (path, why it was left alone)

    def lines(self) -> str:
        """What was done, for a terminal."""
        return "".join(f"{one_line(line)}\n" for line in self.done)

    def check(self, verb: str) -> None:
        """FilesKept (exit 1) naming each file left alone."""
        if self.kept:
            names = "; ".join(f"{one_line(rel)} ({why})" for rel, why in self.kept)
            raise FilesKept(
                f"conversation {self.cid}: left alone: {names}",
                f"goshi does not overwrite what it did not write; the other files were {verb}",
            )


def _conversation(store: Store, cid: int | None, found: int | None, nothing: UsageError) -> int:
    if cid is not None:
        store.conversation(cid)  # an unknown id is a usage error
        return cid
    if found is None:
        raise nothing
    return found


def undo(store: Store, cid: int | None = None, everything: bool = False) -> Reverted:
    """Put back the last answer's changes (every change with `everything`), newest first."""
    none = UsageError("nothing to undo: no change goshi applied is in place", REDO_HINT)
    cid = _conversation(store, cid, store.newest_conversation("tool"), none)
    changes = store.applied_changes(cid, last_answer_only=not everything)
    if not changes:
        raise UsageError(f"nothing to undo in conversation {cid}", REDO_HINT)
    out = Reverted(cid, [], [])
    run: int | None = None
    for change in changes:
        if not change.kept:
            out.kept.append((change.rel, TOO_LARGE))
        elif put_back(Path(change.path), change.after, change.before):
            run = store.record_undo(change, run)
            out.done.append(f"{'removed' if change.before is None else 'restored'} {change.rel}")
        else:
            out.kept.append((change.rel, CHANGED_SINCE))
    return out


def redo(store: Store, cid: int | None = None) -> Reverted:
    """Apply the last undo's changes again, in the order they were first applied."""
    none = UsageError("nothing to redo: there is no undo to apply again")
    cid = _conversation(store, cid, store.newest_conversation("undo"), none)
    undone = store.last_undo(cid)
    if not undone:
        raise UsageError(f"nothing to redo in conversation {cid}")
    out = Reverted(cid, [], [])
    run: int | None = None
    for row, original in reversed(undone):
        if put_back(Path(row.path), row.after, row.before):
            run = store.record_redo(row, original, run)
            out.done.append(f"{'created' if row.after is None else 'changed'} {row.rel} again")
        else:
            out.kept.append((row.rel, "changed since goshi put it back"))
    return out


def diff(store: Store, cid: int) -> str:
    """What the conversation changed and is still applied, file by file, for a terminal."""
    from goshi.agent.write import unified_diff

    by_path: dict[str, list[FileChange]] = {}
    for change in reversed(store.applied_changes(cid, last_answer_only=False)):
        by_path.setdefault(change.path, []).append(change)
    if not by_path:
        return f"conversation {cid} has changed no file (or its changes were undone)"
    out = []
    for changes in by_path.values():
        first, last = changes[0], changes[-1]
        if not all(c.kept for c in changes):
            out.append(f"{last.rel}: changed, {TOO_LARGE}, so not shown\n")
            continue
        before = first.before
        out.append(unified_diff(before or "", last.after or "", last.rel, before is not None))
    return for_review("".join(out).removesuffix("\n"))


def register(app: "typer.Typer") -> None:
    import typer

    from goshi.commands.options import MAX_ID, Verbose, finish

    CidOpt = Annotated[
        int | None,
        typer.Option("--cid", min=1, max=MAX_ID, help="This conversation (default: the last)."),
    ]

    @app.command("undo")
    def undo_command(
        cid: CidOpt = None,
        everything: Annotated[
            bool, typer.Option("--all", help="Every change of the conversation.")
        ] = False,
        verbose: Verbose = 0,
    ) -> None:
        """Put back the files goshi changed in the last answer (--all: the whole conversation)."""

        def run() -> int:
            done = undo(Store(), cid, everything)
            print(done.lines(), end="")
            done.check("put back")
            return 0

        raise typer.Exit(finish(run, verbose))

    @app.command("redo")
    def redo_command(cid: CidOpt = None, verbose: Verbose = 0) -> None:
        """Apply the changes the last `goshi undo` put back again."""

        def run() -> int:
            done = redo(Store(), cid)
            print(done.lines(), end="")
            done.check("changed again")
            return 0

        raise typer.Exit(finish(run, verbose))
