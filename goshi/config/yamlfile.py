"""Reading a goshi.yaml: its bytes, its mapping, and the line each key stands on.

PyYAML is imported here, on the first file read, never at goshi's start (`goshi --help` and an
ask without a config file go without it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from goshi.errors import ConfigError

MAX_NODES = 10_000  # what a file may hold once its aliases are expanded: goshi.yaml has ~100
MAX_DEPTH = 64  # mappings and lists inside each other


def read_bytes(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such file", "check the path") from None
    except IsADirectoryError:
        raise ConfigError(f"{file}: a folder, not a file", "name the goshi.yaml in it") from None
    except OSError as exc:
        raise ConfigError(
            f"{file}: cannot read ({exc.strerror})", "check the file's permissions"
        ) from None


def read_yaml(file: Path, raw: bytes | None = None) -> tuple[dict[str, Any], dict[str, int]]:
    """The file's mapping and, for every key path, the line it stands on. The document is
    composed, measured (`_measure`) and only then built: an alias bomb or an alias inside itself
    is refused before it can hang or recurse."""
    import yaml

    try:
        text = (read_bytes(file) if raw is None else raw).decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: not UTF-8 text", "save the file as UTF-8") from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, {}
        _measure(file, node)
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark is not None else str(file)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: invalid YAML: {problem}", "fix the syntax") from None
    except RecursionError:
        raise ConfigError(
            f"{file}: invalid YAML: nested deeper than {MAX_DEPTH}", "fix the file"
        ) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ConfigError(f"{file}:1: expected a mapping of settings at the top level")
    lines: dict[str, int] = {}
    _collect_lines(node, "", lines)
    return data, lines


def _measure(file: Path, root: Any) -> None:
    """Walk the node graph as the built document would have it, each alias expanded, at most
    MAX_NODES nodes and MAX_DEPTH deep; a node inside itself is an alias that refers to itself.
    A problem is said at the line of the top-level entry it is in (an alias's own place is not
    kept by the composer)."""
    import yaml

    count, stack, inside = 0, [(root, 0, False, 1)], set[int]()
    while stack:
        node, depth, leaving, line = stack.pop()
        if leaving:
            inside.discard(id(node))
            continue
        where = f"{file}:{line}"
        if id(node) in inside:
            raise ConfigError(f"{where}: a YAML alias refers to itself", "write the value out")
        count += 1
        if count > MAX_NODES:
            raise ConfigError(
                f"{where}: YAML aliases expand past {MAX_NODES:,} values", "write the values out"
            )
        if depth > MAX_DEPTH:
            raise ConfigError(f"{where}: invalid YAML: nested deeper than {MAX_DEPTH}", "fix it")
        if isinstance(node, yaml.CollectionNode):
            inside.add(id(node))
            stack.append((node, depth, True, line))
            for child in reversed(node.value):  # nodes, or (key, value) pairs in a mapping
                for sub in child if isinstance(child, tuple) else (child,):
                    at = sub.start_mark.line + 1 if depth == 0 else line
                    stack.append((sub, depth + 1, False, at))


def _collect_lines(node: Any, prefix: str, lines: dict[str, int]) -> None:
    import yaml

    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = f"{prefix}{key_node.value}"
            lines[path] = key_node.start_mark.line + 1
            _collect_lines(value_node, path + ".", lines)
