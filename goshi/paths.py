"""Where goshi keeps its files: the XDG directories ($XDG_CONFIG_HOME, $XDG_DATA_HOME,
$XDG_STATE_HOME when set to an absolute path, else ~/.config, ~/.local/share, ~/.local/state).

On Linux and the BSDs those rules are the few lines below; macOS, Windows and Android ask
platformdirs, which knows their places (importing it costs every start ~3 ms, most of it the
tempfile and random modules it loads).

Nothing is written to the current directory unless the user asks. goshi's data and state hold
conversations, spend and logs: their directories are made 0700 and the files in them 0600, and
ones that already exist are tightened when goshi opens them.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

APP = "goshi"
_XDG = sys.platform not in ("darwin", "win32") and "ANDROID_ROOT" not in os.environ


def _xdg(variable: str, default: str) -> Path:
    """$variable when it is an absolute path (a relative one is ignored, as the spec says)."""
    path = os.environ.get(variable, "")
    return Path(path if os.path.isabs(path) else os.path.expanduser(default)) / APP


def config_dir() -> Path:
    if _XDG:
        return _xdg("XDG_CONFIG_HOME", "~/.config")
    from platformdirs import user_config_path

    return user_config_path(APP)


def data_dir() -> Path:
    if _XDG:
        return _xdg("XDG_DATA_HOME", "~/.local/share")
    from platformdirs import user_data_path

    return user_data_path(APP)


def state_dir() -> Path:
    if _XDG:
        return _xdg("XDG_STATE_HOME", "~/.local/state")
    from platformdirs import user_state_path

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
