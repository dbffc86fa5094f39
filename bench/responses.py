"""The Responses API against chat completions: the same 5,000-token answer piped (run by
bench/run.py as one of its pairs, or alone).

    python bench/responses.py [--runs N] [--editable]

Both sides are `goshi ask` against one loopback wire server that serves the answer on both
endpoints (`GOSHI_OPENAI_API=chat` is the floor, `=responses` the measured side), interleaved run
by run; the ratio is of CPU time, the median of each run's own ratio (bench/run.py's rules). The
two stdouts must be the same bytes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from common import GOSHI, INSTALL, Server, environment, installed_python
from run import Pair, Sample, run_once

TARGET = 1.25


def pair(home: Path, url: str) -> Pair:
    chat = environment(home, url, GOSHI_OPENAI_API="chat")
    responses = environment(home, url, GOSHI_OPENAI_API="responses")
    return Pair(
        "5,000-token pipe over the Responses API",
        "the same over chat completions",
        lambda s: run_once([GOSHI, "ask", "hi"], chat, s),
        lambda s: run_once([GOSHI, "ask", "hi"], responses, s),
        TARGET,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--editable", action="store_true", help="measure the current venv")
    args = parser.parse_args()
    if not args.editable and Path(sys.prefix).resolve() != INSTALL.resolve():
        python = str(installed_python())
        os.execv(python, [python, __file__, *sys.argv[1:]])
    server = Server("--tokens", "5000")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "work").mkdir()
            os.chdir(Path(tmp) / "work")
            p = pair(Path(tmp), server.url)
            p.floor(Sample())
            p.goshi(Sample())
            for _ in range(args.runs):
                p.floor(p.floor_sample)
                p.goshi(p.goshi_sample)
    finally:
        server.stop()
    f, g = p.floor_sample, p.goshi_sample
    ok = "yes" if p.ratio() <= TARGET else "NO"
    print(
        f"| {p.name} | {p.floor_label} | {f.median_ms():.1f} | {g.median_ms():.1f} |"
        f" {p.ratio():.2f}x | <= {TARGET}x | {ok} | {p.min_ratio():.2f}x | {p.wall_ratio():.2f}x |"
    )
    same = "the same bytes" if f.output == g.output else "DIFFERENT BYTES"
    print(f"stdout: {same} ({len(g.output):,} bytes over Responses, {len(f.output):,} over chat)")


if __name__ == "__main__":
    main()
