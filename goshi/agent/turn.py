"""One model response consumed: events -> the Answer the user sees and the store keeps.

The caller passes `on_text`, which puts each delta of the answer on the screen or the pipe as it
arrives, and `on_reasoning` for the model's thinking, which is never part of the answer. A refusal
is the answer, marked. The Answer is filled in place, so whatever arrived is still there when
Ctrl-C or a cut stream ends it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import field
from typing import TYPE_CHECKING

from goshi.llm.types import (
    Done,
    Event,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    ToolCall,
    Usage,
    UsageReport,
)
from goshi.record import record

# finish reasons that mean the answer stopped before the model was done
CUT_BY_CAP = ("length", "max_tokens")
FILTERED = ("content_filter", "safety", "refusal")

if TYPE_CHECKING:
    from goshi.llm.select import Route


@record(slots=True)
class Answer:
    """An answer as it streams in, and how it ended."""

    backend: str
    model: str
    parts: list[str] = field(default_factory=list)
    usage: Usage | None = None
    finish_reason: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    complete: bool = False
    service_tier: str | None = None
    refusal: bool = False
    thinking: list[str] = field(default_factory=list)
    thought_s: float = 0.0  # seconds from the first reasoning delta to the answer's first

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def reasoning(self) -> str:
        return "".join(self.thinking)

    @property
    def cut(self) -> bool:
        return self.finish_reason in CUT_BY_CAP

    @property
    def filtered(self) -> bool:
        return self.finish_reason in FILTERED


def _ignore(text: str) -> None:
    pass


def stream_answer(
    events: Iterable[Event],
    answer: Answer,
    on_text: Callable[[str], None],
    on_reasoning: Callable[[str], None] = _ignore,
) -> None:
    parts = answer.parts
    thought_at = 0.0
    for event in events:
        if type(event) is TextDelta or type(event) is RefusalDelta:
            if thought_at:
                answer.thought_s, thought_at = time.monotonic() - thought_at, 0.0
            if type(event) is RefusalDelta:
                answer.refusal = True
            parts.append(event.text)
            on_text(event.text)
        elif type(event) is ReasoningDelta:
            if not answer.thinking:
                thought_at = time.monotonic()
            answer.thinking.append(event.text)
            on_reasoning(event.text)
        elif type(event) is UsageReport:
            answer.usage = event.usage
        elif type(event) is Done:
            if thought_at:
                answer.thought_s = time.monotonic() - thought_at
            answer.finish_reason = event.finish_reason
            answer.model = event.model or answer.model
            answer.tool_calls = event.tool_calls
            answer.service_tier = event.service_tier
            answer.complete = True


def name_route(answer: Answer, used: Route | None) -> None:
    """The answer is from whichever backend the selector ended up using."""
    if used is not None:
        answer.backend = used.backend.name
        if not answer.complete:
            answer.model = used.model
