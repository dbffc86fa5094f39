"""The mutation run: does the suite fail when a behaviour DESIGN.md's mutation list names breaks?

    tests/mutants/*.patch, each:   Behaviour: what the patch breaks, in a line
                                   Tests: the test files or node ids that must catch it
                                   (then the diff, made with `git diff` from the repository root)

    baseline   every named test on a copy of the unpatched tree: must pass, or a catch means nothing
    each patch a fresh copy of the tree, the patch applied (`git apply`), the named tests run there
               (`pytest -x`): a failure is "caught", a pass "SURVIVED", anything else an error
    -> a table; exit 0 when every patch was caught, 1 when one survived or could not be run

The copy gets a throwaway venv whose path holds the copy first and this venv's site-packages
after it (not its .pth files, so an editable install cannot point goshi back at the real tree),
and its own `bin/goshi`: the goshi a test starts is the mutated one too.

    .venv/bin/python tests/mutants/run.py              all patches
    .venv/bin/python tests/mutants/run.py sse jail     the patches whose name holds a word given
    .venv/bin/python tests/mutants/run.py --check      only that every patch still applies
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SKIP = shutil.ignore_patterns(
    ".git", ".venv*", "__pycache__", "*.egg-info", ".pytest_cache", ".mypy_cache", ".ruff_cache"
)
TIMEOUT_S = 900


@dataclass
class Mutant:
    name: str
    behaviour: str
    tests: list[str]
    diff: str


@dataclass
class Outcome:
    mutant: Mutant
    verdict: str  # caught, SURVIVED, error
    detail: str
    seconds: float


def read(path: Path) -> Mutant:
    text = path.read_text()
    head, sep, diff = text.partition("diff --git ")
    if not sep:
        raise SystemExit(f"{path.name}: no `diff --git` in it")
    fields = dict(re.findall(r"^(\w+): *(.+)$", head, re.M))
    if "Behaviour" not in fields or "Tests" not in fields:
        raise SystemExit(f"{path.name}: needs a `Behaviour:` and a `Tests:` line before the diff")
    return Mutant(path.stem, fields["Behaviour"], fields["Tests"].split(), sep + diff)


def copy_tree(into: Path) -> Path:
    tree = into / "tree"
    shutil.copytree(ROOT, tree, ignore=SKIP, symlinks=True)
    return tree


def venv_for(tree: Path, into: Path) -> Path:
    """A venv that imports goshi from `tree`, everything else from this interpreter's packages."""
    env = into / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(env)], check=True, capture_output=True
    )
    python = env / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    ours = sysconfig.get_paths()["purelib"]
    Path(site, "mutation_paths.pth").write_text(f"{tree}\n{ours}\n")
    goshi = env / "bin" / "goshi"
    goshi.write_text(f"#!{python}\nimport sys\nfrom goshi.entry import main\nsys.exit(main())\n")
    goshi.chmod(0o755)
    for tool in ("ruff", "mypy"):  # tests/test_code_quality.py finds them beside python
        if (found := Path(sys.executable).with_name(tool)).exists():
            (env / "bin" / tool).symlink_to(found)
    return python


def pytest(
    python: Path, tree: Path, tests: list[str], workers: int = 0
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "PYTHON"))}
    return subprocess.run(
        [str(python), "-m", "pytest", "-p", "no:cacheprovider", "-x", "-q", f"-n{workers}", *tests],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        start_new_session=True,
    )


def apply(diff: str, tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "apply", "--whitespace=nowarn", "-"],
        input=diff,
        cwd=tree,
        capture_output=True,
        text=True,
    )


def first_failure(output: str) -> str:
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            return line.split(" - ")[0].removeprefix("FAILED ").removeprefix("ERROR ")
    return output.strip().splitlines()[-1] if output.strip() else "(no output)"


def run_one(mutant: Mutant) -> Outcome:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"goshi-mutant-{mutant.name}-") as tmp:
        tree = copy_tree(Path(tmp))
        applied = apply(mutant.diff, tree)
        if applied.returncode != 0:
            return Outcome(mutant, "error", f"does not apply: {applied.stderr.strip()}", 0.0)
        python = venv_for(tree, Path(tmp))
        try:
            r = pytest(python, tree, mutant.tests)
        except subprocess.TimeoutExpired:
            return Outcome(mutant, "error", f"tests ran past {TIMEOUT_S} s", TIMEOUT_S)
    seconds = time.monotonic() - started
    if r.returncode == 1:
        return Outcome(mutant, "caught", first_failure(r.stdout), seconds)
    if r.returncode == 0:
        return Outcome(mutant, "SURVIVED", "every named test passed", seconds)
    said = f"pytest exit {r.returncode}: {first_failure(r.stdout)}"
    return Outcome(mutant, "error", said, seconds)


def baseline(mutants: list[Mutant], jobs: int) -> None:
    tests = sorted({t for m in mutants for t in m.tests})
    with tempfile.TemporaryDirectory(prefix="goshi-mutant-baseline-") as tmp:
        tree = copy_tree(Path(tmp))
        r = pytest(venv_for(tree, Path(tmp)), tree, tests, workers=jobs if jobs > 1 else 0)
    if r.returncode != 0:
        print(r.stdout[-3000:], r.stderr[-2000:], sep="\n")
        raise SystemExit("the named tests fail without any patch: fix that first")
    print(f"baseline: {len(tests)} test paths pass on the unpatched tree")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("words", nargs="*", help="run only patches whose name holds one of these")
    parser.add_argument("--check", action="store_true", help="only check that every patch applies")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="patches run at once (default 1)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unpatched run")
    args = parser.parse_args(argv)
    mutants = [read(p) for p in sorted(HERE.glob("*.patch"))]
    if args.words:
        mutants = [m for m in mutants if any(w in m.name for w in args.words)]
    if not mutants:
        raise SystemExit("no patch matched")
    if args.check:
        bad = 0
        with tempfile.TemporaryDirectory(prefix="goshi-mutant-check-") as tmp:
            tree = copy_tree(Path(tmp))
            for m in mutants:
                r = subprocess.run(
                    ["git", "apply", "--check", "-"],
                    input=m.diff,
                    cwd=tree,
                    capture_output=True,
                    text=True,
                )
                bad += r.returncode != 0
                print(f"{'applies' if r.returncode == 0 else 'DOES NOT APPLY':15} {m.name}")
        return 1 if bad else 0
    if not args.no_baseline:
        baseline(mutants, args.jobs)
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = []
        for outcome in pool.map(run_one, mutants):
            outcomes.append(outcome)
            print(
                f"{outcome.verdict:9} {outcome.mutant.name:28} {outcome.seconds:6.1f} s  "
                f"{outcome.detail}",
                flush=True,
            )
    caught = sum(o.verdict == "caught" for o in outcomes)
    print(
        f"{caught} of {len(outcomes)} mutants caught in {time.monotonic() - started:.0f} s"
        + "".join(
            f"\n  {o.verdict}: {o.mutant.name}: {o.mutant.behaviour}"
            for o in outcomes
            if o.verdict != "caught"
        )
    )
    return 0 if caught == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
