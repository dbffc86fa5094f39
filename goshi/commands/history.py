"""`goshi history` and the chat's /history: conversations as a list and a transcript, both for a
terminal: what models, servers and tools wrote passes the sanitiser. The transcript is written
message by message as the store yields them (memory flat in the conversation's length). Exports
(Markdown, JSON) are goshi/commands/export.py."""

import json
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

from goshi.agent.calls import NOT_SHOWN
from goshi.commands import export
from goshi.commands.export import when
from goshi.cost.meter import format_usd
from goshi.errors import UsageError
from goshi.sanitize import for_terminal, one_line
from goshi.store import Compaction, Store
from goshi.words import counted

if TYPE_CHECKING:
    import typer


def list_conversations(limit: int) -> int:
    store = Store()
    rows = store.conversations(limit)
    if not rows:
        sys.stdout.write("no conversations yet\n")
        return 0
    sys.stdout.write(
        f"{'ID':>5}  {'STARTED':<16}  {'MODEL':<22} {'TURNS':>5}  {'COST':>10}  FIRST QUESTION\n"
    )
    for c in rows:
        sys.stdout.write(
            f"{c.id:>5}  {when(c.created_at)}  {one_line(c.model[:22]):<22} {c.turns:>5}"
            f"  {format_usd(c.cost_pico):>10}  {one_line(c.first_line[:60])}\n"
        )
    return 0


def show(cid: int) -> int:
    export.write(transcript_pieces(Store(), cid), sys.stdout, terminal=True)
    return 0


def show_or_last(cid: int | None, last: bool) -> int:
    """`history show` without an id: the latest conversation; `--last`: only its last answer,
    exactly as the model wrote it into a pipe, through the sanitiser to a terminal."""
    store = Store()
    if cid is None:
        latest = store.last_conversation()
        if latest is None:
            raise UsageError("no conversations yet", 'ask something first: goshi ask "..."')
        cid = latest.id
    if not last:
        return show(cid)
    store.conversation(cid)  # raises for an unknown id
    answer = (store.last_exchange(cid) or ("", ""))[1]
    export.write([answer + "\n"], sys.stdout, terminal=sys.stdout.isatty())
    return 0


def transcript_text(store: Store, cid: int) -> str:
    """The conversation as a terminal shows it (sanitised)."""
    return for_terminal("".join(transcript_pieces(store, cid)))


def transcript_pieces(store: Store, cid: int) -> Iterator[str]:
    """The transcript, one piece per message, each ending at a line end (not sanitised)."""
    conv = store.conversation(cid)
    yield f"conversation {cid}, started {when(conv.created_at)}, model {conv.model}\n"
    if conv.system:
        yield f"system: {conv.system}\n"
    for m in export.with_compactions(store, cid):
        if isinstance(m, Compaction):
            yield _compaction_line(m)
            continue
        mark = "" if m.status == "ok" else f" [{m.status}]"
        if m.refusal:
            mark += " [refusal]"
        elif m.finish_reason in ("length", "content_filter"):
            mark += f" [cut: {m.finish_reason}]"
        if m.role == "tool":
            first = (m.content.splitlines() or [""])[0][:100]
            yield f"    <- {first}\n"
            continue
        who = m.role if m.role != "assistant" else f"assistant ({m.backend} {m.model})"
        out = [f"\n--- {who}{mark} {when(m.created_at)}\n"]
        if m.attached:
            out.append(f"attached: {', '.join(m.attached)}\n")
        if m.content:
            out.append(f"{m.content}\n")
        if m.role == "assistant":  # the tool-call audit names the answer that asked
            proposed = [raw for _, _, raw in m.tool_calls]
            for i, (tool, arguments, status, summary, ms) in enumerate(store.tool_calls_of(m.id)):
                out.append(f"  -> {tool} {arguments}  {status}: {summary}  {ms:.0f} ms\n")
                if summary == NOT_SHOWN and i < len(proposed):  # refused unseen: here it is whole
                    out.append(_proposal(proposed[i]))
            out.append(_files_changed(store, m.id))
        yield "".join(out)


def _proposal(raw: str) -> str:
    """A call's arguments as the model sent them, one per line; text with lines, indented."""
    try:
        args = json.loads(raw or "{}")
    except (ValueError, RecursionError):
        args = None
    if not isinstance(args, dict):
        return f"     {raw}\n"
    out = []
    for key, value in args.items():
        if isinstance(value, str) and "\n" in value:
            body = "".join(f"       {line}\n" for line in value.split("\n"))
            out.append(f"     {key}:\n{body}")
        else:
            out.append(f"     {key}: {value if isinstance(value, str) else json.dumps(value)}\n")
    return "".join(out)


def _files_changed(store: Store, message_id: int) -> str:
    """The files an answer's tool calls changed (goshi/store/changes.py), and what is undone."""
    said = []
    for c in store.changes_of(message_id):
        how = "created" if c.before is None else "edited"
        how += "" if c.kept else ", too large to undo"
        said.append(f"{c.rel} ({how}{', undone' if c.undone else ''})")
    return f"  files changed: {', '.join(said)}\n" if said else ""


def _compaction_line(c: Compaction) -> str:
    """Where the sent view was compacted: every turn above is still here, and goshi sends the
    model a summary of them (or leaves them out)."""
    how = (
        f"folded into a summary ({c.tokens} tokens, {format_usd(c.cost_pico)})"
        if c.summary
        else "left out"
    )
    at = when(c.at)
    gone = counted(c.turns, "turn")
    return f"\n=== {at} context compacted: the {gone} above are {how} for the model\n"


def remove(cid: int) -> int:
    Store().delete_conversation(cid)
    sys.stdout.write(f"removed conversation {cid}\n")
    return 0


def register(app: "typer.Typer") -> None:
    import typer

    from goshi.commands import completion, search
    from goshi.commands.options import MAX_ID, CidArg, Verbose, finish

    history_app = typer.Typer(
        help="List, show, search, remove or export conversations.", invoke_without_command=True
    )
    app.add_typer(history_app, name="history")
    LimitOpt = Annotated[
        int, typer.Option("-n", "--limit", min=1, max=1_000_000, help="How many to list.")
    ]

    @history_app.callback()
    def history(ctx: typer.Context, limit: LimitOpt = 20, verbose: Verbose = 0) -> None:
        """List conversations (the newest first); show, search, rm or export them."""
        if ctx.invoked_subcommand is None:
            raise typer.Exit(finish(lambda: list_conversations(limit), verbose))

    @history_app.command("list")
    def history_list(limit: LimitOpt = 20, verbose: Verbose = 0) -> None:
        """The newest conversations: id, time, model, turns, cost, first line."""
        raise typer.Exit(finish(lambda: list_conversations(limit), verbose))

    @history_app.command("show")
    def history_show(
        cid: Annotated[
            int | None,
            typer.Argument(
                min=1,
                max=MAX_ID,
                help="Conversation id (default: the latest).",
                autocompletion=completion.conversations,
                show_default=False,
            ),
        ] = None,
        last: Annotated[bool, typer.Option("--last", help="Only the last answer.")] = False,
        verbose: Verbose = 0,
    ) -> None:
        """The whole transcript of a conversation (the latest when no id is given)."""
        raise typer.Exit(finish(lambda: show_or_last(cid, last), verbose))

    @history_app.command("rm")
    def history_rm(cid: CidArg, verbose: Verbose = 0) -> None:
        """Delete a conversation (its spend stays in the ledger)."""
        raise typer.Exit(finish(lambda: remove(cid), verbose))

    @history_app.command("export")
    def history_export(
        cid: CidArg,
        fmt: Annotated[
            str,
            typer.Option("--format", help="md or json.", autocompletion=completion.formats),
        ] = "md",
        verbose: Verbose = 0,
    ) -> None:
        """Print a conversation as Markdown or JSON."""
        raise typer.Exit(finish(lambda: export.export(cid, fmt), verbose))

    @history_app.command("search")
    def history_search(
        text: Annotated[list[str], typer.Argument(help="Words to find (all of them).")],
        limit: Annotated[int, typer.Option("-n", "--limit", help="How many conversations.")] = 10,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        verbose: Verbose = 0,
    ) -> None:
        """Find conversations by what was asked or answered, best match first."""
        raise typer.Exit(finish(lambda: search.command(" ".join(text), limit, as_json), verbose))
