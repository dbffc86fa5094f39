"""`goshi prices [update --from SOURCE]`: the dated price table, its rules, and your overrides."""

import sys
from typing import TYPE_CHECKING, Annotated

from goshi import config
from goshi.cost import prices
from goshi.sanitize import for_terminal, one_line

if TYPE_CHECKING:
    import typer


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
    if p.base.cache_write is not None:
        rules.append(f"cache writes {float(p.base.cache_write):g}")
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


def register(app: "typer.Typer") -> None:
    import typer

    from goshi.commands.options import ConfigOpt, Verbose, finish

    prices_app = typer.Typer(
        help="List the price table, or update it.", invoke_without_command=True
    )
    app.add_typer(prices_app, name="prices")

    @prices_app.callback()
    def prices(ctx: typer.Context, config_file: ConfigOpt = None, verbose: Verbose = 0) -> None:
        """List the price table with its date (and your cost.prices overrides)."""
        if ctx.invoked_subcommand is None:
            raise typer.Exit(finish(lambda: show_prices(config_file), verbose))

    @prices_app.command("update")
    def prices_update(
        source: Annotated[str, typer.Option("--from", help="A JSON price table: a file or a URL.")],
        verbose: Verbose = 0,
    ) -> None:
        """Validate a new price table and install it; the old one stays if it is invalid."""
        raise typer.Exit(finish(lambda: update_prices(source), verbose))
