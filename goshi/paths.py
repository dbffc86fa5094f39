"""Where goshi keeps its files: the XDG directories (platformdirs honours XDG_*_HOME).

Nothing is written to the current directory unless the user asks.
"""

from __future__ import annotations

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
