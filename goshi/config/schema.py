"""The settings records: every key goshi.yaml may hold, its type, its default and its bounds.

A field's metadata is what validation (values.py) checks: `choices`, `min`, `max` (else
values.MAX_NUMBER), `inf` (an infinity means never: null), `required`, `key` and `text` (a
`Text` that names and text values must be), and `internal` (not a setting: never read from a file).
"""

from __future__ import annotations

import os
import re
from dataclasses import field
from pathlib import Path
from typing import Any

from goshi.record import record

BACKENDS = ("auto", "openai", "ollama")
CAP_FIELDS = ("auto", "max_tokens", "max_completion_tokens")
THINK = (True, False, "low", "medium", "high")
OPENAI_APIS = ("auto", "chat", "responses")
EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
OPENAI_URL = "https://api.openai.com/v1"
TEMPERATURE = {"min": 0, "max": 2}
TOP_P = {"min": 0, "max": 1}
SEED = {"min": 0, "max": 2**63 - 1}
# `-o KEY VALUE`: a per-call model option, and the settings it sets (checked as they are)
CALL_OPTIONS: dict[str, tuple[str, ...]] = {
    "temperature": ("openai.temperature", "ollama.temperature"),
    "top_p": ("openai.top_p", "ollama.top_p"),
    "max_tokens": ("openai.max_tokens", "ollama.num_predict"),
    "seed": ("openai.seed", "ollama.seed"),
    "reasoning_effort": ("openai.reasoning_effort",),
    "num_ctx": ("ollama.num_ctx",),
    "think": ("ollama.think",),
}


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
    top_p: float | None = field(default=None, metadata=TOP_P)
    seed: int | None = field(default=None, metadata=SEED)
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
    top_p: float | None = field(default=None, metadata=TOP_P)
    seed: int | None = field(default=None, metadata=SEED)
    num_predict: int | None = field(default=None, metadata={"min": 1})  # the answer's cap
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
    cache_write_per_mtok: float | None = field(default=None, metadata={"min": 0})  # null: input
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
    state: str  # goshi.config.trust.TRUSTED, UNTRUSTED or CHANGED
    ignored: list[str] = field(default_factory=list)  # keys its trust could not set
    applied: list[str] = field(default_factory=list)  # untrusted: the harmless keys it set
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

    def openai_key_configured(self) -> bool:
        """A key is set, or the URL is not OpenAI's own (local servers need no key)."""
        return self.api_key() is not None or not self.openai_is_openai()

    def primary_backend(self) -> str:
        """The backend asked first, whose section a model named for this run belongs to, and
        the one goshi/llm/select.py routes to: `auto` without an OpenAI key is Ollama."""
        if self.backend == "ollama" or (
            self.backend == "auto" and not self.openai_key_configured()
        ):
            return "ollama"
        return "openai"

    def source(self, path: str) -> str:
        return self.sources.get(path, "default")


@record
class Overrides:
    """What the command line says; None means 'not given'."""

    backend: str | None = None
    model: str | None = None
    system: str | None = None
    tools: bool | None = None
    options: dict[str, Any] = field(default_factory=dict)  # -o KEY VALUE, checked (CALL_OPTIONS)
    api: str | None = None  # a template's `api:` (OPENAI_APIS, checked when it was read)
