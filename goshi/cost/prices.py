"""The price table: a dated JSON file shipped in the package, replaced by `goshi prices update`
(the new table lives in the XDG data dir), and overridden per model by `cost.prices`.

A model's price is a set of rules (`Pricing`), applied in this order to the standard rates:
    service tier    the tier the response names (table-wide `service_tiers`, or the model's own):
                    a multiplier of the standard rates, or rates of its own
    long context    more prompt tokens than `long_context.threshold`: the whole request at
                    `input_multiplier` / `output_multiplier`
    region          a data-residency host listed in `regional_hosts`: + `regional_uplift`
`Pricing.rate(prompt_tokens, tier, region)` gives the per-token `Rate` with the rules it applied.

A model's entry, first match wins:
    1. cost.prices[model]          2. table[model]
    3. both again with a date suffix removed: -YYYY-MM-DD or -MMDD
       (gpt-4o-mini-2024-07-18 -> gpt-4o-mini, gpt-4-0613 -> gpt-4)
Ollama costs $0. Nothing else is guessed: an unknown model has no price.
Prices are kept as integer pico-dollars (10^-12 USD) per token, so every sum is exact.
An entry may also give the model's context window in tokens (`context`; goshi/context/window.py).
"""

from __future__ import annotations

import os
import re
from dataclasses import field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from goshi import json_bounds, paths
from goshi.config import Price
from goshi.errors import ConfigError
from goshi.record import record

PICO_PER_TOKEN_PER_USD_PER_MTOK = 1_000_000  # 1 USD / 1M tokens = 10^6 pico-USD per token
_DATE_SUFFIX = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4})$")
FREE_BACKENDS = ("ollama",)
SHIPPED = Path(__file__).resolve().parent.parent / "data" / "prices.json"


@record(frozen=True, slots=True)
class Applied:
    """Which of a model's rules priced a request: the ledger keeps it beside the cost."""

    tier: str | None = None  # the service tier the response named; None: standard
    long_context: bool = False
    region: str | None = None


STANDARD = Applied()


@record(frozen=True, slots=True)
class Rate:
    """Pico-dollars per token."""

    input: int
    cached_input: int
    output: int
    name: str  # the table or override entry that matched
    source: str  # "table" | "goshi.yaml" | "local"
    applied: Applied = STANDARD
    cache_write: int | None = None  # None: the input rate (a cache write is never free)

    def written(self) -> int:
        return self.input if self.cache_write is None else self.cache_write


@record(frozen=True, slots=True)
class Rates:
    """USD per 1M tokens, exact; cached_input or cache_write None means: billed as input."""

    input: Decimal
    cached_input: Decimal | None
    output: Decimal
    cache_write: Decimal | None = None


@record(frozen=True, slots=True)
class LongContext:
    """The long-context rule: past `threshold` prompt tokens, everything costs more."""

    threshold: int  # more prompt tokens than this: the whole request at the multiples
    input_multiplier: Decimal
    output_multiplier: Decimal


@record(frozen=True, slots=True)
class Tier:
    """A service tier's price: a multiple of the standard rates, or rates of its own."""

    multiplier: Decimal | None = None  # of the standard rates
    rates: Rates | None = None  # or rates of its own


@record(frozen=True, slots=True)
class Pricing:
    """A model's price rules; `rate` picks the rule a request proves."""

    name: str
    source: str
    base: Rates
    long_context: LongContext | None = None
    tiers: dict[str, Tier] = field(default_factory=dict)
    regional_uplift: Decimal | None = None

    def rate(
        self, prompt_tokens: int = 0, tier: str | None = None, region: str | None = None
    ) -> Rate:
        r = self.base
        long = self.long_context is not None and prompt_tokens > self.long_context.threshold
        rule = self.tiers.get(tier or "")
        named = tier if tier and tier not in STANDARD_TIERS else None
        if rule is not None and rule.rates is not None:
            r = rule.rates
        elif rule is not None and rule.multiplier is not None:
            r = _scaled(r, rule.multiplier, rule.multiplier)
        if long and self.long_context is not None:
            r = _scaled(r, self.long_context.input_multiplier, self.long_context.output_multiplier)
        uplift = self.regional_uplift if region else None
        if uplift:
            r = _scaled(r, 1 + uplift, 1 + uplift)
        applied = Applied(named, long, region if uplift else None)
        return Rate(
            _pico(r.input),
            _pico(r.input if r.cached_input is None else r.cached_input),
            _pico(r.output),
            self.name,
            self.source,
            applied,
            None if r.cache_write is None else _pico(r.cache_write),
        )


# What servers call the standard rate; any other tier a response names is recorded as named.
STANDARD_TIERS = ("default", "standard", "auto")


def _scaled(r: Rates, inp: Decimal, out: Decimal) -> Rates:
    cached = None if r.cached_input is None else r.cached_input * inp
    written = None if r.cache_write is None else r.cache_write * inp
    return Rates(r.input * inp, cached, r.output * out, written)


@record(frozen=True, slots=True)
class Table:
    """The price table in use and where it came from."""

    as_of: str
    source: str
    models: dict[str, Pricing]
    path: str
    regional_hosts: dict[str, str] = field(default_factory=dict)  # API host -> region
    service_tiers: dict[str, Tier] = field(default_factory=dict)  # shared by every model
    rules_source: str = ""
    windows: dict[str, int] = field(default_factory=dict)  # model -> context window, tokens


def user_table_file() -> Path:
    return paths.data_dir() / "prices.json"


def load_table() -> Table:
    """The updated table in the data dir when there is one, else the shipped one."""
    user = user_table_file()
    if user.is_file():
        try:
            return parse_table(user.read_text(encoding="utf-8"), str(user))
        except (OSError, ValueError):
            pass  # a damaged update never stops an answer: fall back to the shipped table
    return parse_table(SHIPPED.read_text(encoding="utf-8"), "built-in")


def parse_table(text: str, path: str) -> Table:
    """Validate a price table (the flat shape of 2026-06 and the one with rules); ValueError
    says what is wrong."""
    try:
        data = json_bounds.loads(text)
    except ValueError as exc:
        raise ValueError(f"not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    as_of = data.get("as_of")
    try:
        date.fromisoformat(str(as_of))
    except ValueError:
        raise ValueError(f"as_of: expected a date YYYY-MM-DD, got {as_of!r}") from None
    models = data.get("models")
    if not isinstance(models, dict) or not models:
        raise ValueError("models: expected a non-empty object of model -> prices")
    shared_tiers = _tiers(data.get("service_tiers"), "service_tiers")
    hosts = _object(data.get("regional_hosts"), "regional_hosts")
    table: dict[str, Pricing] = {}
    windows: dict[str, int] = {}
    for name, entry in models.items():
        where = f"models.{name}"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: expected an object")
        if (window := entry.get("context")) is not None:
            if isinstance(window, bool) or not isinstance(window, int) or window < 1:
                raise ValueError(f"{where}.context: expected tokens, got {window!r}")
            windows[str(name)] = window
        tiers = {**shared_tiers, **_tiers(entry.get("service_tiers"), f"{where}.service_tiers")}
        uplift = entry.get("regional_uplift")
        table[str(name)] = Pricing(
            str(name),
            "table",
            _rates(entry, where),
            _long_context(entry.get("long_context"), f"{where}.long_context"),
            tiers,
            None if uplift is None else _amount(uplift, f"{where}.regional_uplift"),
        )
    return Table(
        str(as_of),
        str(data.get("source") or ""),
        table,
        path,
        {str(h).lower(): str(r) for h, r in hosts.items()},
        shared_tiers,
        str(data.get("rules_source") or ""),
        windows,
    )


def _object(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object")
    return value


def _rates(entry: dict[str, Any], where: str) -> Rates:
    cached, written = entry.get("cached_input"), entry.get("cache_write")
    return Rates(
        _amount(entry.get("input"), f"{where}.input"),
        None if cached is None else _amount(cached, f"{where}.cached_input"),
        _amount(entry.get("output"), f"{where}.output"),
        None if written is None else _amount(written, f"{where}.cache_write"),
    )


def _tiers(value: Any, where: str) -> dict[str, Tier]:
    tiers: dict[str, Tier] = {}
    for name, spec in _object(value, where).items():
        sub = f"{where}.{name}"
        spec = _object(spec, sub)
        if "multiplier" in spec:
            tiers[str(name)] = Tier(multiplier=_amount(spec["multiplier"], f"{sub}.multiplier"))
        else:
            tiers[str(name)] = Tier(rates=_rates(spec, sub))
    return tiers


def _long_context(value: Any, where: str) -> LongContext | None:
    if value is None:
        return None
    spec = _object(value, where)
    threshold = spec.get("threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise ValueError(f"{where}.threshold: expected a whole number of tokens, got {threshold!r}")
    return LongContext(
        threshold,
        _amount(spec.get("input_multiplier", 1), f"{where}.input_multiplier"),
        _amount(spec.get("output_multiplier", 1), f"{where}.output_multiplier"),
    )


def _amount(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{where}: expected a number, got {value!r}")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{where}: expected a number, got {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{where}: expected a number >= 0, got {value!r}")
    if amount > MAX_AMOUNT:  # no real price or multiplier is near it; a typo or a hostile table
        raise ValueError(
            f"{where}: {value!r} is past {MAX_AMOUNT:,} (USD per 1M tokens or a factor)"
        )
    return amount


MAX_AMOUNT = 100_000


def _pico(per_mtok: Decimal) -> int:
    return int((per_mtok * PICO_PER_TOKEN_PER_USD_PER_MTOK).to_integral_value())


def _dec(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _from_settings(name: str, p: Price, shared_tiers: dict[str, Tier]) -> Pricing:
    """A cost.prices override from goshi.yaml, with the same rules a table entry can carry."""
    base = Rates(
        Decimal(str(p.input_per_mtok)),
        _dec(p.cached_input_per_mtok),
        Decimal(str(p.output_per_mtok)),
        _dec(p.cache_write_per_mtok),
    )
    lc = p.long_context
    long_context = (
        None
        if lc.threshold_tokens is None
        else LongContext(
            lc.threshold_tokens,
            Decimal(str(lc.input_multiplier)),
            Decimal(str(lc.output_multiplier)),
        )
    )
    tiers = dict(shared_tiers)
    for tier_name, t in p.service_tiers.items():
        if t.multiplier is not None:
            tiers[tier_name] = Tier(multiplier=Decimal(str(t.multiplier)))
        else:
            tiers[tier_name] = Tier(
                rates=Rates(
                    _dec(t.input_per_mtok) or base.input,
                    _dec(t.cached_input_per_mtok),
                    _dec(t.output_per_mtok) or base.output,
                )
            )
    return Pricing(name, "goshi.yaml", base, long_context, tiers, _dec(p.regional_uplift))


def base_names(model: str) -> list[str]:
    """The names a model is looked up by: itself, then without a date suffix."""
    stripped = _DATE_SUFFIX.sub("", model)
    return [model] if stripped == model else [model, stripped]


def resolve(model: str, backend: str, table: Table, overrides: dict[str, Price]) -> Pricing | None:
    if backend in FREE_BACKENDS:
        return Pricing(model, "local", Rates(Decimal(0), None, Decimal(0)))
    for name in base_names(model):
        if (p := overrides.get(name)) is not None:
            return _from_settings(name, p, table.service_tiers)
        if (entry := table.models.get(name)) is not None:
            return entry
    return None


def region_of(base_url: str, table: Table) -> str | None:
    """The data-residency region an API host bills at (documented in the table), if any."""
    from urllib.parse import urlsplit

    host = (urlsplit(base_url).hostname or "").lower()
    return table.regional_hosts.get(host)


def update(source: str) -> Table:
    """Fetch (file or URL), validate and atomically install a new table; the old one stays on
    any failure."""
    if source.startswith(("http://", "https://")):
        text = _download(source)
    else:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"cannot read {source} ({exc})", "the current table is kept"
            ) from None
    target = user_table_file()
    try:
        table = parse_table(text, str(target))
    except ValueError as exc:
        raise ConfigError(
            f"{source}: not a valid price table: {exc}", "the current table is kept"
        ) from None
    paths.private_dir(target.parent)
    tmp = target.with_name(f".prices.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return table


def _download(url: str) -> str:
    from goshi.config import HttpSettings
    from goshi.llm import http
    from goshi.llm.wire import translate_errors

    with translate_errors("prices", url, 30.0):
        response = http.client(HttpSettings()).get(url, timeout=30.0)
    if response.status_code != 200:
        raise ConfigError(f"{url}: HTTP {response.status_code}", "the current table is kept")
    return response.text
