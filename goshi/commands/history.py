"""`goshi history` and the chat's /history and /save: conversations as a list, a transcript,
Markdown or JSON. The list and the transcript are for a terminal: what models, servers and tools
wrote passes the sanitiser. Exports (Markdown, JSON) keep every byte."""

import json
import sys
import time
from typing import TYPE_CHECKING, Annotated, Any

from goshi.agent.calls import NOT_SHOWN
from goshi.cost.meter import format_usd, usd
from goshi.errors import UsageError
from goshi.sanitize import for_terminal, one_line
from goshi.store import Compaction, Store

if TYPE_CHECKING:
    import typer


def _when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at))


def list_conversations(limit: int) -> int:
    store = Store()
    rows = store.conversations(limit)
    if not rows:
        sys.stdout.write("no conversations yet\n")
        return 0
    for c in rows:
        sys.stdout.write(
            f"{c.id:>5}  {_when(c.created_at)}  {one_line(c.model[:22]):<22} {c.turns:>3} turns"
            f"  {format_usd(c.cost_pico):>10}  {one_line(c.first_line[:60])}\n"
        )
    return 0


def show(cid: int) -> int:
    sys.stdout.write(transcript_text(Store(), cid))
    return 0


def transcript_text(store: Store, cid: int) -> str:
    """The conversation as a terminal shows it (sanitised)."""
    return for_terminal(_transcript(store, cid))


def _transcript(store: Store, cid: int) -> str:
    conv = store.conversation(cid)
    out = [f"conversation {cid}, started {_when(conv.created_at)}, model {conv.model}\n"]
    if conv.system:
        out.append(f"system: {conv.system}\n")
    marks = store.compactions(cid)
    above = 0  # a compaction's mark follows the message it folded up to
    for m in store.transcript(cid):
        while marks and marks[0].upto_message_id == above:
            out.append(_compaction_line(marks.pop(0)))
        above = m.id
        mark = "" if m.status == "ok" else f" [{m.status}]"
        if m.refusal:
            mark += " [refusal]"
        elif m.finish_reason in ("length", "content_filter"):
            mark += f" [cut: {m.finish_reason}]"
        if m.role == "tool":
            first = (m.content.splitlines() or [""])[0][:100]
            out.append(f"    <- {first}\n")
            continue
        who = m.role if m.role != "assistant" else f"assistant ({m.backend} {m.model})"
        out.append(f"\n--- {who}{mark} {_when(m.created_at)}\n")
        if m.content:
            out.append(f"{m.content}\n")
        proposed = [raw for _, _, raw in m.tool_calls]
        for i, (tool, arguments, status, summary, ms) in enumerate(store.tool_calls_of(m.id)):
            out.append(f"  -> {tool} {arguments}  {status}: {summary}  {ms:.0f} ms\n")
            if summary == NOT_SHOWN and i < len(proposed):  # refused unseen: here it is whole
                out.append(_proposal(proposed[i]))
    out.extend(_compaction_line(c) for c in marks)
    return "".join(out)


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


def _compaction_line(c: Compaction) -> str:
    """Where the sent view was compacted: every turn above is still here, and goshi sends the
    model a summary of them (or leaves them out)."""
    how = (
        f"folded into a summary ({c.tokens} tokens, {format_usd(c.cost_pico)})"
        if c.summary
        else "left out"
    )
    when = _when(c.at)
    return f"\n=== {when} context compacted: the {c.turns} turns above are {how} for the model\n"


def remove(cid: int) -> int:
    Store().delete_conversation(cid)
    sys.stdout.write(f"removed conversation {cid}\n")
    return 0


def export(cid: int, fmt: str) -> int:
    if fmt not in ("md", "json"):
        raise UsageError(f"--format: expected md or json, got {fmt!r}")
    store = Store()
    sys.stdout.write(to_markdown(store, cid) if fmt == "md" else to_json(store, cid))
    return 0


def to_markdown(store: Store, cid: int) -> str:
    conv = store.conversation(cid)
    out = [f"# goshi conversation {cid}\n\n*{_when(conv.created_at)} · {conv.model}*\n"]
    if conv.system:
        out.append(f"\n> **system:** {conv.system}\n")
    marks = store.compactions(cid)
    above = 0  # a compaction's mark follows the message it folded up to
    for m in store.transcript(cid):
        while marks and marks[0].upto_message_id == above:
            out.append(_compaction_note(marks.pop(0)))
        above = m.id
        if m.status in ("failed", "superseded"):
            continue
        title = {"user": "You", "assistant": "goshi", "tool": "Tool result"}.get(m.role, m.role)
        note = " *(interrupted)*" if m.status == "interrupted" else ""
        out.append(f"\n## {title}{note}\n\n{m.content}\n")
    out.extend(_compaction_note(c) for c in marks)
    return "".join(out)


def _compaction_note(c: Compaction) -> str:
    """Markdown: where the model's view was compacted, and the summary it was sent instead."""
    if not c.summary:
        return f"\n> *Context compacted: the {c.turns} turns above were left out for the model.*\n"
    quoted = "\n".join(f"> {line}" if line else ">" for line in c.summary.splitlines())
    return (
        f"\n> *Context compacted: the {c.turns} turns above were folded into this summary "
        f"for the model ({c.tokens} tokens, {format_usd(c.cost_pico)}):*\n>\n{quoted}\n"
    )


def to_json(store: Store, cid: int) -> str:
    conv = store.conversation(cid)
    data: dict[str, Any] = {
        "id": cid,
        "created_at": conv.created_at,
        "model": conv.model,
        "system": conv.system,
        "cost_usd": usd(store.spent(cid=cid)),
        "compactions": [
            {
                "at": c.at,
                "after_message_id": c.upto_message_id,
                "strategy": c.strategy,
                "turns": c.turns,
                "summary": c.summary,
                "summary_tokens": c.tokens,
                "cost_usd": None if c.cost_pico is None else usd(c.cost_pico),
            }
            for c in store.compactions(cid)
        ],
        "messages": [
            {
                "id": m.id,
                "role": m.role,
                "content": m.content,
                "status": m.status,
                "finish_reason": m.finish_reason,
                "refusal": m.refusal,
                "reasoning": m.reasoning or None,
                "created_at": m.created_at,
                "backend": m.backend,
                "model": m.model,
                "usage": {
                    "prompt_tokens": m.prompt_tokens,
                    "completion_tokens": m.completion_tokens,
                },
                "tool_calls": [{"id": i, "name": n, "arguments": a} for i, n, a in m.tool_calls],
            }
            for m in store.transcript(cid)
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def register(app: "typer.Typer") -> None:
    import typer

    from goshi.commands import completion, search
    from goshi.commands.options import CidArg, Verbose, finish

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
    def history_show(cid: CidArg, verbose: Verbose = 0) -> None:
        """The whole transcript of one conversation."""
        raise typer.Exit(finish(lambda: show(cid), verbose))

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
        raise typer.Exit(finish(lambda: export(cid, fmt), verbose))

    @history_app.command("search")
    def history_search(
        text: Annotated[list[str], typer.Argument(help="Words to find (all of them).")],
        limit: Annotated[int, typer.Option("-n", "--limit", help="How many conversations.")] = 10,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        verbose: Verbose = 0,
    ) -> None:
        """Find conversations by what was asked or answered, best match first."""
        raise typer.Exit(finish(lambda: search.command(" ".join(text), limit, as_json), verbose))
