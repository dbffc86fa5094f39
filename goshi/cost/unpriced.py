"""A model with no price is said once a day, not on every answer: the models already named today
are kept in the state dir (`unpriced.json`: the local date and the names)."""

from __future__ import annotations

import json
import os
import time

from goshi import paths

MAX_NAMES = 200  # a server that names a new model on every answer cannot grow the file
_said: set[str] = set()  # this process: every tool round charges again, the file is read once


def first_today(model: str) -> bool:
    """True the first time `model` is named today (and remember it); True too when the state
    dir cannot be read or written: saying it twice beats never saying it."""
    if model in _said:
        return False
    _said.add(model)
    today = time.strftime("%Y-%m-%d")
    file = paths.state_dir() / "unpriced.json"
    try:
        known = json.loads(file.read_text(encoding="utf-8"))
        names = known.get("models", []) if known.get("day") == today else []
        names = [n for n in names if isinstance(n, str)]
    except (OSError, ValueError, AttributeError):
        names = []
    if model in names:
        return False
    try:
        paths.private_dir(file.parent)
        part = file.with_name(f"{file.name}.{os.getpid()}")
        part.write_text(json.dumps({"day": today, "models": [*names, model][-MAX_NAMES:]}))
        part.replace(file)
    except OSError:
        pass
    return True
