"""`goshi cost`: what was spent, by day, model and backend (from the ledger)."""

import json
import sys
import time
from collections import defaultdict
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

from goshi.cost.meter import format_usd, usd
from goshi.errors import UsageError
from goshi.sanitize import one_line
from goshi.store import Store

if TYPE_CHECKING:
    import typer


def _month_start() -> float:
    return time.mktime(date.today().replace(day=1).timetuple())


def _since(text: str | None) -> float:
    if text is None:
        return _month_start()
    try:
        return time.mktime(datetime.fromisoformat(text).timetuple())
    except ValueError:
        raise UsageError(f"--since: expected a date YYYY-MM-DD, got {text!r}") from None


def spend(since_text: str | None, as_json: bool) -> int:
    store = Store()
    since = _since(since_text)
    rows = store.spend_rows(min(since, _month_start()))
    today_s = date.today().isoformat()
    month_s = today_s[:7]
    totals: dict[str, Any] = {"total": 0, "answers": 0, "unpriced": 0, "estimated": 0, "open": 0}
    by_model: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_backend: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_day: dict[str, int] = defaultdict(int)
    by_conversation: dict[int, int] = defaultdict(int)
    estimated_conversations: dict[int, int] = {}  # estimated answers of each conversation
    today = this_month = 0
    today_est = month_est = False
    since_day = date.fromtimestamp(since).isoformat()
    by_rule: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        day, backend, model, prompt, completion, cost, cid, tier, long, region = row[:10]
        estimated, still_open = row[10:]
        pico = cost or 0
        if day == today_s:
            today += pico
            today_est = today_est or bool(estimated)
        if day[:7] == month_s:
            this_month += pico
            month_est = month_est or bool(estimated)
        if day < since_day:
            continue
        totals["total"] += pico
        totals["answers"] += 1
        totals["unpriced"] += cost is None
        totals["estimated"] += estimated
        totals["open"] += still_open
        for group in (by_model[model], by_backend[backend]):
            group["pico"] += pico
            group["answers"] += 1
            group["prompt_tokens"] += prompt
            group["completion_tokens"] += completion
            group["estimated"] += estimated
        by_day[day] += pico
        for rule, name in (
            ("service_tier", tier or "standard"),
            ("long_context", "yes" if long else "no"),
            ("region", region or "none"),
        ):
            by_rule[rule][name] += pico
        if cid:
            by_conversation[cid] += pico
            estimated_conversations[cid] = estimated_conversations.get(cid, 0) + estimated
    top = sorted(by_conversation.items(), key=lambda kv: -kv[1])[:5]
    if as_json:
        report = {
            "since": since_day,
            "total_usd": usd(totals["total"]),
            "today_usd": usd(today),
            "month_usd": usd(this_month),
            "answers": totals["answers"],
            "unpriced_answers": totals["unpriced"],
            "estimated_answers": totals["estimated"],
            "open_answers": totals["open"],
            "by_model": {m: _group(g) for m, g in by_model.items()},
            "by_backend": {b: _group(g) for b, g in by_backend.items()},
            "by_day": {d: usd(p) for d, p in sorted(by_day.items())},
            "by_rule": {
                rule: {name: usd(p) for name, p in sorted(names.items())}
                for rule, names in sorted(by_rule.items())
            },
            "top_conversations": [
                {
                    "id": cid,
                    "usd": usd(p),
                    "estimated_answers": estimated_conversations.get(cid, 0),
                    "first_line": store.first_line(cid),
                }
                for cid, p in top
            ],
        }
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
        return 0
    out = sys.stdout
    out.write(f"today       {_amount(today, today_est)}\n")
    out.write(f"this month  {_amount(this_month, month_est)}\n")
    total = _amount(totals["total"], totals["estimated"])
    out.write(f"since {since_day}: {total} in {totals['answers']} answers")
    out.write(f" ({totals['unpriced']} without a price)\n" if totals["unpriced"] else "\n")
    for title, groups in (("by model", by_model), ("by backend", by_backend)):
        if groups:
            out.write(f"\n{title}:\n")
        for name, g in sorted(groups.items(), key=lambda kv: -kv[1]["pico"]):
            out.write(
                f"  {one_line(name):<28} {_amount(g['pico'], g['estimated']):>12}"
                f"  {g['answers']:>5} answers"
                f"  {g['prompt_tokens']:>9,} in {g['completion_tokens']:>9,} out\n"
            )
    special = {
        f"{rule} {name}": p
        for rule, names in by_rule.items()
        for name, p in names.items()
        if name not in ("standard", "no", "none")
    }
    if special:
        out.write("\nby price rule:\n")
        for name, pico in sorted(special.items()):
            out.write(f"  {one_line(name):<28} {format_usd(pico):>12}\n")
    if top:
        out.write("\ncostliest conversations:\n")
        for cid, pico in top:
            first = one_line(store.first_line(cid)[:60])
            amount = _amount(pico, estimated_conversations.get(cid, 0))
            out.write(f"  #{cid:<6} {amount:>12}  {first}\n")
    if totals["estimated"]:
        out.write(
            f"\n~ includes estimates: {totals['estimated']} answers without a usage report"
            f" from the server, {totals['open']} of them from a goshi that ended before its"
            " answer did (counted at the pre-request estimate: the prompt plus the output cap)\n"
        )
    return 0


def _amount(pico: int, estimated: int | bool) -> str:
    """A sum of money, `~` in front when an estimate is part of it."""
    return ("~" if estimated else "") + format_usd(pico)


def _group(g: dict[str, int]) -> dict[str, Any]:
    return {
        "usd": usd(g["pico"]),
        "answers": g["answers"],
        "prompt_tokens": g["prompt_tokens"],
        "completion_tokens": g["completion_tokens"],
        "estimated_answers": g["estimated"],
    }


def register(app: "typer.Typer") -> None:
    import typer

    from goshi.commands.options import Verbose, finish

    @app.command()
    def cost(
        since: Annotated[
            str | None,
            typer.Option("--since", help="From this date (YYYY-MM-DD); default: this month."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        verbose: Verbose = 0,
    ) -> None:
        """What answers cost: today, this month, by model and backend."""
        raise typer.Exit(finish(lambda: spend(since, as_json), verbose))
