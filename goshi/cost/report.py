"""`goshi cost` and `goshi prices`: what was spent, and what things cost."""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from goshi import config
from goshi.cost import prices
from goshi.cost.meter import format_usd, usd
from goshi.errors import UsageError
from goshi.sanitize import for_terminal, one_line
from goshi.store import Store


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


def show_prices(config_file: str | None) -> int:
    settings = config.load(config_file)
    table = prices.load_table()
    out = sys.stdout
    said = f"prices as of {table.as_of} ({table.path})\nsource: {table.source}"  # a file or URL's
    out.write(for_terminal(said) + "\n")
    if table.rules_source:
        out.write(f"rules: {table.rules_source}\n")
    out.write(
        "USD per 1M tokens: input / cached input / output, the context window in tokens,"
        " then the rules that apply\n\n"
    )
    rows: dict[str, tuple[prices.Pricing, str]] = {n: (p, "") for n, p in table.models.items()}
    for name in settings.cost.prices:
        pricing = prices.resolve(name, "openai", table, settings.cost.prices)
        assert pricing is not None
        rows[name] = (pricing, "goshi.yaml")
    shared = table.service_tiers
    for name, (p, origin) in sorted(rows.items()):
        b = p.base
        cached_s = "-" if b.cached_input is None else f"{b.cached_input:g}"
        rules = _rules(p, shared)
        window = f"{table.windows[p.name]:,}" if p.name in table.windows else "-"
        line = (
            f"  {name:<22} {b.input:>8g} {cached_s:>8} {b.output:>8g} {window:>10}  {rules}{origin}"
        )
        out.write(one_line(line.rstrip()) + "\n")
    out.write("\n")
    if shared:
        tiers = ", ".join(f"{n} {_tier(t)}" for n, t in sorted(shared.items()))
        out.write(f"service tiers (every model, by the tier the response names): {tiers}\n")
    if table.regional_hosts:
        hosts = ", ".join(f"{h} ({r})" for h, r in sorted(table.regional_hosts.items()))
        out.write(f"regional hosts (+uplift where a model has one): {hosts}\n")
    if settings.context.windows:
        out.write("context windows from goshi.yaml (context.windows):\n")
        for name, tokens in sorted(settings.context.windows.items()):
            out.write(one_line(f"  {name:<22} {tokens:>10,}") + "\n")
    out.write("ollama: $0. Snapshots like gpt-4o-mini-2024-07-18 use gpt-4o-mini's price.\n")
    return 0


def _tier(t: prices.Tier) -> str:
    if t.multiplier is not None:
        return f"{float(t.multiplier):g}x"
    assert t.rates is not None
    return f"{float(t.rates.input):g}/{float(t.rates.output):g}"


def _rules(p: prices.Pricing, shared: dict[str, prices.Tier]) -> str:
    rules = []
    if (lc := p.long_context) is not None:
        rules.append(
            f">{lc.threshold:,} in: {float(lc.input_multiplier):g}x in "
            f"{float(lc.output_multiplier):g}x out"
        )
    rules += [f"{n} {_tier(t)}" for n, t in sorted(p.tiers.items()) if shared.get(n) != t]
    if p.regional_uplift:
        rules.append(f"regional +{float(p.regional_uplift * 100):g}%")
    return " · ".join(rules) + ("  " if rules else "")


def update_prices(source: str) -> int:
    table = prices.update(source)
    sys.stdout.write(
        f"installed {len(table.models)} prices as of {table.as_of} into {table.path}\n"
    )
    return 0
