"""The house keeps its plan: layers import only downward, nothing imports in a circle, and no
module or class outgrows one sitting. Imports inside functions and under TYPE_CHECKING count."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "goshi"

# highest first; a module belongs to the first layer one of whose prefixes it starts with
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("doors", ("goshi.__main__", "goshi.entry", "goshi.cli")),
    ("commands", ("goshi.commands",)),
    ("turn", ("goshi.turn",)),
    (
        "domains",
        (
            "goshi.llm",
            "goshi.agent",
            "goshi.context",
            "goshi.cost",
            "goshi.store",
            "goshi.mcp",
            "goshi.ui",
        ),
    ),
    (
        "foundation",
        (
            "goshi.config",
            "goshi.trust",
            "goshi.errors",
            "goshi.credentials",
            "goshi.paths",
            "goshi.sanitize",
            "goshi.json_bounds",
            "goshi.record",
            "goshi.log",
            "goshi.signals",
            "goshi.model_names",
            "goshi.templates",
            "goshi.words",
        ),
    ),
    ("package", ("goshi",)),  # goshi/__init__.py alone: the version
]
MAX_MODULE_LINES = 400
MAX_CLASS_LINES = 250


def modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def layer_of(module: str) -> int:
    for rank, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or (p != "goshi" and module.startswith(p + ".")) for p in prefixes):
            return rank
    raise AssertionError(f"{module} is in no layer: name it in tests/test_layers.py")


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every goshi module `name` imports, wherever the import statement stands."""

    def resolve(dotted: str) -> str:
        while dotted and dotted not in known:
            dotted = dotted.rpartition(".")[0]
        return dotted

    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package
                for _ in range(node.level - 1):
                    parent = parent.rpartition(".")[0]
                base = f"{parent}.{base}" if base else parent
            if base.split(".")[0] != "goshi":
                continue
            for alias in node.names:
                found.add(resolve(f"{base}.{alias.name}"))
        elif isinstance(node, ast.Import):
            found |= {resolve(a.name) for a in node.names if a.name.split(".")[0] == "goshi"}
    return found - {name, ""}


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def test_every_import_points_down_or_sideways() -> None:
    upward = sorted(
        f"{a} ({LAYERS[layer_of(a)][0]}) imports {b} ({LAYERS[layer_of(b)][0]})"
        for a, deps in graph().items()
        for b in deps
        if layer_of(b) < layer_of(a) and b != "goshi"
    )
    assert upward == [], "\n".join(upward)


def test_no_import_cycle() -> None:
    g = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(g[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(g):
        if v not in index:
            visit(v)
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_the_checker_sees_an_upward_import_inside_a_function(tmp_path: Path) -> None:
    """The rule cannot pass vacuously: a lazy import from a domain up into a command is seen."""
    path = tmp_path / "probe.py"
    path.write_text("def f():\n    from goshi.commands import ask\n", encoding="utf-8")
    known = {**modules(), "goshi.llm.probe_x": path}
    assert imports("goshi.llm.probe_x", path, known) == {"goshi.commands.ask"}
    assert layer_of("goshi.commands.ask") < layer_of("goshi.llm.probe_x")


@pytest.mark.parametrize("name", sorted(modules()))
def test_a_module_fits_one_sitting(name: str) -> None:
    path = modules()[name]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_MODULE_LINES, f"{path}: {len(lines)} lines (split it along a seam)"
    for node in ast.walk(ast.parse("\n".join(lines))):
        if isinstance(node, ast.ClassDef):
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            assert size <= MAX_CLASS_LINES, f"{path}: class {node.name} has {size} lines"


def test_the_command_table_matches_the_commands() -> None:
    """`goshi --help` lists the table's summaries without importing a command: each must be
    the docstring of the command it names, and each module must register that command."""
    import importlib

    import typer

    from goshi.commands import COMMANDS

    for name, (module, summary) in COMMANDS.items():
        app = typer.Typer()
        importlib.import_module(module).register(app)
        command = typer.main.get_group(app).commands[name]
        assert (command.help or "").split("\n\n")[0].strip() == summary, name
