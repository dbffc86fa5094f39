"""Settings, in layers: built-in defaults < the user's goshi.yaml < the project's ./goshi.yaml
< environment < command-line flags. Each layer adds to the ones below it.

The user's file is the first of: --config, $GOSHI_CONFIG, $XDG_CONFIG_HOME/goshi/goshi.yaml; it
is the user's choice and trusted. The project's is ./goshi.yaml, found by goshi itself in the
working directory: until `goshi config trust` records it (goshi/trust.py), only its harmless keys
apply, and one stderr line names the keys it ignored. Every value remembers where it came from
(`Settings.sources`), so `goshi config show` can say so. Validation errors name the file, the line
and the key path. The API key is never part of the settings: it is read from the environment when
a request is built.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import math
import os
import re
import types
from dataclasses import field
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from goshi import paths
from goshi.errors import ConfigError
from goshi.record import fields, is_record, record

log = logging.getLogger("goshi")
BACKENDS = ("auto", "openai", "ollama")
CAP_FIELDS = ("auto", "max_tokens", "max_completion_tokens")
THINK = (True, False, "low", "medium", "high")
OPENAI_APIS = ("auto", "chat", "responses")
EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
OPENAI_URL = "https://api.openai.com/v1"
EXPONENT = r"[-+]?[0-9]+(\.[0-9]*)?[eE][-+]?[0-9]+"  # 1e-3: YAML 1.1 reads it as text
MAX_NUMBER = 1_000_000_000  # the largest number any setting takes: more is a typo
TEMPERATURE = {"min": 0, "max": 2}


@record(frozen=True)
class Text:
    """What a name or value in the settings may be: `pattern`, printable; `said` if not."""

    pattern: re.Pattern[str]
    said: str

    def ok(self, text: str) -> bool:
        return bool(self.pattern.fullmatch(text)) and text.isprintable()


# an MCP server's name is the first half of its tools' names (NAME__tool), which OpenAI limits
SERVER_NAME = Text(
    re.compile(r"[A-Za-z0-9-]+(_[A-Za-z0-9-]+)*"), "a name of letters, digits, - and single _"
)
ENV_NAME = Text(re.compile(r"[A-Za-z_][A-Za-z0-9_]*"), "a variable name: letters, digits and _")
MODEL_NAME = Text(re.compile(r"[^\s-]\S*"), "a name without spaces, not starting with -")


@record
class OpenAISettings:
    """The `openai:` section: the endpoint, the model and how to ask it."""

    base_url: str = OPENAI_URL
    model: str = "gpt-4o-mini"
    api_key_env: str = "OPENAI_API_KEY"
    max_tokens: int | None = field(default=None, metadata={"min": 1})
    temperature: float | None = field(default=None, metadata=TEMPERATURE)
    service_tier: str | None = None  # sent as asked; billed at the tier the response names
    max_tokens_field: str = field(default="auto", metadata={"choices": CAP_FIELDS})
    stream_options: bool = True
    api: str = field(default="auto", metadata={"choices": OPENAI_APIS})  # chat or Responses
    store: bool = False  # let OpenAI keep Responses for 30 days
    reasoning_effort: str | None = field(default=None, metadata={"choices": EFFORTS})


@record
class OllamaSettings:
    """The `ollama:` section: the local server, the model and its options."""

    host: str = "http://localhost:11434"
    model: str = "llama3.2"
    temperature: float | None = field(default=None, metadata=TEMPERATURE)
    num_ctx: int | None = field(default=None, metadata={"min": 256, "max": 2_097_152})
    keep_alive: str | None = None
    first_byte_timeout_s: float = field(default=300.0, metadata={"min": 0.001})
    think: bool | str | None = field(default=None, metadata={"choices": THINK})


@record
class RetrySettings:
    """The `retry:` section: total tries and the backoff between them."""

    attempts: int = field(default=3, metadata={"min": 1})
    base_delay_s: float = field(default=1.0, metadata={"min": 0})
    max_delay_s: float = field(default=20.0, metadata={"min": 0})


@record
class BreakerSettings:
    """The `breaker:` section: failures that open a backend's circuit, and for how long."""

    failure_threshold: int = field(default=5, metadata={"min": 1})
    cooldown_s: float = field(default=30.0, metadata={"min": 0})


@record
class ToolsSettings:
    """The `tools:` section: whether the model gets tools, where, and how many rounds."""

    enabled: bool = True
    workspace: str = "."
    max_steps: int = field(default=8, metadata={"min": 1})
    commands: bool = True  # offer run_command
    allow_commands: list[str] = field(default_factory=list)  # run without asking: prefixes, globs
    command_timeout_s: float = field(default=120.0, metadata={"min": 1})
    command_env: list[str] = field(default_factory=list, metadata={"text": ENV_NAME})


@record
class LongContextPrice:
    """Past `threshold_tokens` prompt tokens, the whole request is billed at these multiples."""

    threshold_tokens: int | None = field(default=None, metadata={"min": 1})
    input_multiplier: float = field(default=1.0, metadata={"min": 0})
    output_multiplier: float = field(default=1.0, metadata={"min": 0})


@record
class TierPrice:
    """A service tier's price: a multiple of the standard rates, or rates of its own."""

    multiplier: float | None = field(default=None, metadata={"min": 0})
    input_per_mtok: float | None = field(default=None, metadata={"min": 0})
    cached_input_per_mtok: float | None = field(default=None, metadata={"min": 0})
    output_per_mtok: float | None = field(default=None, metadata={"min": 0})


@record
class Price:
    """One model's price in `cost.prices`, USD per 1M tokens."""

    input_per_mtok: float = field(default=0.0, metadata={"min": 0})
    output_per_mtok: float = field(default=0.0, metadata={"min": 0})
    cached_input_per_mtok: float | None = field(default=None, metadata={"min": 0})
    long_context: LongContextPrice = field(default_factory=LongContextPrice)
    service_tiers: dict[str, TierPrice] = field(default_factory=dict)
    regional_uplift: float | None = field(default=None, metadata={"min": 0})


@record
class CostSettings:
    """The `cost:` section: the warning, the limits and per-model prices (.inf: never, null)."""

    warn_usd: float | None = field(default=1.0, metadata={"min": 0, "inf": "never"})
    session_limit_usd: float | None = field(default=None, metadata={"min": 0, "inf": "never"})
    daily_limit_usd: float | None = field(default=None, metadata={"min": 0, "inf": "never"})
    prices: dict[str, Price] = field(default_factory=dict)


CONTEXT_STRATEGIES = ("summarize", "drop")


@record
class ContextSettings:
    """What to do when a conversation outgrows the model's context window (goshi/context/)."""

    strategy: str = field(default="summarize", metadata={"choices": CONTEXT_STRATEGIES})
    reserve_tokens: int | None = field(default=None, metadata={"min": 1})
    keep_turns: int = field(default=2, metadata={"min": 0})
    windows: dict[str, int] = field(default_factory=dict, metadata={"min": 1})
    project_instructions: bool = True  # send AGENTS.md files
    instructions_max_kib: int = field(default=32, metadata={"min": 1, "max": 1024})


@record
class McpServer:
    """One stdio MCP server: the command goshi starts, and the tools it may call unasked."""

    command: str = field(default="", metadata={"required": True})
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    allow: list[str] = field(default_factory=list)


@record
class McpSettings:
    """The `mcp:` section: the user's stdio MCP servers."""

    servers: dict[str, McpServer] = field(default_factory=dict, metadata={"key": SERVER_NAME})
    call_timeout_s: float = field(default=60.0, metadata={"min": 0.001})


@record
class HttpSettings:
    """The `http:` section: the connection pool and the timeouts."""

    max_connections: int = field(default=10, metadata={"min": 1})
    max_keepalive: int = field(default=5, metadata={"min": 0})
    keepalive_expiry_s: float = field(default=90.0, metadata={"min": 0})
    connect_timeout_s: float = field(default=5.0, metadata={"min": 0.001})
    read_timeout_s: float = field(default=120.0, metadata={"min": 0.001})


@record
class ProjectFile:
    """A ./goshi.yaml found in the working directory, and what its trust let it set."""

    path: Path
    state: str  # goshi.trust.TRUSTED, UNTRUSTED or CHANGED
    ignored: list[str] = field(default_factory=list)  # keys its trust could not set
    invalid: list[str] = field(default_factory=list)  # problems found in it, each ignored


@record
class Settings:
    """Every setting, from the layers described at the top of this module."""

    backend: str = field(default="auto", metadata={"choices": BACKENDS})
    system: str | None = None
    openai: OpenAISettings = field(default_factory=OpenAISettings)
    ollama: OllamaSettings = field(default_factory=OllamaSettings)
    retry: RetrySettings = field(default_factory=RetrySettings)
    breaker: BreakerSettings = field(default_factory=BreakerSettings)
    tools: ToolsSettings = field(default_factory=ToolsSettings)
    cost: CostSettings = field(default_factory=CostSettings)
    mcp: McpSettings = field(default_factory=McpSettings)
    context: ContextSettings = field(default_factory=ContextSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    aliases: dict[str, str] = field(
        default_factory=dict, metadata={"key": MODEL_NAME, "text": MODEL_NAME}
    )
    file: Path | None = field(default=None, metadata={"internal": True})  # the user's own
    project: ProjectFile | None = field(default=None, metadata={"internal": True})
    sources: dict[str, str] = field(default_factory=dict, metadata={"internal": True})

    def api_key(self) -> str | None:
        return os.environ.get(self.openai.api_key_env) or None

    def openai_is_openai(self) -> bool:
        """Is openai.base_url OpenAI's own API (not a local or third-party compatible server)?"""
        return self.openai.base_url.rstrip("/") == OPENAI_URL

    def primary_backend(self) -> str:
        return "ollama" if self.backend == "ollama" else "openai"

    def source(self, path: str) -> str:
        return self.sources.get(path, "default")


@record
class Overrides:
    """What the command line says; None means 'not given'."""

    backend: str | None = None
    model: str | None = None
    system: str | None = None
    tools: bool | None = None


# --- file discovery ------------------------------------------------------------------------------


def find_config_file(explicit: str | Path | None = None) -> Path | None:
    """The user's own file: --config, else $GOSHI_CONFIG, else the XDG one if it exists."""
    if explicit is not None:
        return _must_exist(Path(explicit), "--config")
    env = os.environ.get("GOSHI_CONFIG")
    if env:
        return _must_exist(Path(env), "$GOSHI_CONFIG")
    candidate = paths.user_config_file()
    return candidate if candidate.is_file() else None


def find_project_file(user_file: Path | None) -> Path | None:
    """./goshi.yaml, unless it is the user's own file named another way."""
    candidate = Path("goshi.yaml")
    if not candidate.is_file():
        return None
    if user_file is not None and candidate.resolve() == user_file.resolve():
        return None
    return candidate


def _must_exist(path: Path, named_by: str) -> Path:
    if not path.is_file():
        raise ConfigError(
            f"{path}: no such config file (named by {named_by})",
            "create it with `goshi config init`, or fix the path",
        )
    return path


# --- loading -------------------------------------------------------------------------------------


def load(explicit: str | Path | None = None, overrides: Overrides | None = None) -> Settings:
    settings = Settings()
    file = find_config_file(explicit)
    if file is not None:
        data, lines = read_yaml(file)
        _Reader(str(file), lines, settings.sources).apply(settings, data, "")
        settings.file = file
    if (project := find_project_file(file)) is not None:
        settings.project = _apply_project(settings, project)
        _warn_ignored(settings.project)
    flags = overrides or Overrides()
    _apply_backend(settings, flags.backend)  # first: it decides which model GOSHI_MODEL names
    _apply_env(settings)
    _apply_overrides(settings, flags)
    return settings


def _apply_project(settings: Settings, file: Path) -> ProjectFile:
    """A trusted project file applies whole (an error in it is the user's to fix: exit 3); any
    other only its harmless keys, and nothing in it can stop goshi: an unreadable file, bad YAML,
    an unknown key or a bad value is ignored and named in the one warning line."""
    from goshi import trust

    try:
        raw = _read_bytes(file)
    except ConfigError as exc:
        return ProjectFile(file, trust.UNTRUSTED, invalid=[_after_file(exc.message, file)])
    project = ProjectFile(file, trust.state(file, raw))
    if project.state == trust.TRUSTED:
        data, lines = read_yaml(file, raw)
        _Reader(str(file), lines, settings.sources).apply(settings, data, "")
        return project
    try:
        data, lines = read_yaml(file, raw)
    except ConfigError as exc:
        project.invalid.append(_after_file(exc.message, file))
        return project
    scratch, sources = Settings(), dict[str, str]()
    reader = _Reader(str(file), lines, sources, problems=[])
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


def _warn_ignored(project: ProjectFile) -> None:
    """Once per run, one line: the keys an untrusted project file could not set, what in it was
    invalid (and ignored), and how to trust it."""
    from goshi import trust

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


def check_file(file: Path, raw: bytes | None = None) -> None:
    """Parse and validate a goshi.yaml; ConfigError names the line of the first problem."""
    data, lines = read_yaml(file, raw)
    _Reader(str(file), lines, {}).apply(Settings(), data, "")


def _read_bytes(file: Path) -> bytes:
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
        text = (_read_bytes(file) if raw is None else raw).decode("utf-8")
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


@record
class _Reader:
    """Copies a parsed YAML mapping onto the settings dataclasses, checking every value."""

    origin: str
    lines: dict[str, int]
    sources: dict[str, str]
    problems: list[str] | None = None  # a list: collect each problem and go on, else raise

    def where(self, path: str) -> str:
        return f"{self.origin}:{self.lines.get(path, 1)}"

    def apply(self, target: Any, data: dict[str, Any], prefix: str) -> None:
        hints = get_type_hints(type(target))
        known = {f.name: f for f in fields(target) if not f.metadata.get("internal")}
        for key, value in data.items():
            try:
                self._apply_key(target, hints, known, str(key), value, prefix)
            except ConfigError as exc:
                if self.problems is None:
                    raise
                self.problems.append(exc.message)
        for name, fld in known.items():
            if fld.metadata.get("required") and not getattr(target, name):
                error = ConfigError(
                    f"{self.where(prefix.rstrip('.'))}: {prefix}{name}: a value is required"
                )
                if self.problems is None:
                    raise error
                self.problems.append(error.message)

    def _apply_key(
        self,
        target: Any,
        hints: dict[str, Any],
        known: dict[str, dataclasses.Field[Any]],
        key: str,
        value: Any,
        prefix: str,
    ) -> None:
        path = f"{prefix}{key}"
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=1)
            hint = f"did you mean '{prefix}{close[0]}'?" if close else "remove it"
            raise ConfigError(f"{self.where(path)}: {path}: unknown setting", hint)
        kind = hints[key]
        if is_record(kind):
            if value is not None:
                self.apply(getattr(target, key), self.mapping(value, path), path + ".")
            return
        if get_origin(kind) is dict:  # a lower layer's entries stay unless named again
            value = {
                **getattr(target, key),
                **self.table(value, path, get_args(kind)[1], known[key]),
            }
        elif get_origin(kind) is list:
            value = self.items(value, path, get_args(kind)[0], known[key])
        else:
            value = _coerce(value, kind, known[key], path, self.where(path))
        setattr(target, key, value)
        self.sources[path] = self.where(path)

    def mapping(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ConfigError(f"{self.where(path)}: {path}: expected a mapping, got {value!r}")
        return value

    def table(
        self, value: Any, path: str, kind: Any, fld: dataclasses.Field[Any]
    ) -> dict[str, Any]:
        """A mapping of names to settings (cost.prices, mcp.servers) or to text (an env)."""
        table: dict[str, Any] = {}
        pattern = fld.metadata.get("key")
        for name, spec in ({} if value is None else self.mapping(value, path)).items():
            sub = f"{path}.{name}"
            if pattern is not None and not pattern.ok(str(name)):
                raise ConfigError(f"{self.where(sub)}: {sub}: {pattern.said}", "rename it")
            if isinstance(kind, type) and is_record(kind):
                entry = kind()
                self.apply(entry, self.mapping(spec, sub), sub + ".")
            else:
                entry = _coerce(spec, kind, fld, sub, self.where(sub))
            table[str(name)] = entry
        return table

    def items(self, value: Any, path: str, kind: Any, fld: dataclasses.Field[Any]) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise ConfigError(f"{self.where(path)}: {path}: expected a list, got {value!r}")
        return [
            _coerce(v, kind, fld, f"{path}[{i}]", self.where(path)) for i, v in enumerate(value)
        ]


def _apply_env(settings: Settings) -> None:
    if url := os.environ.get("OPENAI_BASE_URL"):
        settings.openai.base_url = url
        settings.sources["openai.base_url"] = "env OPENAI_BASE_URL"
    if host := os.environ.get("OLLAMA_HOST"):
        settings.ollama.host = normalize_ollama_host(host)
        settings.sources["ollama.host"] = "env OLLAMA_HOST"
    if api := os.environ.get("GOSHI_OPENAI_API"):
        if api not in OPENAI_APIS:
            raise ConfigError(
                f"GOSHI_OPENAI_API: expected one of {', '.join(OPENAI_APIS)}, got {api!r}",
                "fix or unset the variable",
            )
        settings.openai.api = api
        settings.sources["openai.api"] = "env GOSHI_OPENAI_API"
    if model := os.environ.get("GOSHI_MODEL"):
        set_model(settings, model, "env GOSHI_MODEL")


def _apply_backend(settings: Settings, backend: str | None) -> None:
    if backend is None:
        return
    if backend not in BACKENDS:
        raise ConfigError(f"--backend: expected one of {', '.join(BACKENDS)}, got {backend!r}")
    settings.backend = backend
    settings.sources["backend"] = "--backend"


def _apply_overrides(settings: Settings, flags: Overrides) -> None:
    if flags.model:
        set_model(settings, flags.model, "--model")
    if flags.system is not None:
        settings.system = flags.system
        settings.sources["system"] = "--system"
    if flags.tools is not None:
        settings.tools.enabled = flags.tools
        settings.sources["tools.enabled"] = "--no-tools"


def set_model(settings: Settings, model: str, source: str) -> None:
    """A model named on the command line or in GOSHI_MODEL is for the primary backend; a name
    in the user's `aliases` stands for its model."""
    backend = settings.primary_backend()
    getattr(settings, backend).model = resolve_alias(settings, model)
    alias = f" (alias {model})" if model in settings.aliases else ""
    settings.sources[f"{backend}.model"] = source + alias


def resolve_alias(settings: Settings, name: str) -> str:
    """`-m fast` with `aliases: {fast: gpt-4.1-nano}` -> gpt-4.1-nano; any other name as given.
    One step: an alias's model is never looked up again."""
    return settings.aliases.get(name, name)


def normalize_ollama_host(host: str) -> str:
    """Accept what Ollama itself accepts: `host`, `host:port`, `:port`, or a full URL."""
    host = host.strip().rstrip("/")
    scheme = "http"
    if "://" in host:
        scheme, host = host.split("://", 1)
    if host.startswith("["):  # [::1]:11434
        hostname, _, port = host[1:].partition("]")
        hostname, port = f"[{hostname}]", port.lstrip(":")
    else:
        hostname, _, port = host.partition(":")
    if hostname in ("", "0.0.0.0"):
        hostname = "localhost"
    return f"{scheme}://{hostname}:{port or '11434'}"


def _coerce(value: Any, kind: Any, fld: dataclasses.Field[Any], path: str, where: str) -> Any:
    args = get_args(kind)
    optional = get_origin(kind) in (Union, types.UnionType) and type(None) in args
    base = next(a for a in args if a is not type(None)) if optional else kind
    if value is None:
        if optional:
            return None
        raise ConfigError(f"{where}: {path}: a value is required")
    if base is bool:
        ok = isinstance(value, bool) or (str in args and isinstance(value, str))
    elif base is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif base is float:
        if isinstance(value, str) and re.fullmatch(EXPONENT, value):
            value = float(value)
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and isinstance(value, float) and not math.isfinite(value):
            if value > 0 and optional and fld.metadata.get("inf"):
                return None  # `cost.warn_usd: .inf`: never
            raise ConfigError(f"{where}: {path}: expected a finite number, got {value!r}")
        value = float(value) if ok and abs(value) <= MAX_NUMBER else value
    else:
        ok = isinstance(value, str)
        if ok and (text := fld.metadata.get("text")) is not None and not text.ok(value):
            raise ConfigError(f"{where}: {path}: expected {text.said}, got {value!r}")
    if not ok:
        expected = {bool: "true or false", int: "an integer", float: "a number"}.get(base, "text")
        raise ConfigError(f"{where}: {path}: expected {expected}, got {value!r}")
    _check_bounds(value, fld, path, where)
    return value


def _check_bounds(value: Any, fld: dataclasses.Field[Any], path: str, where: str) -> None:
    choices = fld.metadata.get("choices")
    if choices and (value not in choices or type(value) not in {type(c) for c in choices}):
        said = ", ".join(str(c).lower() if isinstance(c, bool) else c for c in choices)
        raise ConfigError(f"{where}: {path}: expected one of {said}, got {value!r}")
    low = fld.metadata.get("min")
    if low is not None and value < low:
        raise ConfigError(f"{where}: {path}: must be at least {low}, got {value!r}")
    high = fld.metadata.get("max", MAX_NUMBER)
    if isinstance(value, int | float) and not isinstance(value, bool) and value > high:
        said = f"{high:g}" if high >= MAX_NUMBER else str(high)
        raise ConfigError(f"{where}: {path}: must be at most {said}, got {value!r}")
