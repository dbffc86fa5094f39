"""Startup is a feature: --help and --version must not import the heavy modules."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import sys
sys.argv = ["goshi", *{args!r}]
from goshi.cli import main
try:
    main()
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules
               if m.split(".")[0] in ("httpx", "httpcore", "prompt_toolkit", "yaml")
               or m.startswith("rich.markdown") or m == "rich.console")
print("HEAVY:", heavy, file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["ask", "--help"], []])
def test_help_and_version_import_nothing_heavy(args: list[str]) -> None:
    r = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True, timeout=30
    )
    assert "HEAVY: []" in r.stderr, r.stderr
    assert "goshi" in r.stdout + r.stderr, "printed nothing"
