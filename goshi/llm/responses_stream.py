"""The Responses API's typed events (or one whole response) read into goshi's events.

    response.output_text.delta                        -> TextDelta
    response.refusal.delta                            -> RefusalDelta (the answer, marked)
    response.reasoning_summary_text.delta,
    response.reasoning_text.delta (raw, local servers) -> ReasoningDelta (never the answer)
    response.output_item.added / .done                -> items by output_index, else item_id:
        function_call: call_id and name; reasoning: kept whole, to be sent back (each
        call carries the items before it; the last, those after it too)
    response.function_call_arguments.delta / .done    -> ToolCallDelta, arguments joined
    *.done with text no delta brought                 -> the rest of it, per content part (a
                                                         server may skip deltas)
    response.completed                                -> usage, model, service tier -> Done
    response.incomplete                               -> Done("length" | "content_filter" | ...)
    response.failed, an `error` event (flat or nested),
    a typeless {"error": ...} line (gateways)       -> ResponseFailed(fault)
    anything else                                     -> ignored, counted

Every value is checked by goshi/llm/values.py, as on the chat path. llama.cpp's server says
`completed` even when it stopped at the cap goshi sent; an answer of exactly that many tokens
is then read as cut.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx

from goshi import json_bounds
from goshi.errors import StreamCut
from goshi.llm import sse
from goshi.llm.chunks import flush_held, is_error
from goshi.llm.error_body import ServerFault, from_json
from goshi.llm.faults import read_json
from goshi.llm.surrogates import TextJoiner
from goshi.llm.types import (
    Done,
    Event,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    UsageReport,
    finished_calls,
)
from goshi.llm.values import model_name, responses_usage, service_tier, short_text, tool_id
from goshi.llm.wire import redact

log = logging.getLogger("goshi")
NAME = "openai"
REASON_MAX = 40
TEXT_MARK = {"type": "message"}  # where the text stood among the carried items (with its phase)


class ResponseFailed(Exception):
    """The server ended the response with an error (response.failed or an error event)."""

    def __init__(self, fault: ServerFault) -> None:
        super().__init__(fault.text)
        self.fault = fault


class Item:
    """One output item as it arrives."""

    __slots__ = ("arguments", "call_id", "kind", "name", "phase", "raw", "said")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.call_id: str | None = None
        self.name: str | None = None
        self.arguments = ""
        self.said: dict[int, int] = {}  # content part -> characters already passed on
        self.raw: dict[str, Any] | None = None  # a reasoning item, whole
        self.phase: str | None = None  # a message's: commentary | final_answer (codex models)


class ResponseReader:
    """Reads one response: events in order (`event`) or a whole response object (`whole`)."""

    def __init__(self, model: str, cap: int | None) -> None:
        self.model = model
        self.cap = cap
        self.items: dict[Any, Item] = {}
        self.order: list[Item] = []
        self.text, self.reasoning, self.refusal = TextJoiner(), TextJoiner(), TextJoiner()
        self.finish: str | None = None
        self.tier: str | None = None
        self.ended = False
        self.unknown = 0
        self.summary_at: tuple[Any, Any] | None = None
        self.raw_model: Any = None

    # --- one event ---------------------------------------------------------------------------

    def event(self, event: dict[str, Any]) -> Iterator[Event]:
        kind = event.get("type")
        if not isinstance(kind, str):
            self.unknown += 1
            return
        delta = event.get("delta")
        if kind == "response.output_text.delta":
            if isinstance(delta, str) and delta:
                _count(self._slot(event, "message"), event, delta)
                if out := self.text.feed(delta):
                    yield TextDelta(out)
        elif kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            if isinstance(delta, str) and delta:
                yield from self._thought(event, delta)
        elif kind == "response.refusal.delta":
            if isinstance(delta, str) and delta:
                _count(self._slot(event, "message"), event, delta)
                if out := self.refusal.feed(delta):
                    yield RefusalDelta(out)
        elif kind == "response.function_call_arguments.delta":
            if isinstance(delta, str) and delta:
                item = self._slot(event, "function_call")
                item.arguments += delta
                yield ToolCallDelta(self._index(item), item.call_id, None, delta)
        elif kind in ("response.output_item.added", "response.output_item.done"):
            yield from self._item(event, kind.endswith("done"))
        elif kind in ("response.output_text.done", "response.refusal.done"):
            yield from self._rest(event, "text" if kind.endswith("text.done") else "refusal")
        elif kind == "response.function_call_arguments.done":
            item = self._slot(event, "function_call")
            if isinstance(args := event.get("arguments"), str):
                item.arguments = args
        elif kind in ("response.completed", "response.incomplete", "response.failed"):
            yield from self._end(event.get("response"))
        elif kind == "error":
            fields = {k: v for k, v in event.items() if k not in ("type", "sequence_number")}
            raise ResponseFailed(from_json(fields))
        elif kind not in _QUIET:
            self.unknown += 1

    def _thought(self, event: dict[str, Any], delta: str) -> Iterator[Event]:
        at = (event.get("item_id"), event.get("summary_index"))
        if self.summary_at is not None and at != self.summary_at:
            delta = "\n\n" + delta  # the next summary part, or the next reasoning item
        self.summary_at = at
        if out := self.reasoning.feed(delta):
            yield ReasoningDelta(out)

    def _slot(self, event: dict[str, Any], kind: str) -> Item:
        """The item an event belongs to: by output_index, else item_id, else the last one."""
        index, item_id = event.get("output_index"), event.get("item_id")
        for key in (index, item_id):
            if _key(key) and (item := self.items.get(key)) is not None and item.kind == kind:
                return item
        for item in reversed(self.order):
            if item.kind == kind:
                return item
        item = Item(kind)
        self._keep(item, *(k for k in (index, item_id) if _key(k) and k not in self.items))
        return item

    def _keep(self, item: Item, *keys: Any) -> None:
        self.order.append(item)
        for key in keys:
            self.items[key] = item

    def _item(self, event: dict[str, Any], done: bool) -> Iterator[Event]:
        raw = event.get("item")
        if not isinstance(raw, dict) or not isinstance(kind := raw.get("type"), str):
            return
        index = event.get("output_index")
        call_id = tool_id(raw.get("call_id"))
        keys = (index, tool_id(raw.get("id")), call_id)
        found = (self.items.get(k) for k in keys if _key(k))
        item = next((i for i in found if i is not None and i.kind == kind), None)
        if item is None:
            item = Item(kind)
            self._keep(item, *(k for k in keys if _key(k) and k not in self.items))
        if kind == "function_call":
            fresh = item.call_id is None
            item.call_id = item.call_id or call_id
            item.name = item.name or short_text(raw.get("name"))
            if done and isinstance(args := raw.get("arguments"), str):
                item.arguments = args
            if fresh and item.name:
                yield ToolCallDelta(self._index(item), item.call_id, item.name, "")
        elif kind == "reasoning" and done:
            item.raw = raw
        elif kind == "message":
            item.phase = item.phase or _phase(raw.get("phase"))
            if done:
                yield from self._message_rest(item, raw.get("content"))

    def _rest(self, event: dict[str, Any], what: str) -> Iterator[Event]:
        """A .done event's whole text: whatever of it no delta brought."""
        whole = event.get("text" if what == "text" else "refusal")
        if isinstance(whole, str):
            item = self._slot(event, "message")
            yield from self._said(item, _part(event), whole, what)

    def _message_rest(self, item: Item, content: Any) -> Iterator[Event]:
        for n, part in enumerate(content if isinstance(content, list) else ()):
            if isinstance(part, dict) and part.get("type") == "output_text":
                whole = part.get("text")
                what = "text"
            elif isinstance(part, dict) and part.get("type") == "refusal":
                whole, what = part.get("refusal"), "refusal"
            else:
                continue
            if isinstance(whole, str):
                yield from self._said(item, n, whole, what)

    def _said(self, item: Item, part: int, whole: str, what: str) -> Iterator[Event]:
        """What of a content part's whole text no delta brought (a message may have several)."""
        said = item.said.get(part, 0)
        if len(whole) <= said:
            return
        rest = whole[said:]
        item.said[part] = len(whole)
        if what == "text" and (out := self.text.feed(rest)):
            yield TextDelta(out)
        elif what == "refusal" and (out := self.refusal.feed(rest)):
            yield RefusalDelta(out)

    def _index(self, item: Item) -> int:
        return [i for i in self.order if i.kind == "function_call"].index(item)

    # --- the end -----------------------------------------------------------------------------

    def _end(self, response: Any) -> Iterator[Event]:
        if not isinstance(response, dict):
            response = {}
        self.ended = True
        raw_model = response.get("model")
        self.model = model_name(raw_model, self.model)
        self.tier = service_tier(response.get("service_tier")) or self.tier
        status = response.get("status")
        if status == "failed" or (status is None and response.get("error")):
            error = response.get("error")
            raise ResponseFailed(from_json({"error": error} if error else response))
        usage = responses_usage(response.get("usage"))
        if usage is not None:
            yield UsageReport(usage)
        elif response.get("usage") is not None:
            log.warning("%s: the server's usage figures are not sane; estimating", NAME)
        if status == "incomplete":
            details = response.get("incomplete_details")
            reason = details.get("reason") if isinstance(details, dict) else None
            self.finish = "length" if reason in (None, "max_output_tokens") else str(reason)
            if len(self.finish) > REASON_MAX or not self.finish.isprintable():
                self.finish = "incomplete"
        elif any(i.kind == "function_call" for i in self.order):
            self.finish = "tool_calls"
        elif self.cap and usage is not None and usage.completion_tokens == self.cap:
            self.finish = "length"  # llama.cpp says completed when it stopped at the cap
        else:
            self.finish = "stop"

    def whole(self, response: dict[str, Any]) -> Iterator[Event]:
        """One response object (--no-stream): its output items in order, then its end."""
        output = response.get("output")
        for n, raw in enumerate(output if isinstance(output, list) else ()):
            if not isinstance(raw, dict):
                continue
            if raw.get("type") == "reasoning":
                yield from self._reasoning_of(raw)
            yield from self._item({"output_index": n, "item": raw}, done=False)
            yield from self._item({"output_index": n, "item": raw}, done=True)
        yield from self._end(response)

    def _reasoning_of(self, raw: dict[str, Any]) -> Iterator[Event]:
        for key in ("summary", "content"):
            parts = raw.get(key)
            for n, part in enumerate(parts if isinstance(parts, list) else ()):
                if isinstance(part, dict) and isinstance(text := part.get("text"), str) and text:
                    yield from self._thought({"item_id": raw.get("id"), "summary_index": n}, text)
            if parts:
                return

    def flush(self) -> Iterator[Event]:
        return flush_held(self.reasoning, self.text, self.refusal)

    def done(self) -> Done:
        if self.unknown:
            log.info("%s: ignored %d event(s) of a type goshi does not know", NAME, self.unknown)
        calls: list[ToolCall] = []
        carried: list[tuple[Any, ...]] = []
        pending: list[Any] = []
        for item in self.order:
            if item.kind == "reasoning" and item.raw is not None:
                pending.append(item.raw)
            elif item.kind == "message" and (pending or item.phase):
                pending.append({**TEXT_MARK, "phase": item.phase} if item.phase else TEXT_MARK)
            elif item.kind == "function_call":
                calls.append(ToolCall(item.call_id or "", item.name or "", item.arguments))
                carried.append(tuple(pending))
                pending = []
        follows = [()] * (len(calls) - 1) + [tuple(pending)] if calls else []
        whole = finished_calls(calls)
        out = tuple(
            ToolCall(c.id, c.name, c.arguments, k, f)
            for c, k, f in zip(whole, carried, follows, strict=True)
        )
        return Done(self.finish, self.model, out, self.tier)


# the lifecycle and part events goshi needs nothing from (anything else is counted)
_QUIET = frozenset(
    f"response.{name}"
    for name in (
        "created",
        "in_progress",
        "queued",
        "content_part.added",
        "content_part.done",
        "reasoning_summary_part.added",
        "reasoning_summary_part.done",
        "reasoning_summary_text.done",
        "reasoning_text.done",
        "output_text.annotation.added",
    )
)


def _phase(value: Any) -> str | None:
    """A message's phase, to be sent back with its text (OpenAI: dropping it degrades codex)."""
    return value if value in ("commentary", "final_answer") else None


def _part(event: dict[str, Any]) -> int:
    """The content part an event is about (llama.cpp names none: its messages have one)."""
    n = event.get("content_index")
    return n if isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= 4096 else 0


def _count(item: Item, event: dict[str, Any], delta: str) -> None:
    part = _part(event)
    item.said[part] = item.said.get(part, 0) + len(delta)


def _key(key: Any) -> bool:
    """An output_index (a small int) or an item id (a short string): usable as a key."""
    if isinstance(key, int) and not isinstance(key, bool):
        return 0 <= key <= 4096
    return isinstance(key, str) and 0 < len(key) <= 256


def decode(data: str) -> dict[str, Any] | None:
    try:
        obj = json_bounds.loads(data)
    except ValueError:  # TooDeep too
        return None
    return obj if isinstance(obj, dict) else None


def answer(
    response: httpx.Response, reader: ResponseReader, streamed: bool, key: str | None
) -> Iterator[Event]:
    """A 200 answer's events: the typed stream, or one whole body. ResponseFailed when the
    server ends it with an error (after what arrived is passed on), StreamCut when it stops
    before its end."""
    try:
        if not streamed:
            response.read()
            body = read_json(response)
            if is_error(body) and body.get("object") != "response":
                raise ResponseFailed(from_json(body))
            yield from reader.whole(body)
        else:
            malformed = 0
            for event in sse.events(response.iter_text()):
                if reader.ended:
                    continue  # read to the end of the body: the connection is reused
                if (data := decode(event.data)) is None:
                    malformed += 1
                    log.info("%s: skipped a malformed event: %.200r", NAME, redact(event.data, key))
                    continue
                if event.event == "error" and data.get("type") != "error":
                    data = {"type": "error", "error": data}  # llama.cpp's `error:` line
                elif "type" not in data and is_error(data):
                    data = {**data, "type": "error"}  # a gateway's chat-style error line
                yield from reader.event(data)
            if malformed:
                log.warning("%s: skipped %d malformed event(s) in the stream", NAME, malformed)
    except ResponseFailed:
        yield from reader.flush()
        raise
    yield from reader.flush()
    if not reader.ended:
        raise StreamCut(
            f"{NAME}: the stream ended before the answer did", "try again", backend=NAME
        )
    yield reader.done()
