"""The search tool's patterns: RE2, a regex engine made for untrusted patterns.

    pattern from the model -> RE2 (linear time in the text, bounded memory) -> a matcher per line

A model writes a pattern; a pattern like `(a+)+$` makes Python's `re` backtrack for ever, and a
huge repeat count or thousands of nested groups crash it. RE2 never backtracks: every search is
linear in the line's length, and a pattern too big for its memory bound is an error result.
RE2 takes Python's syntax except backreferences (`\\1`), lookaround (`(?=`, `(?!`, `(?<=`,
`(?<!`), possessive and atomic forms, and conditionals; `\\Z` is written `\\z`.

When google-re2 is not installed the pattern is searched as plain text (bounded too), and the
result says so.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

MAX_MEMORY = 32 << 20  # bytes RE2 may use for one compiled pattern


class BadPattern(ValueError):
    """A pattern RE2 cannot take; the message says why, for the model."""


def compile_pattern(pattern: str) -> tuple[Callable[[str], bool], str]:
    """A line -> does it match, and a note for the result ("" when RE2 did the work)."""
    try:
        re2: Any = importlib.import_module("re2")
    except ImportError:
        return (lambda line: pattern in line), (
            " (google-re2 is not installed: the pattern was searched as plain text)"
        )
    options = re2.Options()
    options.log_errors = False  # RE2 would print its own complaint on stderr
    options.max_mem = MAX_MEMORY
    try:
        regex = re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise BadPattern(
            f"{reason} (search uses RE2: Python syntax without backreferences or lookaround)"
        ) from None
    return (lambda line: regex.search(line) is not None), ""
