"""JSON from outside goshi (a server's body or stream event, an MCP message, a model's tool
arguments) parsed with its nesting bounded: `[[[[...` 200,000 deep would otherwise end in a
RecursionError wherever it is parsed or walked, far from where it came in.

    loads(data)  -> json.loads(data) when it nests at most MAX_DEPTH arrays/objects deep,
                    else TooDeep (a ValueError: every caller already treats bad JSON as one)

The check is nearly free for the small documents a stream is made of: fewer brackets in the
whole text than MAX_DEPTH cannot nest deeper (two counts in C): about 0.4 us on a 250-byte
stream event whose json.loads takes 3-7 us. A text with more brackets is cut to its brackets
(strings skipped, in C) and its innermost pairs peeled at most MAX_DEPTH times; 200,000 deep is
refused in about 17 ms.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64  # a real API body nests under 10 deep; a tool schema rarely past 20

_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'  # its brackets are text, not nesting
_NOT_BRACKET = r"[^\[\]{}]+"
_STR = (re.compile(_STRING, re.DOTALL), re.compile(_NOT_BRACKET))
_BYTES = (re.compile(_STRING.encode(), re.DOTALL), re.compile(_NOT_BRACKET.encode()))


class TooDeep(ValueError):
    """The JSON nests deeper than MAX_DEPTH."""

    def __init__(self) -> None:
        super().__init__(f"JSON nested more than {MAX_DEPTH} levels deep")


def loads(data: str | bytes | bytearray) -> Any:
    """json.loads, refusing (TooDeep) what nests more than MAX_DEPTH levels."""
    if too_deep(data):
        raise TooDeep()
    return json.loads(data)


def too_deep(data: str | bytes | bytearray, limit: int = MAX_DEPTH) -> bool:
    if isinstance(data, str):
        if data.count("[") + data.count("{") <= limit:
            return False
        string, other = _STR
        shape = other.sub("", string.sub("", data)).translate(_SQUARE)
        return _deeper(shape, limit)
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    string_b, other_b = _BYTES
    shape_b = other_b.sub(b"", string_b.sub(b"", data)).translate(_SQUARE_BYTES)
    return _deeper(shape_b.decode("ascii"), limit)


_SQUARE = str.maketrans("{}", "[]")
_SQUARE_BYTES = bytes.maketrans(b"{}", b"[]")


def _deeper(shape: str, limit: int) -> bool:
    """Whether brackets alone (strings and values gone) nest deeper than `limit`: each pass
    removes every innermost pair, so a document `limit` deep is gone after `limit` passes."""
    if "[" * (limit + 1) in shape:
        return True  # the usual attack, found in one pass
    for _ in range(limit):
        shorter = shape.replace("[]", "")
        if len(shorter) == len(shape):
            return False  # nothing left to peel (unbalanced: json.loads says what is wrong)
        shape = shorter
    return "[]" in shape
