"""The nouns of a conversation with a model, and the events a backend yields while it answers.

A backend turns a `ChatRequest` into an iterator of events:

    TextDelta* / ToolCallDelta*  ->  UsageReport?  ->  Done(finish_reason, tool_calls)

Backends never print; whoever consumes the events decides what the user sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, as the model wrote it (it may be invalid)


@dataclass(slots=True)
class Message:
    role: str  # system | user | assistant | tool
    content: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None


@dataclass(slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.cached_tokens + other.cached_tokens,
        )


@dataclass(slots=True)
class ChatRequest:
    messages: list[Message]
    model: str
    stream: bool = True
    tools: list[dict[str, Any]] = field(default_factory=list)
    max_tokens: int | None = None  # set when a cost limit needs a bound on the answer


@dataclass(slots=True, frozen=True)
class TextDelta:
    text: str


@dataclass(slots=True, frozen=True)
class ToolCallDelta:
    index: int
    id: str | None
    name: str | None
    arguments: str


@dataclass(slots=True, frozen=True)
class UsageReport:
    usage: Usage


@dataclass(slots=True, frozen=True)
class Done:
    finish_reason: str | None
    model: str
    tool_calls: tuple[ToolCall, ...] = ()
    service_tier: str | None = None  # the tier the server says it used (it sets the price)


Event = TextDelta | ToolCallDelta | UsageReport | Done


class ToolCallAssembler:
    """Joins tool-call pieces keyed by `index` into whole calls (arguments arrive split)."""

    def __init__(self) -> None:
        self._calls: dict[int, ToolCall] = {}

    def add(self, delta: ToolCallDelta) -> None:
        call = self._calls.setdefault(delta.index, ToolCall(id="", name="", arguments=""))
        if delta.id:
            call.id = delta.id
        if delta.name:
            call.name = delta.name
        call.arguments += delta.arguments

    def calls(self) -> tuple[ToolCall, ...]:
        return tuple(self._calls[i] for i in sorted(self._calls))
