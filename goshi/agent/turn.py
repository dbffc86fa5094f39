"""One model response consumed: events -> the Answer the user sees and the store keeps.

The caller passes `on_text`, which puts each delta on the screen or the pipe as it arrives; the
Answer is filled in place, so whatever arrived is still there when Ctrl-C or a cut stream ends it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from goshi.llm.types import Done, Event, TextDelta, ToolCall, Usage, UsageReport


@dataclass(slots=True)
class Answer:
    backend: str
    model: str
    parts: list[str] = field(default_factory=list)
    usage: Usage | None = None
    finish_reason: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    complete: bool = False
    service_tier: str | None = None

    @property
    def text(self) -> str:
        return "".join(self.parts)


def stream_answer(events: Iterable[Event], answer: Answer, on_text: Callable[[str], None]) -> None:
    parts = answer.parts
    for event in events:
        if type(event) is TextDelta:
            parts.append(event.text)
            on_text(event.text)
        elif type(event) is UsageReport:
            answer.usage = event.usage
        elif type(event) is Done:
            answer.finish_reason = event.finish_reason
            answer.model = event.model or answer.model
            answer.tool_calls = event.tool_calls
            answer.service_tier = event.service_tier
            answer.complete = True
