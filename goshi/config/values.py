"""Validation: a parsed goshi.yaml copied onto the settings records, every value checked.

Reader(origin, lines, sources).apply(record, mapping, prefix)
    each key known? (else "did you mean")  -> a record: recurse; a dict: a table of entries;
    a list: its items; else coerce(): the type, then the bounds in the field's metadata.
A problem names `file:line: key.path: what` and raises ConfigError (exit 3), or, with
`problems=[]`, is collected and the rest still read (an untrusted project file).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import types
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from goshi.config.schema import CALL_OPTIONS, Settings
from goshi.config.yamlfile import read_yaml
from goshi.errors import ConfigError
from goshi.record import fields, is_record, record

EXPONENT = r"[-+]?[0-9]+(\.[0-9]*)?[eE][-+]?[0-9]+"  # 1e-3: YAML 1.1 reads it as text
MAX_NUMBER = 1_000_000_000  # the largest number any setting takes: more is a typo


def check_file(file: Path, raw: bytes | None = None) -> None:
    """Parse and validate a goshi.yaml; ConfigError names the line of the first problem."""
    data, lines = read_yaml(file, raw)
    Reader(str(file), lines, {}).apply(Settings(), data, "")


def call_option(key: str, text: str) -> Any:
    """`-o KEY VALUE`: the value, checked as each setting it sets is (ConfigError if not)."""
    paths = CALL_OPTIONS.get(key)
    if paths is None:
        raise ConfigError(f"-o: unknown option {key!r}", f"one of {', '.join(CALL_OPTIONS)}")
    value: Any = {"true": True, "false": False, "null": None}.get(text.lower(), text)
    if isinstance(value, str):
        for number in (int, float):
            try:
                value = number(text)
                break
            except ValueError:
                pass
    for path in paths:
        section, name = path.split(".")
        target = getattr(Settings(), section)
        fld = next(f for f in fields(target) if f.name == name)
        value = coerce(value, get_type_hints(type(target))[name], fld, key, "-o")
    return value


@record
class Reader:
    """Copies a parsed YAML mapping onto the settings dataclasses, checking every value."""

    origin: str
    lines: dict[str, int]
    sources: dict[str, str]
    problems: list[str] | None = None  # a list: collect each problem and go on, else raise

    def where(self, path: str) -> str:
        return f"{self.origin}:{self.lines.get(path, 1)}"

    def apply(self, target: Any, data: dict[str, Any], prefix: str) -> None:
        hints = get_type_hints(type(target))
        known = {f.name: f for f in fields(target) if not f.metadata.get("internal")}
        for key, value in data.items():
            try:
                self._apply_key(target, hints, known, str(key), value, prefix)
            except ConfigError as exc:
                if self.problems is None:
                    raise
                self.problems.append(exc.message)
        for name, fld in known.items():
            if fld.metadata.get("required") and not getattr(target, name):
                error = ConfigError(
                    f"{self.where(prefix.rstrip('.'))}: {prefix}{name}: a value is required"
                )
                if self.problems is None:
                    raise error
                self.problems.append(error.message)

    def _apply_key(
        self,
        target: Any,
        hints: dict[str, Any],
        known: dict[str, dataclasses.Field[Any]],
        key: str,
        value: Any,
        prefix: str,
    ) -> None:
        path = f"{prefix}{key}"
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=1)
            hint = f"did you mean '{prefix}{close[0]}'?" if close else "remove it"
            raise ConfigError(f"{self.where(path)}: {path}: unknown setting", hint)
        kind = hints[key]
        if is_record(kind):
            if value is not None:
                self.apply(getattr(target, key), self.mapping(value, path), path + ".")
            return
        if get_origin(kind) is dict:  # a lower layer's entries stay unless named again
            value = {
                **getattr(target, key),
                **self.table(value, path, get_args(kind)[1], known[key]),
            }
        elif get_origin(kind) is list:
            value = self.items(value, path, get_args(kind)[0], known[key])
        else:
            value = coerce(value, kind, known[key], path, self.where(path))
        setattr(target, key, value)
        self.sources[path] = self.where(path)

    def mapping(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ConfigError(f"{self.where(path)}: {path}: expected a mapping, got {value!r}")
        return value

    def table(
        self, value: Any, path: str, kind: Any, fld: dataclasses.Field[Any]
    ) -> dict[str, Any]:
        """A mapping of names to settings (cost.prices, mcp.servers) or to text (an env)."""
        table: dict[str, Any] = {}
        pattern = fld.metadata.get("key")
        for name, spec in ({} if value is None else self.mapping(value, path)).items():
            sub = f"{path}.{name}"
            if pattern is not None and not pattern.ok(str(name)):
                raise ConfigError(f"{self.where(sub)}: {sub}: {pattern.said}", "rename it")
            if isinstance(kind, type) and is_record(kind):
                entry = kind()
                self.apply(entry, self.mapping(spec, sub), sub + ".")
            else:
                entry = coerce(spec, kind, fld, sub, self.where(sub))
            table[str(name)] = entry
        return table

    def items(self, value: Any, path: str, kind: Any, fld: dataclasses.Field[Any]) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise ConfigError(f"{self.where(path)}: {path}: expected a list, got {value!r}")
        return [coerce(v, kind, fld, f"{path}[{i}]", self.where(path)) for i, v in enumerate(value)]


def coerce(value: Any, kind: Any, fld: dataclasses.Field[Any], path: str, where: str) -> Any:
    args = get_args(kind)
    optional = get_origin(kind) in (Union, types.UnionType) and type(None) in args
    base = next(a for a in args if a is not type(None)) if optional else kind
    if value is None:
        if optional:
            return None
        raise ConfigError(f"{where}: {path}: a value is required")
    if base is bool:
        ok = isinstance(value, bool) or (str in args and isinstance(value, str))
    elif base is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif base is float:
        if isinstance(value, str) and re.fullmatch(EXPONENT, value):
            value = float(value)
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and isinstance(value, float) and not math.isfinite(value):
            if value > 0 and optional and fld.metadata.get("inf"):
                return None  # `cost.warn_usd: .inf`: never
            raise ConfigError(f"{where}: {path}: expected a finite number, got {value!r}")
        value = float(value) if ok and abs(value) <= MAX_NUMBER else value
    else:
        ok = isinstance(value, str)
        if ok and (text := fld.metadata.get("text")) is not None and not text.ok(value):
            raise ConfigError(f"{where}: {path}: expected {text.said}, got {value!r}")
    if not ok:
        expected = {bool: "true or false", int: "an integer", float: "a number"}.get(base, "text")
        raise ConfigError(f"{where}: {path}: expected {expected}, got {value!r}")
    check_bounds(value, fld, path, where)
    return value


def check_bounds(value: Any, fld: dataclasses.Field[Any], path: str, where: str) -> None:
    choices = fld.metadata.get("choices")
    if choices and (value not in choices or type(value) not in {type(c) for c in choices}):
        said = ", ".join(str(c).lower() if isinstance(c, bool) else c for c in choices)
        raise ConfigError(f"{where}: {path}: expected one of {said}, got {value!r}")
    low = fld.metadata.get("min")
    if low is not None and value < low:
        raise ConfigError(f"{where}: {path}: must be at least {low}, got {value!r}")
    high = fld.metadata.get("max", MAX_NUMBER)
    if isinstance(value, int | float) and not isinstance(value, bool) and value > high:
        said = f"{high:g}" if high >= MAX_NUMBER else str(high)
        raise ConfigError(f"{where}: {path}: must be at most {said}, got {value!r}")
