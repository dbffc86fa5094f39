"""The price table: a dated JSON file shipped in the package, replaced by `goshi prices update`
(the new table lives in the XDG data dir), and overridden per model by `cost.prices`.

A model's price, first match wins:
    1. cost.prices[model]          2. table[model]
    3. both again with a date suffix removed: -YYYY-MM-DD or -MMDD
       (gpt-4o-mini-2024-07-18 -> gpt-4o-mini, gpt-4-0613 -> gpt-4)
Ollama costs $0. Nothing else is guessed: an unknown model has no price.
Prices are kept as integer pico-dollars (10^-12 USD) per token, so every sum is exact.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from goshi import paths
from goshi.config import Price
from goshi.errors import ConfigError

PICO_PER_TOKEN_PER_USD_PER_MTOK = 1_000_000  # 1 USD / 1M tokens = 10^6 pico-USD per token
_DATE_SUFFIX = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4})$")
FREE_BACKENDS = ("ollama",)
SHIPPED = Path(__file__).resolve().parent.parent / "data" / "prices.json"


@dataclass(frozen=True, slots=True)
class Rate:
    """Pico-dollars per token."""

    input: int
    cached_input: int
    output: int
    name: str  # the table or override entry that matched
    source: str  # "table" | "goshi.yaml" | "local"


@dataclass(frozen=True, slots=True)
class Table:
    as_of: str
    source: str
    models: dict[str, tuple[Decimal, Decimal | None, Decimal]]  # USD per 1M: in, cached, out
    path: str


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
    """Validate a price table; ValueError says what is wrong."""
    try:
        data = json.loads(text)
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
    table: dict[str, tuple[Decimal, Decimal | None, Decimal]] = {}
    for name, entry in models.items():
        if not isinstance(entry, dict):
            raise ValueError(f"models.{name}: expected an object")
        cached = entry.get("cached_input")
        table[str(name)] = (
            _amount(entry.get("input"), f"models.{name}.input"),
            None if cached is None else _amount(cached, f"models.{name}.cached_input"),
            _amount(entry.get("output"), f"models.{name}.output"),
        )
    return Table(str(as_of), str(data.get("source") or ""), table, path)


def _amount(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{where}: expected a number, got {value!r}")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{where}: expected a number, got {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{where}: expected a number >= 0, got {value!r}")
    return amount


def _pico(per_mtok: Decimal) -> int:
    return int((per_mtok * PICO_PER_TOKEN_PER_USD_PER_MTOK).to_integral_value())


def _rate(name: str, source: str, inp: Decimal, cached: Decimal | None, out: Decimal) -> Rate:
    return Rate(_pico(inp), _pico(inp if cached is None else cached), _pico(out), name, source)


def resolve(model: str, backend: str, table: Table, overrides: dict[str, Price]) -> Rate | None:
    if backend in FREE_BACKENDS:
        return Rate(0, 0, 0, model, "local")
    names = [model]
    if (stripped := _DATE_SUFFIX.sub("", model)) != model:
        names.append(stripped)
    for name in names:
        if (p := overrides.get(name)) is not None:
            cached = (
                None if p.cached_input_per_mtok is None else Decimal(str(p.cached_input_per_mtok))
            )
            return _rate(
                name,
                "goshi.yaml",
                Decimal(str(p.input_per_mtok)),
                cached,
                Decimal(str(p.output_per_mtok)),
            )
        if (entry := table.models.get(name)) is not None:
            return _rate(name, "table", *entry)
    return None


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
