"""A project's ./goshi.yaml: applied whole when trusted, else only the keys trust.py calls harmless
(and only as `trust.may_set` allows); nothing in an untrusted file can stop goshi, and one stderr
line per run names what it could not set.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from goshi.config.schema import ProjectFile, Settings
from goshi.config.values import Reader
from goshi.config.yamlfile import read_bytes, read_yaml
from goshi.errors import ConfigError

log = logging.getLogger("goshi")


def apply_project(settings: Settings, file: Path) -> ProjectFile:
    """A trusted project file applies whole (an error in it is the user's to fix: exit 3); any
    other only its harmless keys, and nothing in it can stop goshi: an unreadable file, bad YAML,
    an unknown key or a bad value is ignored and named in the one warning line."""
    from goshi.config import trust  # here: hashlib only when there is a project file

    try:
        raw = read_bytes(file)
    except ConfigError as exc:
        return ProjectFile(file, trust.UNTRUSTED, invalid=[_after_file(exc.message, file)])
    project = ProjectFile(file, trust.state(file, raw))
    if project.state == trust.TRUSTED:
        data, lines = read_yaml(file, raw)
        Reader(str(file), lines, settings.sources).apply(settings, data, "")
        return project
    try:
        data, lines = read_yaml(file, raw)
    except ConfigError as exc:
        project.invalid.append(_after_file(exc.message, file))
        return project
    scratch, sources = Settings(), dict[str, str]()
    reader = Reader(str(file), lines, sources, problems=[])
    reader.apply(scratch, data, "")
    project.invalid = [_after_file(problem, file) for problem in reader.problems or []]
    for path, source in sources.items():
        new = _get_path(scratch, path) if trust.harmless(path) else None
        if trust.harmless(path) and trust.may_set(path, new, _get_path(settings, path)):
            _set_path(settings, path, _get_path(scratch, path))
            settings.sources[path] = source
        elif not any(path.startswith(other + ".") for other in sources):
            project.ignored.append(path)
    return project


def _after_file(message: str, file: Path) -> str:
    """`/a/goshi.yaml:3: x: bad` -> `line 3: x: bad` (the warning names the file once)."""
    name = str(file)
    if message.startswith(name + ":"):
        message = message[len(name) + 1 :]
        return f"line {message}" if message[:1].isdigit() else message.lstrip()
    return message


def _get_path(obj: Any, path: str) -> Any:
    for name in path.split("."):
        obj = getattr(obj, name)
    return obj


def _set_path(obj: Any, path: str, value: Any) -> None:
    *parents, name = path.split(".")
    for parent in parents:
        obj = getattr(obj, parent)
    setattr(obj, name, value)


_warned: set[Path] = set()


def warn_ignored(project: ProjectFile) -> None:
    """Once per run, one line: the keys an untrusted project file could not set, what in it was
    invalid (and ignored), and how to trust it."""
    from goshi.config import trust

    if not (project.ignored or project.invalid) or project.path.resolve() in _warned:
        return
    _warned.add(project.path.resolve())
    why = "changed since it was trusted" if project.state == trust.CHANGED else "is not trusted"
    said = []
    if project.ignored:
        said.append("ignored " + ", ".join(project.ignored))
    if project.invalid:
        said.append("ignored as invalid: " + "; ".join(project.invalid))
    log.warning(
        "%s %s: %s; review it, then `goshi config trust` applies it",
        project.path,
        why,
        "; ".join(said),
    )
