"""The nouns of a conversation with a model, and the events a backend yields while it answers.

A backend turns a `ChatRequest` into an iterator of events:

    (ReasoningDelta | TextDelta | RefusalDelta | ToolCallDelta)*  ->  UsageReport?
        ->  Done(finish_reason, model, tool_calls)

Reasoning is never the answer; a refusal is the answer, marked. UsageReport is absent when the
server sent no usage or usage that failed the checks of goshi/llm/values.py.

Backends never print; whoever consumes the events decides what the user sees.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from goshi.llm.surrogates import repaired
from goshi.record import record


@record(slots=True)
class ToolCall:
    """A tool the model asked for, with its arguments."""

    id: str
    name: str
    arguments: str  # JSON text, as the model wrote it (it may be invalid)
    # Responses API only: the output items that came right before this call, sent back in place
    # next round (reasoning items unchanged; {"type": "message"} marks where the text stood)
    carried: tuple[Any, ...] = field(default=(), compare=False)
    # ... and, on the last call only, those that came after it (OpenAI wants every one back)
    follows: tuple[Any, ...] = field(default=(), compare=False)


@record(slots=True, frozen=True)
class Image:
    """An image sent with a question (`goshi ask -f`, `/add`): its type and its bytes."""

    name: str  # the path it was attached as, for the transcript
    mime: str  # image/png | image/jpeg | image/gif | image/webp, from its content
    data: str  # base64

    def data_url(self) -> str:
        return f"data:{self.mime};base64,{self.data}"


@record(slots=True)
class Message:
    """One message of a conversation, as the backends send it."""

    role: str  # system | user | assistant | tool
    content: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None
    tool_name: str | None = None  # on a tool result: the tool that produced it (Ollama wants it)
    reasoning: str = ""  # an assistant's thinking, sent back where the server documents it
    images: list[Image] = field(default_factory=list)  # a question's attached images
    stored_id: int | None = field(default=None, compare=False)  # its row, when from the store


@record(slots=True)
class Usage:
    """Tokens one answer took, as the server counted them."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0  # of completion_tokens: the part spent thinking, when reported
    cache_write_tokens: int = 0  # of prompt_tokens, beside cached_tokens: written to a cache

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.cached_tokens + other.cached_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
        )


@record(slots=True)
class ChatRequest:
    """What a backend is asked: the messages, the model and the tools offered."""

    messages: list[Message]
    model: str
    stream: bool = True
    tools: list[dict[str, Any]] = field(default_factory=list)
    max_tokens: int | None = None  # set when a cost limit needs a bound on the answer


@record(slots=True, frozen=True)
class TextDelta:
    """A piece of the answer's text."""

    text: str


@record(slots=True, frozen=True)
class ReasoningDelta:
    """A piece of the model's reasoning, shown apart from the answer."""

    text: str


@record(slots=True, frozen=True)
class RefusalDelta:
    """A piece of the model's refusal."""

    text: str


@record(slots=True, frozen=True)
class ToolCallDelta:
    """A piece of a tool call, as the stream brings it."""

    index: int | None  # None: the server gave no (usable) index
    id: str | None
    name: str | None
    arguments: str


@record(slots=True, frozen=True)
class UsageReport:
    """The server's token counts, arriving in the stream."""

    usage: Usage


@record(slots=True, frozen=True)
class Done:
    """The end of a streamed answer."""

    finish_reason: str | None
    model: str
    tool_calls: tuple[ToolCall, ...] = ()
    service_tier: str | None = None  # the tier the server says it used (it sets the price)


Event = TextDelta | ReasoningDelta | RefusalDelta | ToolCallDelta | UsageReport | Done


class ToolCallAssembler:
    """Joins tool-call pieces into whole calls (arguments arrive split).

    A piece belongs to the call at its `index` when the index is given and consistent; else to
    the call with its `id`; else to the latest call (pieces in order). A new `id` at an occupied
    index (Ollama's /v1 numbers every parallel call 0), or a different name, starts a new call.
    Calls that never got an id get `call_N`, so every result can name its call.
    """

    def __init__(self) -> None:
        self._calls: list[ToolCall] = []
        self._at_index: dict[int, int] = {}
        self._by_id: dict[str, int] = {}

    def add(self, delta: ToolCallDelta) -> None:
        at = self._place(delta)
        if at is None:
            at = len(self._calls)
            self._calls.append(ToolCall(id="", name="", arguments=""))
        call = self._calls[at]
        if delta.index is not None:
            self._at_index[delta.index] = at
        if delta.id and not call.id:
            call.id = delta.id
            self._by_id[delta.id] = at
        if delta.name and not call.name:
            call.name = delta.name
        call.arguments += delta.arguments

    def _place(self, delta: ToolCallDelta) -> int | None:
        """The position of the call this piece continues, or None for a new call."""
        if delta.index is not None:
            at = self._at_index.get(delta.index)
        elif delta.id:
            at = self._by_id.get(delta.id)
        elif delta.name:  # no index, no id: a name opens a call (it comes in the first piece)
            return None
        else:
            at = len(self._calls) - 1 if self._calls else None
        if at is None:
            return None
        call = self._calls[at]
        if delta.id and call.id and call.id != delta.id:
            return None
        if delta.name and call.name and call.name != delta.name:
            return None
        return at

    def __len__(self) -> int:
        return len(self._calls)

    def calls(self) -> tuple[ToolCall, ...]:
        """The whole calls: every one with an id, its text safe to store and print."""
        return finished_calls(self._calls)


def finished_calls(calls: list[ToolCall]) -> tuple[ToolCall, ...]:
    taken = {c.id for c in calls if c.id}
    out: list[ToolCall] = []
    for n, call in enumerate(calls):
        call_id = call.id
        if not call_id or call_id in (c.id for c in out):
            call_id = f"call_{n}"
            while call_id in taken:
                call_id += "_"
            taken.add(call_id)
        out.append(ToolCall(call_id, repaired(call.name), repaired(call.arguments)))
    return tuple(out)
