"""Where goshi keeps its files: the XDG directories (platformdirs honours XDG_*_HOME).

Nothing is written to the current directory unless the user asks. goshi's data and state hold
conversations, spend and logs: their directories are made 0700 and the files in them 0600, and
ones that already exist are tightened when goshi opens them.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from platformdirs import user_config_path, user_data_path, user_state_path

APP = "goshi"


def config_dir() -> Path:
    return user_config_path(APP)


def data_dir() -> Path:
    return user_data_path(APP)


def state_dir() -> Path:
    return user_state_path(APP)


def user_config_file() -> Path:
    return config_dir() / "goshi.yaml"


def store_file() -> Path:
    return data_dir() / "goshi.db"


def log_file() -> Path:
    return state_dir() / "goshi.log"


def trust_file() -> Path:
    return data_dir() / "trust.json"


def chat_history_file() -> Path:
    return state_dir() / "chat_history"


def ollama_models_file() -> Path:
    """The names Ollama listed last, for Tab completion (goshi/model_names.py)."""
    return state_dir() / "ollama_models.json"


def private_dir(path: Path) -> Path:
    """Create the directory (and its parents) if needed; goshi's own directory is made 0700."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # not ours to change (a shared or read-only dir)
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """Create the file if it is missing, readable and writable by its owner only.

    Never on a file SQLite already has open: closing a descriptor drops the process's locks."""
    if not path.exists():
        with contextlib.suppress(OSError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    return tighten(path)


def tighten(path: Path) -> Path:
    """An existing file made readable and writable by its owner only (by path: no descriptor)."""
    with contextlib.suppress(OSError):
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
    return path
