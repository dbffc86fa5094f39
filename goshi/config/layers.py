"""The layered reader: built-in defaults < the user's goshi.yaml < the project's ./goshi.yaml
< environment < command-line flags, each adding to the ones below it.

The user's file is the first of: --config, $GOSHI_CONFIG, $XDG_CONFIG_HOME/goshi/goshi.yaml; it
is the user's choice and trusted. The project's is ./goshi.yaml, found by goshi itself in the
working directory (project.py). Every value remembers where it came from (`Settings.sources`),
so `goshi config show` can say so.
"""

from __future__ import annotations

import os
from pathlib import Path

from goshi import model_names, paths
from goshi.config.project import apply_project, warn_ignored
from goshi.config.schema import BACKENDS, CALL_OPTIONS, OPENAI_APIS, Overrides, Settings
from goshi.config.values import Reader
from goshi.config.yamlfile import read_yaml
from goshi.errors import ConfigError

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
        Reader(str(file), lines, settings.sources).apply(settings, data, "")
        settings.file = file
        model_names.remember_aliases(file, settings.aliases)  # for Tab, which reads no YAML
    if (project := find_project_file(file)) is not None:
        settings.project = apply_project(settings, project)
    flags = overrides or Overrides()
    _apply_backend(settings, flags.backend)  # first: it decides which model GOSHI_MODEL names
    _apply_env(settings)
    _apply_overrides(settings, flags)
    warn_ignored(settings)
    return settings


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
    if flags.api is not None:
        settings.openai.api = flags.api
        settings.sources["openai.api"] = "template"
    for key, value in flags.options.items():  # checked by values.call_option
        for path in CALL_OPTIONS[key]:
            section, name = path.split(".")
            setattr(getattr(settings, section), name, value)
            settings.sources[path] = f"-o {key}"


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
