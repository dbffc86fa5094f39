"""What Tab offers for goshi's options and arguments (Typer's completion protocol).

    shell (bash, zsh, fish) -> `_GOSHI_COMPLETE=complete_SHELL goshi ...` -> Typer finds the
    parameter -> one of these functions -> (value, help) pairs -> Typer keeps those that start
    with what was typed

`goshi --install-completion` and `--show-completion` (Typer's own) write the shell's side.
These run while the user waits on Tab: this module is imported by every goshi command, so it
imports only what it needs, when it needs it; the store is opened read-only (never created or
migrated), and no slow server is waited on (see goshi/model_names.py). A question from the store
is shown as a label of plain characters only.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

Choices = list[tuple[str, str]]
RECENT = 30
# Shells re-read what completion prints (zsh evals it), and Typer renders help text as Rich
# markup: a label from the store keeps only letters, digits and harmless punctuation.
_UNSAFE_LABEL = re.compile(r"[^\w .,!?#%+=@/-]+")
_SAFE_NAME = re.compile(r"[\w.:/@+-]+")  # an alias offered as a completion, as typed


def label(text: str, width: int = 60) -> str:
    """A user's question as a one-line completion label that no shell or markup reads as code."""
    return " ".join(_UNSAFE_LABEL.sub("", " ".join(text.split())).split())[:width]


def plain_help_text() -> None:
    """Typer's zsh and fish completion pass each help text through Rich (some 300 ms of imports
    while the user waits on Tab); goshi's help texts have no markup, so they go as they are."""
    import typer._completion_classes as classes

    classes._sanitize_help_text = lambda text: text


def models(incomplete: str) -> Choices:
    from goshi import model_names

    table = [(name, "price table") for name in sorted(model_names.price_table_models())]
    local = [(name, "ollama") for name in model_names.ollama_for_completion()]
    return [c for c in aliases() + table + local if c[0].startswith(incomplete)]


def aliases() -> Choices:
    """The `aliases:` of the user's own goshi.yaml (the only file that may set them), as goshi
    last read them from this version of it; else read now (YAML, once per change of the file)."""
    from goshi import model_names

    file = _user_config_file()
    if file is None:
        return []
    table = model_names.cached_aliases(file)
    if table is None:
        table = _read_aliases(file)
        model_names.remember_aliases(file, table)
    return [
        (name, label(f"alias of {model}"))
        for name, model in table.items()
        if _SAFE_NAME.fullmatch(name)
    ]


def _read_aliases(file: Path) -> dict[str, str]:
    from goshi.config import read_yaml
    from goshi.errors import GoshiError

    try:
        data = read_yaml(file)[0]
    except GoshiError:
        return {}
    table = data.get("aliases") if isinstance(data, dict) else None
    if not isinstance(table, dict):
        return {}
    return {str(k): v for k, v in table.items() if isinstance(v, str)}


def _user_config_file() -> Path | None:
    """The user's goshi.yaml as goshi.config finds it (without importing it: Tab is waited on)."""
    import os
    from pathlib import Path

    from goshi import paths

    named = os.environ.get("GOSHI_CONFIG")
    file = Path(named) if named else paths.user_config_file()
    return file if file.is_file() else None


def backends(incomplete: str) -> Choices:
    return [
        ("auto", "OpenAI first, Ollama when it fails"),
        ("openai", "OpenAI or a compatible server only"),
        ("ollama", "the local Ollama only"),
    ]


def formats(incomplete: str) -> Choices:
    return [("md", "Markdown"), ("json", "JSON")]


def conversations(incomplete: str) -> Choices:
    """The newest conversations, each with its first question. The Python's own SQLite, not the
    store's (goshi/store/engine.py): a read-only look at two plain tables, and a Tab imports no
    goshi.store."""
    import sqlite3

    from goshi import paths

    file = paths.store_file()
    if not file.is_file():
        return []
    try:
        db = sqlite3.connect(f"{file.as_uri()}?mode=ro", uri=True, timeout=0.5)
        rows = db.execute(
            "SELECT c.id, (SELECT content FROM messages m WHERE m.conversation_id = c.id"
            " AND m.role = 'user' ORDER BY m.id LIMIT 1) FROM conversations c"
            " ORDER BY c.id DESC LIMIT ?",
            (RECENT,),
        ).fetchall()
        db.close()
    except sqlite3.Error:
        return []
    return [
        (str(cid), label((first or "").strip().split("\n", 1)[0]))
        for cid, first in rows
        if str(cid).startswith(incomplete)
    ]


def templates(incomplete: str) -> Choices:
    # imports the config module only when a template is named
    from goshi.templates import names

    return [(name, "template") for name in names() if name.startswith(incomplete)]
