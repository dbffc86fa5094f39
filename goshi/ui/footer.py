"""The footer under a streaming answer: backend (marked when a fallback), model, tokens, the
answer's cost and the session's, how full the context window is (`ctx 41% of 128k`, when the
window is known), and the circuit when it is not closed. Estimates (marked ~) while
the answer streams; the server's figures once it is done. Never part of the answer's text."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from rich.console import Console, ConsoleOptions
from rich.segment import Segment
from rich.text import Text

from goshi.cost.meter import Charge, format_usd
from goshi.cost.prices import Rate
from goshi.llm.types import Usage
from goshi.sanitize import one_line
from goshi.ui.view import ContextUse


@dataclass
class LiveStatus:
    """What the footer shows, updated as the answer streams."""

    backend: str = ""
    model: str = ""
    fallback: bool = False
    circuit: str = ""  # empty while closed
    prompt_estimate: int = 0
    out_chars: int = 0
    rate: Rate | None = None
    session_before: int = 0
    usage: Usage | None = None
    charge: Charge | None = None  # set when the answer is done
    mark: str = ""  # refusal, cut: token cap, cut: content filter
    context: ContextUse | None = None


class Footer:
    def __init__(self, status: LiveStatus) -> None:
        self.status = status

    def fields(self) -> list[str]:
        s = self.status
        model = one_line(s.model)  # the name the server reported
        fields = [f"{s.backend} (fallback)" if s.fallback else s.backend, model, s.mark]
        if s.charge is not None:
            if s.usage is not None:
                fields.append(f"{s.usage.prompt_tokens} in / {s.usage.completion_tokens} out")
            mark = "~" if s.charge.estimated else ""
            fields.append(f"{mark}{format_usd(s.charge.cost)}")
            fields.append(f"session {format_usd(s.charge.session)}")
        else:
            out_tokens = -(-s.out_chars // 4)
            fields.append(f"~{s.prompt_estimate} in / ~{out_tokens} out")
            if s.rate is not None:
                cost = s.prompt_estimate * s.rate.input + out_tokens * s.rate.output
                fields.append(f"~{format_usd(cost)}")
                fields.append(f"session ~{format_usd(s.session_before + cost)}")
        if s.context is not None:
            fields.append(s.context.label())
        if s.circuit:
            fields.append(f"circuit {s.circuit}")
        return [f for f in fields if f]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        """One line, cut with an ellipsis one cell short of the width: a line that fills the
        width leaves the terminal waiting to wrap, and a resize then reflows it into the next
        line, so the live region's rows could no longer be counted (tmux, xterm)."""
        line = Text(" · ".join(self.fields()), style="dim", overflow="ellipsis", no_wrap=True)
        yield from console.render(line, options.update_width(max(1, options.max_width - 1)))
