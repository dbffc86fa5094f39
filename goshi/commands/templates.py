"""`goshi templates [init [--force]]`: the user's prompt templates (goshi/templates.py), listed
or seeded with the shipped examples."""

import shutil
import sys
from typing import TYPE_CHECKING, Annotated

from goshi.sanitize import one_line
from goshi.templates import SHIPPED, directory, load_all

if TYPE_CHECKING:
    import typer


def show() -> int:
    """`goshi templates`: each template with its description, or how to get some."""
    found = load_all()
    if not found:
        sys.stdout.write(f"no templates in {directory()}; `goshi templates init` adds two\n")
        return 0
    width = max(len(t.name) for t in found)
    for t in found:
        sys.stdout.write(f"{t.name:<{width}}  {one_line(t.description)}\n")
    sys.stdout.write(f"(in {directory()}; use one with goshi ask -t NAME, or /NAME in chat)\n")
    return 0


def init(force: bool) -> int:
    """`goshi templates init`: copy the shipped examples; an existing file is kept unless
    `force`."""
    target = directory()
    target.mkdir(parents=True, exist_ok=True)
    for source in sorted(SHIPPED.glob("*.md")):
        dest = target / source.name
        if dest.exists() and not force:
            sys.stdout.write(f"kept {dest} (--force replaces it)\n")
            continue
        shutil.copyfile(source, dest)
        sys.stdout.write(f"wrote {dest}\n")
    return 0


def register(app: "typer.Typer") -> None:
    import typer

    from goshi.commands.options import Verbose, finish

    templates_app = typer.Typer(
        help="List your prompt templates, or add examples.", invoke_without_command=True
    )
    app.add_typer(templates_app, name="templates")

    @templates_app.callback()
    def templates(ctx: typer.Context, verbose: Verbose = 0) -> None:
        """List your prompt templates ($XDG_CONFIG_HOME/goshi/prompts/NAME.md)."""
        if ctx.invoked_subcommand is None:
            raise typer.Exit(finish(show, verbose))

    @templates_app.command("init")
    def templates_init(
        force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
        verbose: Verbose = 0,
    ) -> None:
        """Copy the example templates (commit, review) into your prompts directory."""
        raise typer.Exit(finish(lambda: init(force), verbose))
