"""A project's ./goshi.yaml: applied whole when trusted, else only the keys trust.py calls harmless
(and only as `trust.may_set` allows); nothing in an untrusted file can stop goshi. A key whose
value is what is in effect anyway changes nothing and is not mentioned; for the rest, one stderr
line per run (a count, the first few names, and `goshi config show` for all of them).
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
        if any(path.startswith(other + ".") for other in sources):
            continue  # an entry of a table (cost.prices.m1.input_per_mtok): the table decides
        new, current = _get_path(scratch, path), _get_path(settings, path)
        if not _changes(new, current):
            continue  # what is in effect already: nothing to apply, nothing to say
        # only the user's own file is below this layer (`system: null`, as `config init`
        # writes it, is none)
        users = path in settings.sources and current not in (None, "")
        if trust.harmless(path) and trust.may_set(path, new, current, users):
            _set_path(settings, path, new)
            settings.sources[path] = source
            project.applied.append(path)
        else:
            project.ignored.append(path)
    return project


def _changes(new: Any, current: Any) -> bool:
    """Would the project's value change what is in effect? A table adds its entries to the
    lower layers' (the defaults' tables are empty, so `new` holds the project's entries only)."""
    if isinstance(new, dict) and isinstance(current, dict):
        return any(name not in current or current[name] != entry for name, entry in new.items())
    return bool(new != current)


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
WIDTH = 80 - len("goshi: ")  # the warning fits an 80-column terminal, goshi's prefix included
SEE = "; see goshi config show"


def warn_ignored(settings: Settings) -> None:
    """Once per run, after the environment and the flags: one line that fits a terminal, saying
    how many keys an untrusted project file could not set (and names the first few), how many of
    its entries were invalid, and where to see them all. A key the environment or a flag sets
    anyway is not counted: the file would change nothing there even if trusted. And one line
    when its system prompt is the one in effect: what the model is told should not change
    unsaid (a flag's or the user's own file's is never replaced: trust.may_set)."""
    if (project := settings.project) is None or project.path.resolve() in _warned:
        return
    project.ignored = [p for p in project.ignored if not settings.source(p).startswith(LATER)]
    prompt = "system" in project.applied and not settings.source("system").startswith(LATER)
    if prompt or project.ignored or project.invalid:
        _warned.add(project.path.resolve())
    if prompt:
        log.warning("%s", f"{_head(project)}its system prompt applies{SEE}")
    if project.ignored or project.invalid:
        log.warning("%s", warning(project))


LATER = ("env ", "--")  # the sources of the layers above the project file


def _head(project: ProjectFile) -> str:
    from goshi.config import trust

    return f"{project.path} {'changed' if project.state == trust.CHANGED else 'untrusted'}: "


def warning(project: ProjectFile) -> str:
    head = _head(project)
    bad = f"{len(project.invalid)} invalid" if project.invalid else ""
    if not project.ignored:
        return f"{head}ignored {bad}{SEE}"
    bad = f"; {bad}" if bad else ""
    room = WIDTH - len(head) - len("ignored ") - len(bad) - len(SEE)
    return f"{head}ignored {_first_few(project.ignored, room)}{bad}{SEE}"


def _first_few(keys: list[str], room: int) -> str:
    """`openai.base_url, ollama.host +7` in at most `room` characters, else the count alone."""
    shown: list[str] = []
    for key in keys:
        rest = len(keys) - len(shown) - 1
        if len(", ".join([*shown, key]) + (f" +{rest}" if rest else "")) > room:
            break
        shown.append(key)
    rest = len(keys) - len(shown)
    if not shown:
        return f"{len(keys)} setting{'s' if len(keys) > 1 else ''}"
    return ", ".join(shown) + (f" +{rest}" if rest else "")
