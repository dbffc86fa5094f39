"""edit_file against write_file: goshi's own time for an edit, and the output tokens a change costs.

    python bench/edit.py [--runs N]

1. goshi's own time for edit_file on a 5,000-line file (find the match, check the lines were
   read, diff, atomic write), in-process through Toolbox.run with an approver that says yes at
   once; the floor beside it: difflib's unified diff of the whole file, what a naive diff costs.
2. The same edit end to end: `goshi ask -y -v` against the loopback wire server; the tool line's
   duration is read from stderr.
3. Output tokens of a one-line change to a 400-line file, write_file (the whole file) against
   edit_file (the line and a little context), as the wire server counts them
   (tests/wire_server.py completion_tokens) and as goshi reports them in --json.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import GOSHI, ROOT, environment

sys.path.insert(0, str(ROOT))
from goshi.agent.tools import Toolbox
from goshi.agent.workspace import Workspace
from goshi.llm.types import ToolCall
from tests.wire_server import WireServer, completion_tokens, openai_stream


class Yes:
    def __call__(self, rel: str, diff: str, new_file: bool, tool: str = "write_file") -> bool:
        return True

    def command(self, command: str, cwd: str, timeout_s: float, why: str = "") -> str | None:
        return None

    def allowlist_applies(self) -> str:
        return ""

    def new_turn(self) -> None:
        pass


def tool(name: str, **args: object) -> ToolCall:
    return ToolCall("c", name, json.dumps(args))


def lines_of(n: int) -> str:
    return "".join(f"    value_{i} = compute(value_{i - 1}, {i})  # step {i}\n" for i in range(n))


def own_time(runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.py"
        text = lines_of(5000)
        big.write_text(text)
        box = Toolbox(Workspace(tmp), Yes())
        box.run(tool("read_file", path="big.py", start_line=2490, end_line=2510))
        times, floor = [], []
        old, new = "value_2500 = compute(value_2499, 2500)", "value_2500 = compute(value_2499, 0)"
        for i in range(runs):
            a, b = (old, new) if i % 2 == 0 else (new, old)
            start = time.perf_counter()
            result = box.run(tool("edit_file", path="big.py", old_string=a, new_string=b))
            times.append(time.perf_counter() - start - result.waited_s)
            assert result.ok, result.content
            before, after = big.read_text().splitlines(True), text.splitlines(True)
            start = time.perf_counter()
            "".join(difflib.unified_diff(before, after))
            floor.append(time.perf_counter() - start)
    times.sort()
    return {
        "median_ms": statistics.median(times) * 1000,
        "p95_ms": times[int(len(times) * 0.95) - 1] * 1000,
        "whole_file_difflib_ms": statistics.median(floor) * 1000,
    }


def ask(server: WireServer, home: Path, *replies: object) -> tuple[dict[str, object], str]:
    import subprocess

    server.openai.push(*replies)  # type: ignore[arg-type]
    env = environment(home, server.url, GOSHI_CONFIG=str(home / "bench.yaml"))
    proc = subprocess.run(
        [GOSHI, "ask", "--json", "-y", "-v", "change it"],
        cwd=home / "work",
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout), proc.stderr


def round_of(*calls: tuple[str, str, str]) -> object:
    return openai_stream([], tool_calls=list(calls))


def over_the_wire() -> dict[str, object]:
    server = WireServer().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            for name in ("config", "data", "state", "work"):
                (home / name).mkdir()
            (home / "bench.yaml").write_text("backend: openai\n")
            work = home / "work"
            small = lines_of(400)
            changed = small.replace("compute(value_199, 200)", "compute(value_199, 0)")
            old_line = "    value_200 = compute(value_199, 200)  # step 200\n"
            new_line = "    value_200 = compute(value_199, 0)  # step 200\n"
            read = ("r", "read_file", json.dumps({"path": "mod.py"}))
            whole = ("w", "write_file", json.dumps({"path": "mod.py", "content": changed}))
            exact = (
                "e",
                "edit_file",
                json.dumps({"path": "mod.py", "old_string": old_line, "new_string": new_line}),
            )
            tokens = {}
            for label, change in (("write_file", whole), ("edit_file", exact)):
                (work / "mod.py").write_text(small)
                result, _ = ask(server, home, round_of(read), round_of(change), openai_stream("ok"))
                assert (work / "mod.py").read_text() == changed
                usage = result["usage"]
                assert isinstance(usage, dict)
                read_and_answer = completion_tokens([], [read]) + completion_tokens(["ok"])
                tokens[label] = {
                    "tokens": usage["completion_tokens"] - read_and_answer,
                    "argument_bytes": len(change[2]),
                }
            (work / "big.py").write_text(lines_of(5000))
            ranged = json.dumps({"path": "big.py", "start_line": 2490, "end_line": 2510})
            far = json.dumps(
                {
                    "path": "big.py",
                    "old_string": "value_2500 = compute(value_2499, 2500)",
                    "new_string": "value_2500 = compute(value_2499, 0)",
                }
            )
            _, stderr = ask(
                server,
                home,
                round_of(("r", "read_file", ranged)),
                round_of(("e", "edit_file", far)),
                openai_stream("ok"),
            )
            line = re.search(r"-> edit_file big.py  ok \+1 -1  (\d+) ms", stderr)
            assert line, stderr
            return {"tokens": tokens, "tool_line_ms_5000_lines": int(line[1])}
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=101)
    args = parser.parse_args()
    print(json.dumps({"own_time_5000_lines": own_time(args.runs), **over_the_wire()}, indent=2))


if __name__ == "__main__":
    main()
