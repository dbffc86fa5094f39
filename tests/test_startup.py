"""Startup is a feature: --help and --version must not import the heavy modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.wire_server import WireServer, openai_stream

RUN = """
import sys
sys.argv = ["goshi", *{args!r}]
from goshi.cli import main
try:
    main()
except SystemExit:
    pass
"""
PROBE = (
    RUN
    + """heavy = sorted(m for m in sys.modules
               if m.split(".")[0] in ("httpx", "httpcore", "prompt_toolkit", "yaml")
               or m.startswith("rich.markdown") or m == "rich.console")
print("HEAVY:", heavy, file=sys.stderr)
"""
)


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["ask", "--help"], []])
def test_help_and_version_import_nothing_heavy(args: list[str]) -> None:
    r = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args)],
        capture_output=True,
        text=True,
        timeout=30,
        start_new_session=True,
    )
    assert "HEAVY: []" in r.stderr, r.stderr
    assert "goshi" in r.stdout + r.stderr, "printed nothing"


ASK_PROBE = RUN.format(args=["ask", "hi"]) + (
    'print("MODULES:", " ".join(sorted(sys.modules)), file=sys.stderr)\n'
)
# What a 1-token answer into a pipe must not load: the terminal view, the tool implementations
# (their schemas are data; the code loads on the first tool call), MCP, tokenizers, YAML (no
# goshi.yaml here), and goshi's other commands.
HEAVY = (
    "rich",
    "prompt_toolkit",
    "markdown_it",
    "pygments",
    "pathspec",
    "difflib",
    "re2",
    "regex",
    "yaml",
    "mcp",
    "tokenizers",
    "tiktoken",
    "html.entities",
    "platformdirs",  # goshi/paths.py follows the XDG rules itself on Linux
    "termios",  # the approval prompt's keys: only when a question is asked
    "goshi.agent.tools",
    "goshi.templates",
    "goshi.ui.keys",
    "goshi.llm.ollama",  # the fallback backend is made when it is needed
    "goshi.llm.responses",  # the Responses API dialect: an ask on chat completions needs none
    "goshi.llm.responses_stream",
    "goshi.agent.workspace",
    "goshi.agent.write",
    "goshi.agent.ignore",
    "goshi.mcp",
    "goshi.ui.live",
    "goshi.ui.mdstream",
    "goshi.ui.repl",
    "goshi.commands.chat",
    "goshi.commands.history",
    "goshi.commands.status",
    "goshi.commands.config",
    "goshi.commands.cost",
    "goshi.commands.prices",
    "goshi.commands.models",
    "goshi.commands.mcp",
)


def modules_of(code: str, env: dict[str, str], cwd: Path) -> tuple[set[str], str]:
    r = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=30,
        start_new_session=True,
    )
    line = next(x for x in r.stderr.splitlines() if x.startswith("MODULES: "))
    return set(line.removeprefix("MODULES: ").split()), r.stdout


def test_a_one_token_ask_into_a_pipe_imports_nothing_heavy(
    env: dict[str, str], home: Path, server: WireServer
) -> None:
    """Modules beyond what Typer and httpx load themselves, matched against the heavy list: a
    newcomer there fails here (difflib, say, is fine while Typer imports it anyway)."""
    env = {k: v for k, v in env.items() if k != "GOSHI_CONFIG"}  # no goshi.yaml: no YAML either
    server.openai.default = openai_stream(["Hi"])
    floor, _ = modules_of(
        "import sys, json, typer, httpx\nprint('MODULES:', ' '.join(sys.modules), file=sys.stderr)",
        env,
        home / "work",
    )
    ask, answer = modules_of(ASK_PROBE, env, home / "work")
    assert answer == "Hi\n", "the probe did not get the answer"
    assert "goshi.llm.openai" in ask and "sqlean" in ask  # the probe reached the store
    heavy = sorted(m for m in ask - floor if any(m == h or m.startswith(h + ".") for h in HEAVY))
    assert heavy == [], f"a 1-token ask imported {heavy}"


DATACLASS_PROBE = (
    RUN.format(args=["ask", "hi"])
    + """
made = sorted(
    f"{name}.{attr}"
    for name, module in list(sys.modules.items())
    if name.split(".")[0] == "goshi"
    for attr, value in vars(module).items()
    if isinstance(value, type) and value.__module__ == name
    and "__dataclass_fields__" in vars(value)
)
print("MODULES:", " ".join(made), file=sys.stderr)
"""
)


def test_a_one_token_ask_compiles_no_dataclass(
    env: dict[str, str], home: Path, server: WireServer
) -> None:
    """A dataclass compiles its methods when its module loads (0.4-1 ms a class); the classes an
    ask imports are records (goshi/record.py), declared the same way for a fraction of that."""
    server.openai.default = openai_stream(["Hi"])
    made, answer = modules_of(DATACLASS_PROBE, env, home / "work")
    assert answer == "Hi\n", "the probe did not get the answer"
    assert not made, f"dataclasses on the ask path: {sorted(made)}"
