"""`goshi cost`: what was spent, by day, model and backend (from the ledger).

--since (default: this month's start) -> the local days from the earlier of it and the
month's start -> three sums in SQL (goshi/store/ledger.py): by day (today, this month,
by_day), by kind (totals, models, backends, price rules), the costliest conversations
"""

import json
import math
import sys
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from goshi.cost.meter import format_usd, usd
from goshi.errors import UsageError
from goshi.sanitize import one_line
from goshi.store import Store
from goshi.words import counted

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


def day_bounds(first: float) -> list[float]:
    """Where each local day starts, from `first` (the first day starts there) to today's end
    (which is open: a row from a clock ahead still counts today), in the user's time zone."""
    bounds = [first]
    day = date.fromtimestamp(first) + timedelta(days=1)
    today = date.today()
    while day <= today:
        bounds.append(time.mktime(day.timetuple()))  # DST-aware: mktime asks the time zone
        day += timedelta(days=1)
    bounds.append(math.inf)
    return bounds


def spend(since_text: str | None, as_json: bool) -> int:
    store = Store()
    since = _since(since_text)
    month_start = _month_start()
    since_day = date.fromtimestamp(since).isoformat()
    # a --since after the month's start counts from its day's start (as by_day shows it)
    start = since if since < month_start else time.mktime(date.fromtimestamp(since).timetuple())
    bounds = day_bounds(min(since, month_start))
    first_day = date.fromtimestamp(bounds[0])
    today_s = date.today().isoformat()
    month_s = today_s[:7]
    today = this_month = 0
    today_est = month_est = False
    by_day: dict[str, int] = {}
    for d in store.spend_by_day(bounds):
        day = (first_day + timedelta(days=d.day)).isoformat()
        if day == today_s:
            today, today_est = d.pico, d.estimated
        if day[:7] == month_s:
            this_month += d.pico
            month_est = month_est or d.estimated
        if day >= since_day:
            by_day[day] = d.pico
    kinds = store.spend_by_kind(start)
    totals = {
        "total": sum(k.pico for k in kinds),
        "answers": sum(k.answers for k in kinds),
        "unpriced": sum(k.unpriced for k in kinds),
        "estimated": sum(k.estimated for k in kinds),
        "open": sum(k.open for k in kinds),
    }
    by_model: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_backend: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_rule: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for k in kinds:
        for group in (by_model[k.model], by_backend[k.backend]):
            group["pico"] += k.pico
            group["answers"] += k.answers
            group["prompt_tokens"] += k.prompt_tokens
            group["completion_tokens"] += k.completion_tokens
            group["estimated"] += k.estimated
        for rule, name in (
            ("service_tier", k.service_tier or "standard"),
            ("long_context", "yes" if k.long_context else "no"),
            ("region", k.region or "none"),
        ):
            by_rule[rule][name] += k.pico
    top = store.costliest_conversations(start, 5)
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
            "by_day": {d: usd(p) for d, p in by_day.items()},
            "by_rule": {
                rule: {name: usd(p) for name, p in sorted(names.items())}
                for rule, names in sorted(by_rule.items())
            },
            "top_conversations": [
                {
                    "id": c.conversation_id,
                    "usd": usd(c.pico),
                    "estimated_answers": c.estimated,
                    "first_line": store.first_line(c.conversation_id),
                }
                for c in top
            ],
        }
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
        return 0
    out = sys.stdout
    out.write(f"today       {_amount(today, today_est)}\n")
    out.write(f"this month  {_amount(this_month, month_est)}\n")
    total = _amount(totals["total"], totals["estimated"])
    out.write(f"since {since_day}: {total} in {counted(totals['answers'], 'answer')}")
    out.write(f" ({totals['unpriced']} without a price)\n" if totals["unpriced"] else "\n")
    for title, groups in (("by model", by_model), ("by backend", by_backend)):
        if groups:
            out.write(f"\n{title}:\n")
        for name, g in sorted(groups.items(), key=lambda kv: -kv[1]["pico"]):
            out.write(
                f"  {one_line(name):<28} {_amount(g['pico'], g['estimated']):>12}"
                f"  {counted(g['answers'], 'answer', digits='>5')}"
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
        for c in top:
            first = one_line(store.first_line(c.conversation_id)[:60])
            amount = _amount(c.pico, c.estimated)
            out.write(f"  #{c.conversation_id:<6} {amount:>12}  {first}\n")
    if totals["estimated"]:
        out.write(
            f"\n~ includes estimates: {counted(totals['estimated'], 'answer')} without a usage"
            f" report from the server, {totals['open']} of them from a goshi that ended before its"
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
