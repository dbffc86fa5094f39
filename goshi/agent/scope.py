"""Which folder the tools may work in at all: not one that holds the user's keys and every
project. Checked once a run, before any tool (this module is light: a plain ask loads it, the
jail in goshi/agent/workspace.py loads on the first tool call).

A workspace that is `/`, the user's home directory or any folder holding it (`/home`) is refused
unless the user's own config file names it in tools.workspace (a project's goshi.yaml, even a
trusted one, cannot): the tools are off for the run, and one line says how to allow it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from goshi.config import Settings


def workspace_refusal(settings: Settings) -> str | None:
    """The line that turns the tools off when the workspace is /, the home directory or holds
    it, and the user's own config does not name it."""
    why = too_wide(settings.tools.workspace)
    if why is None or named_by_user(settings):
        return None
    return (
        f"{why}; tools are off for this run: start goshi in a project directory, "
        "or name it in tools.workspace in your own goshi.yaml"
    )


def named_by_user(settings: Settings) -> bool:
    """Did the user's own config file (not a project's, trusted or not) set tools.workspace?"""
    source = settings.source("tools.workspace")
    return settings.file is not None and source.startswith(f"{settings.file}:")


def too_wide(root: str | Path) -> str | None:
    """Why this workspace is too wide for the tools, or None: `/` and the home directory, and
    every folder above it, hold keys and every project."""
    try:
        home: Path | None = Path.home().resolve()
    except (RuntimeError, KeyError, OSError):  # no $HOME and no passwd entry: only / is known
        home = None
    try:
        real = Path(root).expanduser().resolve()
    except (RuntimeError, KeyError, OSError):
        real = Path(root).resolve()
    if real == Path(real.anchor):
        return "the workspace would be / (the whole disk)"
    if home is None:
        return None
    if real == home:
        return f"the workspace would be your home directory ({real})"
    if real in home.parents:
        return f"the workspace would be {real}, which holds your home directory"
    return None
