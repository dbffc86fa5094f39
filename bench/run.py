"""goshi's benchmarks: each a ratio against a floor measured side by side in the same run.

    flock /work/suite.lock python bench/run.py [--runs N] [--editable] [--no-growth]

goshi is measured as users get it: a normal `pip install .` of the working tree into
bench/.venv-install (made or refreshed first; the script then runs again under that venv's
Python), unless --editable measures the current venv. Runs are interleaved (floor, goshi, floor,
goshi, ...) so a busy machine slows both alike. Measured is the child's CPU time (user + sys,
which other processes on a shared machine move less than wall time); a target is judged on the
median of each run's goshi/floor ratio, beside which the table shows min/min and wall ratios.
Servers are the loopback wire server from tests/, one per answer. Results go to stdout as a
Markdown table; copy them into bench/README.md with the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from common import (
    GOSHI,
    INSTALL,
    PYTHON,
    ROOT,
    Run,
    Server,
    environment,
    installed_python,
    run_piped,
    run_pty,
)

sys.path.insert(0, str(ROOT))
from tests.wire_server import refused_port

FLOOR = str(ROOT / "bench" / "floor.py")
RENDER_FLOOR = str(ROOT / "bench" / "render_floor.py")


@dataclass
class Sample:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    output: bytes = b""

    def median_ms(self) -> float:
        return statistics.median(self.cpu) * 1000

    def wall_ms(self) -> float:
        return statistics.median(self.wall) * 1000

    def peak_mib(self) -> float:
        return max(self.rss_kib) / 1024


def run_once(
    cmd: list[str], env: dict[str, str], sample: Sample, runner: Callable[..., Run] = run_piped
) -> None:
    run = runner(cmd, env)
    sample.wall.append(run.wall_s)
    sample.cpu.append(run.cpu_s)
    sample.rss_kib.append(run.rss_kib)
    sample.output = run.output


@dataclass
class Pair:
    name: str
    floor_label: str
    floor: Callable[[Sample], None]
    goshi: Callable[[Sample], None]
    target: float
    floor_sample: Sample = field(default_factory=Sample)
    goshi_sample: Sample = field(default_factory=Sample)

    def ratio(self) -> float:
        """The median of the runs' own ratios: each goshi run against the floor run just before
        it, so load that comes and goes over minutes cancels out."""
        pairs = zip(self.goshi_sample.cpu, self.floor_sample.cpu, strict=True)
        return statistics.median(g / f for g, f in pairs)

    def min_ratio(self) -> float:
        """Fastest against fastest: load only ever adds time, so the least is the truest cost."""
        return min(self.goshi_sample.cpu) / min(self.floor_sample.cpu)

    def wall_ratio(self) -> float:
        return self.goshi_sample.wall_ms() / self.floor_sample.wall_ms()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--editable", action="store_true", help="measure the current venv")
    parser.add_argument("--no-growth", action="store_true", help="skip the 1k-20k live table")
    args = parser.parse_args()
    if not args.editable and Path(sys.prefix).resolve() != INSTALL.resolve():
        python = str(installed_python())
        os.execv(python, [python, __file__, *sys.argv[1:]])
    one, big = Server("--tokens", "1"), Server("--tokens", "5000")
    markdown = Server("--tokens", "5000", "--markdown")
    try:
        pairs = measure(one, big, markdown, args.runs)
    finally:
        for server in (one, big, markdown):
            server.stop()
    report(pairs, args.runs, "editable" if args.editable else "normal")
    ledger()
    if not args.no_growth:
        live(max(3, args.runs // 3))
        context()
    habits(args.runs)
    responses(args.runs)


def measure(one: Server, big: Server, markdown: Server, runs: int) -> list[Pair]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        work = home / "work"
        work.mkdir()
        os.chdir(work)
        env_one, env_big = environment(home, one.url), environment(home, big.url)
        env_md = environment(home, markdown.url, TERM="xterm-256color")
        plain = environment(home, one.url)
        refused = f"http://127.0.0.1:{refused_port()}"
        (home / "never-open.yaml").write_text("breaker: {failure_threshold: 1000000000}\n")
        (home / "open.yaml").write_text("breaker: {failure_threshold: 1, cooldown_s: 86400}\n")
        failing = environment(
            home, refused, OLLAMA_HOST=one.url, GOSHI_CONFIG=str(home / "never-open.yaml")
        )
        tripped = environment(
            home, refused, OLLAMA_HOST=one.url, GOSHI_CONFIG=str(home / "open.yaml")
        )
        run_once([GOSHI, "ask", "hi"], tripped, Sample())  # opens the circuit for good

        def cmd(argv: list[str], env: dict[str, str]) -> Callable[[Sample], None]:
            return lambda sample: run_once(argv, env, sample)

        def tty(argv: list[str], env: dict[str, str]) -> Callable[[Sample], None]:
            return lambda sample: run_once(argv, env, sample, run_pty)

        pairs = [
            Pair(
                "1-token ask into a pipe",
                "bench/floor.py (httpx)",
                cmd([PYTHON, FLOOR, "hi"], env_one),
                cmd([GOSHI, "ask", "hi"], env_one),
                1.25,
            ),
            Pair(
                "5,000 tokens drawn live, 40x120 pty",
                "bench/render_floor.py (httpx, one Rich render)",
                tty([PYTHON, RENDER_FLOOR, "hi"], env_md),
                tty([GOSHI, "ask", "hi"], env_md),
                1.15,
            ),
            Pair(
                "5,000-token ask into a pipe",
                "bench/floor.py (httpx)",
                cmd([PYTHON, FLOOR, "hi"], env_big),
                cmd([GOSHI, "ask", "hi"], env_big),
                1.2,
            ),
            Pair(
                "goshi --version",
                "python -c 'import typer'",
                cmd([PYTHON, "-c", "import typer"], plain),
                cmd([GOSHI, "--version"], plain),
                1.25,
            ),
            Pair(
                "goshi --help",
                "python -c 'import typer'",
                cmd([PYTHON, "-c", "import typer"], plain),
                cmd([GOSHI, "--help"], plain),
                1.5,
            ),
            Pair(
                "failover: OpenAI refused, Ollama up",
                "goshi ask -b ollama",
                cmd([GOSHI, "ask", "-b", "ollama", "hi"], failing),
                cmd([GOSHI, "ask", "hi"], failing),
                1.3,
            ),
            Pair(
                "failover: circuit already open",
                "goshi ask -b ollama",
                cmd([GOSHI, "ask", "-b", "ollama", "hi"], tripped),
                cmd([GOSHI, "ask", "hi"], tripped),
                1.15,
            ),
        ]
        for pair in pairs:  # warm the page cache and the store before timing
            pair.floor(Sample())
            pair.goshi(Sample())
        for _ in range(runs):
            for pair in pairs:
                pair.floor(pair.floor_sample)
                pair.goshi(pair.goshi_sample)
    return pairs


def report(pairs: list[Pair], runs: int, install: str) -> None:
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.platform()}; {install} install; "
        f"{runs} interleaved runs; ms: medians of the child's CPU time (user + sys); ratio: the "
        "median of each run's goshi/floor CPU time\n"
    )
    print("| what | floor | floor ms | goshi ms | ratio | target | ok | min ratio | wall ratio |")
    print("|---|---|---:|---:|---:|---:|---|---:|---:|")
    for p in pairs:
        ok = "yes" if p.ratio() <= p.target else "NO"
        print(
            f"| {p.name} | {p.floor_label} | {p.floor_sample.median_ms():.1f} | "
            f"{p.goshi_sample.median_ms():.1f} | {p.ratio():.2f}x | <= {p.target}x | {ok} | "
            f"{p.min_ratio():.2f}x | {p.wall_ratio():.2f}x |"
        )
    for p in (pairs[0], pairs[2]):
        same = p.floor_sample.output == p.goshi_sample.output
        print(
            f"\n{p.name}: goshi's stdout {'equals' if same else 'DIFFERS FROM'} the floor's "
            f"({len(p.goshi_sample.output):,} bytes)"
        )
    big = pairs[2]
    peak = big.goshi_sample.peak_mib()
    print(
        f"\npeak RSS of the 5,000-token goshi run: {peak:.1f} MiB (target <= 60 MiB: "
        f"{'yes' if peak <= 60 else 'NO'}); floor: {big.floor_sample.peak_mib():.1f} MiB"
    )


def ledger() -> None:
    out = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "ledger.py")], capture_output=True, text=True, check=True
    ).stdout
    r = json.loads(out)
    ok = "yes" if r["first_ms"] <= 5 else "NO"
    print(
        f"\nledger: recording one answer takes {r['first_ms']:.2f} ms the first time in a "
        f"process (price table loaded; target <= 5 ms: {ok}), then {r['charge_median_ms']:.2f} ms "
        f"median / {r['charge_p95_ms']:.2f} ms p95; a bare sqlite3 INSERT: "
        f"{r['bare_insert_median_ms']:.3f} ms"
    )


def context() -> None:
    """Long conversations: preparing a request as the conversation grows (bench/context.py)."""
    out = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "context.py")],
        cwd=ROOT / "bench",
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    print("\n" + out.rstrip())


def live(runs: int) -> None:
    out = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "live.py"), "--runs", str(runs)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    r = {int(k): v for k, v in json.loads(out).items()}
    five, twenty = r[5000], r[20000]
    ratio = five["tty_ms"] / five["pipe_ms"]
    growth = twenty["tty_ms"] / five["tty_ms"]
    print(f"\nlive Markdown view in a 40x120 pseudo-terminal, Markdown answers, median of {runs}:")
    print(
        f"- 5,000 tokens: terminal {five['tty_ms']:.0f} ms / pipe {five['pipe_ms']:.0f} ms = "
        f"{ratio:.2f}x (target <= 2x: {'yes' if ratio <= 2 else 'NO'})"
    )
    print(
        f"- 20,000 tokens / 5,000 tokens in the terminal: {growth:.2f}x (target <= 4.6x: "
        f"{'yes' if growth <= 4.6 else 'NO'})\n"
    )
    print("| tokens | terminal ms | pipe ms | terminal CPU ms | CPU ms per 1k tokens, marginal |")
    print("|---:|---:|---:|---:|---:|")
    previous = None
    for size, v in sorted(r.items()):
        marginal = (
            ""
            if previous is None
            else (f"{(v['tty_cpu_ms'] - previous[1]) / ((size - previous[0]) / 1000):.1f}")
        )
        print(
            f"| {size:,} | {v['tty_ms']:.0f} | {v['pipe_ms']:.0f} | {v['tty_cpu_ms']:.0f} | "
            f"{marginal} |"
        )
        previous = (size, v["tty_cpu_ms"])


def habits(runs: int) -> None:
    out = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "habits.py"), "--runs", str(runs)],
        cwd=ROOT / "bench",
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    r = json.loads(out)
    ms = r["process_ms"]
    version = ms["version"]
    print(f"\nshell completion, median of {runs} (store of {r['conversations']:,} conversations):")
    print("| what | ms | / goshi --version | target |")
    print("|---|---:|---:|---:|")
    print(f"| goshi --version | {version:.1f} | 1.00x | |")
    for key, label in (
        ("tab_model", "Tab after `goshi ask -m gp` (bash)"),
        ("tab_cid", "Tab after `goshi ask --cid ` (bash, recent conversations)"),
        ("tab_model_zsh", "Tab after `goshi ask -m gp` (zsh, with help texts)"),
    ):
        ratio = ms[key] / version
        ok = "yes" if ratio <= 1.5 else "NO"
        print(f"| {label} | {ms[key]:.1f} | {ratio:.2f}x | <= 1.5x {ok} |")
    print(
        f"\nsearch over {r['conversations']:,} conversations ({r['store_mib']:.0f} MiB store), "
        "in-process, median / max:"
    )
    print("| query | matching messages | ms median | ms max | target |")
    print("|---|---:|---:|---:|---:|")
    for label, v in r["search"].items():
        ok = "yes" if v["median_ms"] <= 100 else "NO"
        print(
            f"| {label} | {v['matching_messages']:,} | {v['median_ms']:.1f} | {v['max_ms']:.1f} |"
            f" <= 100 ms {ok} |"
        )
    print(
        f"\n`goshi history search` as a process: {ms['history_search']:.1f} ms "
        f"({ms['history_search'] / version:.2f}x goshi --version)"
    )


def responses(runs: int) -> None:
    """bench/responses.py: the Responses API against chat completions, same answer piped."""
    print("\nthe Responses API (issue 21), median of each run's ratio:")
    print("| what | floor | floor ms | goshi ms | ratio | target | ok | min ratio | wall ratio |")
    print("|---|---|---:|---:|---:|---:|---|---:|---:|")
    script = [PYTHON, str(ROOT / "bench" / "responses.py"), "--runs", str(runs), "--editable"]
    print(subprocess.run(script, cwd=ROOT / "bench", capture_output=True, text=True).stdout)


if __name__ == "__main__":
    main()
