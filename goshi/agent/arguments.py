"""A tool call's arguments checked against the tool's schema before the tool runs.

    JSON object from the model -> every required key present, no unknown key, each value of its
    schema type (an integer a whole number within its minimum and MAX_INTEGER, a number finite)
    -> the arguments to call with, or one error the model can read and act on

`null` for an optional argument means "not given". The checks read the schemas (plain data in
goshi/agent/calls.py), so a new tool is checked as soon as it is declared.
"""

from __future__ import annotations

import math
from typing import Any

MAX_INTEGER = 1_000_000_000  # a line number, a count or a timeout: bigger is a broken call

_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
}


class BadArguments(ValueError):
    """What is wrong with the arguments, said to the model."""


def check(schema: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    """The arguments to call the tool with; raises BadArguments saying what is wrong."""
    params = schema.get("function", {}).get("parameters", {})
    props: dict[str, Any] = params.get("properties", {})
    given = {k: v for k, v in args.items() if v is not None}
    for key in params.get("required", []):
        if key not in given:
            raise BadArguments(f"{key} is required")
    for key, value in given.items():
        if key not in props:
            known = ", ".join(props) or "none"
            raise BadArguments(f"unknown argument {key!r}; it takes {known}")
        given[key] = _value(key, value, props[key])
    return given


def _value(key: str, value: Any, spec: dict[str, Any]) -> Any:
    kind = spec.get("type")
    if kind == "integer":
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)  # 12.0 means 12
        low = spec.get("minimum", -MAX_INTEGER)
        if type(value) is not int or not low <= value <= MAX_INTEGER:
            raise BadArguments(
                f"{key} must be an integer from {low} to {MAX_INTEGER}, got {_shown(value)}"
            )
        return value
    if kind == "number":
        if type(value) not in (int, float) or not math.isfinite(value):
            raise BadArguments(f"{key} must be a finite number, got {_shown(value)}")
        return value
    expected = {"string": str, "boolean": bool, "array": list, "object": dict}.get(str(kind))
    if expected is not None and type(value) is not expected:
        raise BadArguments(f"{key} must be {_NAMES[str(kind)]}, got {_shown(value)}")
    strings = kind == "array" and spec.get("items", {}).get("type") == "string"
    if strings and not all(isinstance(item, str) for item in value):
        raise BadArguments(f"{key} must be a list of strings")
    return value


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
