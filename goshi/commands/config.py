"""`goshi config show | validate | init | path | trust | untrust`.

Everything `show` prints passes the sanitiser (a project file's values are untrusted text) and
URL credentials are masked; the key itself is only ever "set (hidden)".
"""

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from goshi import config, paths
from goshi.config import trust
from goshi.credentials import mask_url
from goshi.errors import UsageError
from goshi.record import fields, is_record
from goshi.sanitize import one_line

if TYPE_CHECKING:
    import typer


def example_text() -> str:
    shipped = Path(__file__).resolve().parent.parent / "data" / "goshi.yaml"
    return shipped.read_text(encoding="utf-8")


def show(config_file: str | None) -> int:
    settings = config.load(config_file)
    out = sys.stdout
    out.write(f"# file: {one_line(str(settings.file or 'none (built-in defaults)'))}\n")
    if (project := settings.project) is not None:
        where = trust.where(project.path)
        out.write(f"# project file: {one_line(str(where))} ({project.state})\n")
        if project.applied:
            replaced = "; `system` in your own file, or -s, replaces its prompt"
            out.write(
                f"#   applies untrusted (harmless): {', '.join(project.applied)}"
                f"{replaced if 'system' in project.applied else ''}\n"
            )
        if project.ignored:
            out.write(f"#   ignored until trusted: {', '.join(project.ignored)}\n")
        for problem in project.invalid:
            out.write(f"#   invalid, ignored: {one_line(problem)}\n")
        if project.state != trust.TRUSTED and (project.ignored or project.invalid):
            out.write("#   review it; `goshi config trust` applies all of it\n")
    rows = list(_rows(settings, "", settings.sources))
    key = settings.api_key()
    rows.insert(
        3,
        (
            "openai.api_key",
            "set (hidden)" if key else "not set",
            f"env {settings.openai.api_key_env}",
        ),
    )
    width = max(len(f"{path}: {value}") for path, value, _ in rows)
    for path, value, source in rows:
        out.write(one_line(f"{f'{path}: {value}':<{width}}  # {source}") + "\n")
    return 0


def _rows(obj: Any, prefix: str, sources: dict[str, str]) -> Iterator[tuple[str, str, str]]:
    for fld in fields(obj):
        if fld.metadata.get("internal"):
            continue
        value = getattr(obj, fld.name)
        path = f"{prefix}{fld.name}"
        if is_record(value):
            yield from _rows(value, path + ".", sources)
        elif isinstance(value, dict):
            if not value:
                yield path, "{}", sources.get(path, "default")
            for name, entry in value.items():
                if is_record(entry):
                    yield from _rows(entry, f"{path}.{name}.", sources)
                else:  # an MCP server's env: often a token, so never printed
                    yield f"{path}.{name}", "set (hidden)", sources.get(path, "default")
        else:
            yield path, _show(value), sources.get(path, "default")


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return mask_url(str(value))


def validate(file: str | None) -> int:
    if file:
        targets = [Path(file)]
    else:
        user = config.find_config_file(None)
        project = config.find_project_file(user)
        targets = [t for t in (user, project) if t is not None]
    if not targets:
        sys.stdout.write("no goshi.yaml found; the built-in defaults are in use\n")
        return 0
    for target in targets:
        config.check_file(target)
        sys.stdout.write(f"{one_line(str(target))}: ok\n")
    return 0


def init(force: bool) -> int:
    target = paths.user_config_file()
    if target.exists() and not force:
        raise UsageError(f"{target} already exists", "pass --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(example_text(), encoding="utf-8")
    tmp.replace(target)
    sys.stdout.write(f"wrote {target}\n")
    return 0


def path(config_file: str | None) -> int:
    """The user's file (or where `init` would write it); a project file on a second line."""
    found = config.find_config_file(config_file)
    sys.stdout.write(f"{found if found else paths.user_config_file()}\n")
    if (project := config.find_project_file(found)) is not None:
        sys.stdout.write(f"{project.resolve()}\n")
    return 0


def trust_file(file: str | None) -> int:
    target = trust.trust(file)
    sys.stdout.write(f"trusted {one_line(str(target))}: all its settings apply until it changes\n")
    return 0


def untrust_file(file: str | None) -> int:
    target, known = trust.untrust(file)
    said = "no longer trusted" if known else "was not trusted"
    sys.stdout.write(f"{one_line(str(target))} {said}: only its harmless settings apply\n")
    return 0


def register(app: "typer.Typer") -> None:
    import typer

    from goshi.commands.options import ConfigOpt, Verbose, finish

    config_app = typer.Typer(help="Show, check, create and trust goshi.yaml.", no_args_is_help=True)
    app.add_typer(config_app, name="config")

    @config_app.command("show")
    def config_show(config_file: ConfigOpt = None, verbose: Verbose = 0) -> None:
        """Print the effective settings and where each came from (secrets masked)."""
        raise typer.Exit(finish(lambda: show(config_file), verbose))

    @config_app.command("validate")
    def config_validate(
        file: Annotated[str | None, typer.Argument(help="File to check.")] = None,
        config_file: ConfigOpt = None,
        verbose: Verbose = 0,
    ) -> None:
        """Check a goshi.yaml (the one in use when no FILE is given)."""
        raise typer.Exit(finish(lambda: validate(file or config_file), verbose))

    @config_app.command("init")
    def config_init(
        force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
        verbose: Verbose = 0,
    ) -> None:
        """Write the commented example goshi.yaml to the XDG config directory."""
        raise typer.Exit(finish(lambda: init(force), verbose))

    @config_app.command("path")
    def config_path(config_file: ConfigOpt = None, verbose: Verbose = 0) -> None:
        """Print the path of the goshi.yaml in use (or where `config init` would write it)."""
        raise typer.Exit(finish(lambda: path(config_file), verbose))

    @config_app.command("trust")
    def config_trust(
        file: Annotated[str | None, typer.Argument(help="Default: ./goshi.yaml.")] = None,
        verbose: Verbose = 0,
    ) -> None:
        """Let every setting of a project's goshi.yaml apply (until the file changes)."""
        raise typer.Exit(finish(lambda: trust_file(file), verbose))

    @config_app.command("untrust")
    def config_untrust(
        file: Annotated[str | None, typer.Argument(help="Default: ./goshi.yaml.")] = None,
        verbose: Verbose = 0,
    ) -> None:
        """Forget that a project's goshi.yaml was trusted: only its harmless settings apply."""
        raise typer.Exit(finish(lambda: untrust_file(file), verbose))
