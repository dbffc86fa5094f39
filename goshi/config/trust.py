"""Trust for a project's goshi.yaml: which files the user vetted, and which keys apply without it.

    goshi config trust FILE   -> records FILE's path (its folder's real path, its own name: not
                                 where a symlink points) and the SHA-256 of its bytes
                                 in $XDG_DATA_HOME/goshi/trust.json (0600, in a 0700 dir)
    config.load finds ./goshi.yaml -> state(path, bytes): trusted | untrusted | changed
        trusted            every key applies
        untrusted/changed  only HARMLESS keys apply; the rest are named once on stderr

The list is an allow-list: a key added to goshi later is untrusted until someone argues it
harmless here. Harmless means it can neither send anything (a prompt, a key, an environment
value) anywhere the user did not configure, nor widen what the tools see or run, nor change what
an answer may cost or where a limit stands. A few are harmless only one way (`may_set`): a
system prompt where the user's own file sets none (and one stderr line says it applies), an
Ollama model that is local, not a `*-cloud` one that sends the prompt off the machine; the
backend moved to Ollama, never from it to OpenAI (the same: off the machine, and paid); the
project's own instructions turned off or down, never on or up. The records live in goshi's data
dir, which the tools can never write.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from goshi import paths
from goshi.config.values import check_file
from goshi.errors import ConfigError, UsageError

HARMLESS = frozenset(
    {
        "system",  # a prompt, as AGENTS.md is; never over the user's own (may_set), and said
        "backend",  # which of the user's own endpoints answers; from Ollama never (may_set)
        "openai.temperature",
        "ollama.model",  # local and free; the host stays the user's
        "ollama.temperature",
        "ollama.num_ctx",
        "ollama.keep_alive",
        "ollama.think",  # how much a local model reasons; Ollama is free to goshi's meter
        "context.project_instructions",  # the project's own AGENTS.md: off, never on (may_set)
        "context.instructions_max_kib",  # and less of it, never more
    }
)
LOWER_ONLY = frozenset({"context.project_instructions", "context.instructions_max_kib"})
USERS_FIRST = frozenset({"system"})  # the user's own file set it: theirs stays

TRUSTED, UNTRUSTED, CHANGED = "trusted", "untrusted", "changed since it was trusted"


def harmless(path: str) -> bool:
    return path in HARMLESS


def may_set(path: str, value: Any, current: Any, users: bool = False) -> bool:
    """May an untrusted file change this harmless key from `current` to `value`? `users`:
    the user's own config file set `current`."""
    if path in USERS_FIRST:
        return not users
    if path == "ollama.model":
        return not ollama_cloud(str(value))
    if path == "backend":  # to the local one, never away from it (off the machine, and paid)
        return bool(value == "ollama" or current != "ollama")
    if path in LOWER_ONLY:
        return bool(value <= current)
    return True


def ollama_cloud(model: str) -> bool:
    """`gpt-oss:120b-cloud`, `deepseek-v3.1:671b-cloud`, `kimi-k2:cloud`: run at ollama.com."""
    return model.lower().endswith(("-cloud", ":cloud"))


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _records() -> dict[str, str]:
    try:
        raw = json.loads(paths.trust_file().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return {}  # unreadable records trust nothing
    files = raw.get("files") if isinstance(raw, dict) else None
    if not isinstance(files, dict):
        return {}
    return {str(k): str(v) for k, v in files.items()}


def _save(records: dict[str, str]) -> None:
    target = paths.trust_file()
    paths.private_dir(target.parent)
    tmp = target.with_name(f".{target.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"version": 1, "files": records}, out, indent=2, sort_keys=True)
        out.write("\n")
    tmp.replace(target)


def where(file: Path) -> Path:
    """The file as trust knows it: its folder's real path and its own name. Trust is for a file
    in a folder: a goshi.yaml that is a symlink to a file trusted elsewhere is not trusted here."""
    file = file.absolute()
    return file.parent.resolve() / file.name


def state(file: Path, data: bytes) -> str:
    recorded = _records().get(str(where(file)))
    if recorded is None:
        return UNTRUSTED
    return TRUSTED if recorded == digest(data) else CHANGED


def _target(file: str | None) -> Path:
    path = Path(file) if file else Path("goshi.yaml")
    if not path.is_file():
        raise UsageError(f"{path}: no such file", "name the goshi.yaml to trust")
    return where(path)


def trust(file: str | None) -> Path:
    """Record the file as it is now; validated first, so a broken file is not trusted."""
    path = _target(file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    check_file(path, data)
    records = _records()
    records[str(path)] = digest(data)
    _save(records)
    return path


def untrust(file: str | None) -> tuple[Path, bool]:
    path = where(Path(file or "goshi.yaml"))
    records = _records()
    known = records.pop(str(path), None) is not None
    if known:
        _save(records)
    return path, known
