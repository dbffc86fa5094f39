"""What an MCP server costs a first turn: `goshi ask` with one stdio server configured, against
the same ask with none, and a turn with one MCP tool round against one with a read_file round.

    python bench/mcp.py [--runs N]

The server is tests/mcp_server.py (Python, so its own start is most of the difference); the
answers come from the loopback wire server in this process, queued per run. Runs interleave.
Also: the import time of goshi's MCP client, and (with --sdk-python) of the official SDK's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import GOSHI, PYTHON, ROOT, environment, run_piped

sys.path.insert(0, str(ROOT))
from tests.wire_server import WireServer, openai_stream

SERVER = str(ROOT / "tests" / "mcp_server.py")


def tool_round(name: str, args: dict[str, str]):  # type: ignore[no-untyped-def]
    return openai_stream([], tool_calls=[("call_1", name, json.dumps(args))])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--sdk-python", help="a python with the `mcp` SDK, to time its import")
    args = parser.parse_args()
    runs = args.runs
    server = WireServer().start()
    rows: dict[str, list[float]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            (home / "work").mkdir()
            (home / "work" / "README.md").write_text("hello\n")
            (home / "none.yaml").write_text("backend: openai\n")
            (home / "one.yaml").write_text(
                "backend: openai\nmcp:\n  servers:\n"
                f"    t: {{command: {PYTHON}, args: [{SERVER}], allow: [echo]}}\n"
            )
            none = environment(home, server.url, GOSHI_CONFIG=str(home / "none.yaml"))
            one = environment(home, server.url, GOSHI_CONFIG=str(home / "one.yaml"))
            cases = {
                "ask, no MCP server": (none, None),
                "ask, one MCP server (started, handshake, tools/list)": (one, None),
                "ask with one read_file round, no MCP server": (
                    none,
                    ("read_file", {"path": "README.md"}),
                ),
                "ask with one MCP tool round (t__echo)": (one, ("t__echo", {"text": "hello"})),
            }
            os.chdir(home / "work")
            for _ in range(runs + 1):  # the first round warms caches and is not counted
                for label, (env, call) in cases.items():
                    if call is not None:
                        server.openai.push(tool_round(*call), openai_stream("ok"))
                    else:
                        server.openai.push(openai_stream("ok"))
                    run = run_piped([GOSHI, "ask", "hi"], env)
                    assert run.output == b"ok\n", run.output
                    rows.setdefault(label, []).append(run.wall_s)
            imports = import_times(runs, args.sdk_python)
    finally:
        server.stop()
    print(f"{runs} runs, medians\n\n| what | ms |\n|---|---:|")
    for label, walls in rows.items():
        print(f"| {label} | {statistics.median(walls[1:]) * 1000:.1f} |")
    for label, ms in imports.items():
        print(f"| {label} | {ms:.1f} |")


def import_times(runs: int, sdk_python: str | None) -> dict[str, float]:
    """What the MCP client adds to the imports an ask makes anyway; and, given an interpreter
    with the official SDK installed, what its client imports cost over a bare start there."""
    cases = [
        (
            "import goshi.turn.session (an ask imports this anyway)",
            PYTHON,
            "import goshi.turn.session",
        ),
        (
            "import goshi.turn.session + goshi's MCP client (goshi.mcp.bridge)",
            PYTHON,
            "import goshi.turn.session, goshi.mcp.bridge",
        ),
    ]
    if sdk_python:
        cases += [
            ("SDK interpreter: python -c pass", sdk_python, "pass"),
            (
                "SDK interpreter: import mcp.ClientSession, mcp.client.stdio",
                sdk_python,
                "from mcp import ClientSession; from mcp.client.stdio import stdio_client",
            ),
        ]
    out: dict[str, list[float]] = {}
    for _ in range(runs):
        for label, python, code in cases:
            start = time.perf_counter()
            run_piped([python, "-c", code], {"PATH": "/usr/bin:/bin"})
            out.setdefault(label, []).append(time.perf_counter() - start)
    return {k: statistics.median(v) * 1000 for k, v in out.items()}


if __name__ == "__main__":
    main()
