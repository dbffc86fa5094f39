"""goshi's settings, a package along its seams:

    schema.py    the records: every key, its type, default and bounds
    yamlfile.py  a goshi.yaml's bytes, mapping and key lines (PyYAML, imported on first read)
    values.py    validation: a mapping copied onto the records, each value checked (file:line)
    trust.py     which project files the user trusted, and which keys are harmless without it
    project.py   a project's ./goshi.yaml: what its trust lets it set, and the one warning line
    layers.py    the layers: defaults < user file < project file < environment < flags

Each imports only the ones above it in this list (trust.py checks a file with values.py before
trusting it; project.py asks trust.py), so there is no cycle. The API key is never part of the
settings: it is read from the environment when a request is built. Importers use the names
below: `from goshi.config import Settings, load`.
"""

from __future__ import annotations

from goshi.config.layers import (
    find_config_file,
    find_project_file,
    load,
    normalize_ollama_host,
    resolve_alias,
    set_model,
)
from goshi.config.schema import (
    BACKENDS,
    CALL_OPTIONS,
    CAP_FIELDS,
    CONTEXT_STRATEGIES,
    EFFORTS,
    ENV_NAME,
    MODEL_NAME,
    OPENAI_APIS,
    OPENAI_URL,
    SERVER_NAME,
    TEMPERATURE,
    THINK,
    BreakerSettings,
    ContextSettings,
    CostSettings,
    HttpSettings,
    LongContextPrice,
    McpServer,
    McpSettings,
    OllamaSettings,
    OpenAISettings,
    Overrides,
    Price,
    ProjectFile,
    RetrySettings,
    Settings,
    Text,
    TierPrice,
    ToolsSettings,
)
from goshi.config.values import EXPONENT, MAX_NUMBER, call_option, check_file
from goshi.config.yamlfile import read_yaml

__all__ = [
    "BACKENDS",
    "CALL_OPTIONS",
    "CAP_FIELDS",
    "CONTEXT_STRATEGIES",
    "EFFORTS",
    "ENV_NAME",
    "EXPONENT",
    "MAX_NUMBER",
    "MODEL_NAME",
    "OPENAI_APIS",
    "OPENAI_URL",
    "SERVER_NAME",
    "TEMPERATURE",
    "THINK",
    "BreakerSettings",
    "ContextSettings",
    "CostSettings",
    "HttpSettings",
    "LongContextPrice",
    "McpServer",
    "McpSettings",
    "OllamaSettings",
    "OpenAISettings",
    "Overrides",
    "Price",
    "ProjectFile",
    "RetrySettings",
    "Settings",
    "Text",
    "TierPrice",
    "ToolsSettings",
    "call_option",
    "check_file",
    "find_config_file",
    "find_project_file",
    "load",
    "normalize_ollama_host",
    "read_yaml",
    "resolve_alias",
    "set_model",
]
