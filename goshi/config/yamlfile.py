"""Reading a goshi.yaml: its bytes, its mapping, and the line each key stands on.

PyYAML is imported here, on the first file read, never at goshi's start (`goshi --help` and an
ask without a config file go without it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from goshi.errors import ConfigError


def read_bytes(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"{file}: cannot read ({exc.strerror})", "check the file's permissions"
        ) from None


def read_yaml(file: Path, raw: bytes | None = None) -> tuple[dict[str, Any], dict[str, int]]:
    """The file's mapping and, for every key path, the line it stands on."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        text = (read_bytes(file) if raw is None else raw).decode("utf-8")
        data = yaml.load(text, Loader=loader)
        node = yaml.compose(text, Loader=loader)
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: not UTF-8 text", "save the file as UTF-8") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark is not None else str(file)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: invalid YAML: {problem}", "fix the syntax") from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise ConfigError(f"{file}:1: expected a mapping of settings at the top level")
    lines: dict[str, int] = {}
    _collect_lines(node, "", lines)
    return data, lines


def _collect_lines(node: Any, prefix: str, lines: dict[str, int]) -> None:
    import yaml

    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = f"{prefix}{key_node.value}"
            lines[path] = key_node.start_mark.line + 1
            _collect_lines(value_node, path + ".", lines)
