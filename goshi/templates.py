"""Prompt templates: Markdown files in $XDG_CONFIG_HOME/goshi/prompts/NAME.md.

    NAME.md -> optional YAML front matter (system, model, backend, tools, api, description) + body
    -> render: `{input}` becomes piped stdin and the rest of the arguments, `{args}` the arguments
    alone -> the question; the front matter fills what the command line left unsaid.

Used by `goshi ask -t NAME`, `/NAME` in chat and `goshi templates`. Templates come from the
user's config directory only, never from a project or the workspace: a template sets the system
prompt and the model, so it is trusted like the user's own goshi.yaml. Only the two exact tokens
are replaced, so a body full of other braces (code, JSON) is sent as written.
"""

import re
from pathlib import Path
from typing import Any

from goshi import paths
from goshi.errors import ConfigError, UsageError
from goshi.record import record

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_TOKEN = re.compile(r"\{(input|args)\}")
_KEYS = ("description", "system", "model", "backend", "tools", "api")
SHIPPED = Path(__file__).resolve().parent / "data" / "prompts"


@record(frozen=True, slots=True)
class Template:
    name: str
    path: Path
    body: str
    description: str = ""
    system: str | None = None
    model: str | None = None
    backend: str | None = None
    tools: bool | None = None
    api: str | None = None  # openai.api for this template: auto | chat | responses

    def render(self, piped: str | None, words: list[str]) -> str:
        """The question: the body with {input} and {args} filled in. A body with neither gets
        the input after it, so `cmd | goshi ask -t NAME` works with any template."""
        args = " ".join(words).strip()
        piped = (piped or "").strip("\n")
        given = "\n\n".join(part for part in (piped, args) if part)
        used = set(_TOKEN.findall(self.body))
        if "input" in used and not given:
            raise UsageError(
                f"template {self.name!r} needs input",
                f"pipe text into it or add words: goshi ask -t {self.name} TEXT",
            )
        text = _TOKEN.sub(lambda m: given if m.group(1) == "input" else args, self.body)
        if not used and given:
            text = f"{text.rstrip()}\n\n{given}"
        return text.strip("\n")


def directory() -> Path:
    return paths.config_dir() / "prompts"


def names() -> list[str]:
    """The template names, sorted; cheap enough for Tab completion (no file is parsed)."""
    try:
        files = sorted(directory().glob("*.md"))
    except OSError:
        return []
    return [f.stem for f in files if NAME.fullmatch(f.stem)]


def load(name: str) -> Template:
    path = directory() / f"{name}.md"
    if not NAME.fullmatch(name) or not path.is_file():
        raise UsageError(f"no template {name!r}", _available())
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path} ({exc})", "fix or remove the file") from None
    return parse(name, path, text)


def load_all() -> list[Template]:
    return [load(name) for name in names()]


def _available() -> str:
    found = names()
    if not found:
        return f"there are none in {directory()}: `goshi templates init` adds two examples"
    return f"templates: {', '.join(found)} (in {directory()})"


def parse(name: str, path: Path, text: str) -> Template:
    meta, body = _split_front_matter(text)
    if not meta:
        return Template(name, path, body)
    data = _yaml_mapping(path, meta)
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown front matter key {unknown[0]!r}", f"use {', '.join(_KEYS)}"
        )
    fields: dict[str, Any] = {}
    for key in ("description", "system", "model", "backend", "api"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{path}: {key}: expected text, got {value!r}")
        fields[key] = value
    from goshi.config import BACKENDS, OPENAI_APIS

    if fields["backend"] is not None and fields["backend"] not in BACKENDS:
        raise ConfigError(f"{path}: backend: expected one of {', '.join(BACKENDS)}")
    if fields["api"] is not None and fields["api"] not in OPENAI_APIS:
        raise ConfigError(f"{path}: api: expected one of {', '.join(OPENAI_APIS)}")
    tools = data.get("tools")
    if tools is not None and not isinstance(tools, bool):
        raise ConfigError(f"{path}: tools: expected true or false, got {tools!r}")
    return Template(
        name,
        path,
        body,
        description=fields["description"] or "",
        system=fields["system"],
        model=fields["model"],
        backend=fields["backend"],
        tools=tools,
        api=fields["api"],
    )


def _split_front_matter(text: str) -> tuple[str, str]:
    """('key: value...', body) when the file opens with a `---` block, else ('', text)."""
    text = text.removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return "", text
    for i, line in enumerate(lines[1:], start=1):
        if line.rstrip() == "---":
            return "".join(lines[1:i]), "".join(lines[i + 1 :])
    return "", text


def _yaml_mapping(path: Path, meta: str) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(meta)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: front matter is not valid YAML ({exc})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: front matter must be key: value lines")
    return data
