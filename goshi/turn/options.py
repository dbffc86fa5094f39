"""What a question is asked with, as the command line said it: the options `ask` and `chat`
share, and the ones only `ask` has. Light on purpose: Tab completion and `--help` build a
command's parser, and must not load the turn machinery to do it."""

from __future__ import annotations

from dataclasses import field

from goshi import config
from goshi.record import record


@record
class SessionOptions:
    """What `ask` and `chat` both take from the command line."""

    config_file: str | None = None
    overrides: config.Overrides = field(default_factory=config.Overrides)
    continue_last: bool = False
    cid: int | None = None
    stream: bool = True
    yes: bool = False
    max_cost_usd: float | None = None
    files: list[str] = field(default_factory=list)  # -f: attached to the (first) question
    instructions: bool = True  # --no-instructions: no AGENTS.md files


@record
class AskOptions(SessionOptions):
    """What `goshi ask` was given on the command line."""

    words: list[str] = field(default_factory=list)
    as_json: bool = False
    template: str | None = None
    code: bool = False  # -x: print only the code of the answer
