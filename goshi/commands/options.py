"""The options commands share, declared once: Typer reads them from these annotations.

    @turn_options                       the options ask and chat both take (-m, -b, -s, --config,
    def ask(prompt, ..., turn: Turn)    -c, --cid, -f, -o, --no-stream, --no-tools,
                                        --no-instructions, -y, --max-cost, -v)
                                        arrive as one `Turn`; Typer sees them in the signature

Imported only when a command's parser is built (goshi/cli.py), never on `goshi ask WORDS`'s fast
door: Typer is what it costs. No `from __future__ import annotations` here: Typer evaluates every
option's annotation, and a string one costs it an eval.
"""

import functools
import inspect
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer._click.types import Tuple

from goshi.commands import completion
from goshi.commands.ending import run as finish

if TYPE_CHECKING:
    from goshi.turn.options import SessionOptions

    Opts = TypeVar("Opts", bound=SessionOptions)

ConfigOpt = Annotated[
    str | None, typer.Option("--config", help="Read this goshi.yaml.", show_default=False)
]
Verbose = Annotated[
    int,
    typer.Option("-v", "--verbose", count=True, help="More detail on stderr.", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
# SQLite's rowids are signed 64-bit: a larger id is a usage error, not an OverflowError
MAX_ID = 2**63 - 1
CidArg = Annotated[
    int,
    typer.Argument(
        min=1, max=MAX_ID, help="Conversation id.", autocompletion=completion.conversations
    ),
]


def _usd(value: float | None) -> float | None:
    """--max-cost: dollars, finite and not negative (nan and inf are usage errors)."""
    if value is not None and not (math.isfinite(value) and 0 <= value <= 1e9):
        raise typer.BadParameter(f"expected an amount of USD from 0 to 1e9, got {value!r}")
    return None if value is None else value + 0.0  # -0 is 0


def _backend(value: str | None) -> str | None:
    """-b: one of the backends, or a usage error (exit 2) naming them. Unset, nothing is loaded
    (a Tab runs every callback: the config package is not what it waits for)."""
    if value is None:
        return None
    from goshi.config import BACKENDS

    if value not in BACKENDS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(BACKENDS)}")
    return value


def _model_options(pairs: list[tuple[str, str]] | None) -> list[tuple[str, Any]]:
    """-o KEY VALUE: each checked as the settings it sets, or a usage error (exit 2)."""
    if not pairs:
        return []
    from goshi.config import call_option
    from goshi.errors import ConfigError

    try:
        return [(key, call_option(key, value)) for key, value in pairs]
    except ConfigError as exc:
        said = exc.message.removeprefix("-o: ")
        raise typer.BadParameter(f"{said}; {exc.hint}" if exc.hint else said) from None


# name -> (annotation, default): the options of a turn, in the order --help lists them
TURN_OPTIONS: dict[str, tuple[Any, Any]] = {
    "model": (
        Annotated[
            str | None,
            typer.Option("-m", "--model", help="Model name.", autocompletion=completion.models),
        ],
        None,
    ),
    "backend": (
        Annotated[
            str | None,
            typer.Option(
                "-b",
                "--backend",
                callback=_backend,
                help="auto, openai or ollama.",
                autocompletion=completion.backends,
            ),
        ],
        None,
    ),
    "system": (Annotated[str | None, typer.Option("-s", "--system", help="System prompt.")], None),
    "config_file": (ConfigOpt, None),
    "continue_last": (
        Annotated[bool, typer.Option("-c", "--continue", help="Continue the last conversation.")],
        False,
    ),
    "cid": (
        Annotated[
            int | None,
            typer.Option(
                "--cid",
                min=1,
                max=MAX_ID,
                help="Continue this conversation.",
                autocompletion=completion.conversations,
            ),
        ],
        None,
    ),
    "files": (
        Annotated[
            list[str] | None,
            typer.Option(
                "-f",
                "--file",
                help="Attach a file or image (repeatable; a quoted glob is expanded).",
                show_default=False,
            ),
        ],
        None,
    ),
    "options": (
        Annotated[
            list[Any] | None,
            typer.Option(
                "-o",
                "--option",
                click_type=Tuple([str, str]),
                metavar="KEY VALUE",
                callback=_model_options,
                help="A model option for this call (repeatable): temperature, top_p, max_tokens,"
                " seed, reasoning_effort, num_ctx, think.",
                show_default=False,
            ),
        ],
        None,
    ),
    "no_stream": (
        Annotated[bool, typer.Option("--no-stream", help="Wait for whole answers.")],
        False,
    ),
    "no_tools": (
        Annotated[bool, typer.Option("--no-tools", help="Offer the model no tools.")],
        False,
    ),
    "no_instructions": (
        Annotated[
            bool,
            typer.Option("--no-instructions", help="Send no AGENTS.md files to the model."),
        ],
        False,
    ),
    "yes": (
        Annotated[
            bool,
            typer.Option("-y", "--yes", help="Approve proposed writes and edits (never commands)."),
        ],
        False,
    ),
    "max_cost": (
        Annotated[
            float | None,
            typer.Option(
                "--max-cost",
                callback=_usd,
                help="Refuse, before sending, a request that could cost more (USD).",
            ),
        ],
        None,
    ),
}
# the options that must come after a command's own (as --help has always listed them)
LAST = ("verbose",)


class Turn:
    """The turn options as one value: a command builds its options record with `options()`."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.verbose: int = values["verbose"]

    def options(self, kind: "type[Opts]", **own: Any) -> "Opts":
        """The command's options record (SessionOptions or a kind of it) with its own fields."""
        from goshi.config import Overrides

        v = self.values
        return kind(
            **own,
            config_file=v["config_file"],
            overrides=Overrides(
                backend=v["backend"],
                model=v["model"],
                system=v["system"],
                tools=False if v["no_tools"] else None,
                options=dict(v["options"] or ()),
            ),
            continue_last=v["continue_last"],
            cid=v["cid"],
            stream=not v["no_stream"],
            yes=v["yes"],
            max_cost_usd=v["max_cost"],
            files=v["files"] or [],
            instructions=not v["no_instructions"],
        )


F = TypeVar("F", bound=Callable[..., Any])


def turn_options(command: F) -> F:
    """Give `command(..., turn: Turn)` the turn options in its signature, before its own options
    (after its arguments), `-v` last; Typer reads the signature, the wrapper folds them."""
    own = [p for p in inspect.signature(command).parameters.values() if p.name != "turn"]
    first = [p for p in own if p.name not in LAST and p.default is inspect.Parameter.empty]
    first += [p for p in own if p.name not in LAST and p.default is not inspect.Parameter.empty]
    shared = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=kind)
        for name, (kind, default) in TURN_OPTIONS.items()
    ]
    args = [p for p in first if _is_argument(p)]
    options = [p for p in first if not _is_argument(p)]
    last = [p for p in own if p.name in LAST]
    params = [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in [*args, *shared, *options, *last]
    ]

    @functools.wraps(command)
    def wrapper(**values: Any) -> Any:
        turn = Turn({name: values.pop(name) for name in [*TURN_OPTIONS, *LAST]})
        return command(turn=turn, **values)

    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def _is_argument(p: inspect.Parameter) -> bool:
    return any(
        isinstance(m, typer.models.ArgumentInfo) for m in getattr(p.annotation, "__metadata__", ())
    )


__all__ = ["CidArg", "ConfigOpt", "JsonOpt", "Turn", "Verbose", "finish", "turn_options"]
