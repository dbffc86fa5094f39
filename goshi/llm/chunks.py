"""Chat-completion chunks read into events: the OpenAI dialect and every compatible server's.

    chunk (or a whole body) -> model checked -> choice 0 only -> delta / message:
        content (a string or a list of parts) -> TextDelta, thinking parts -> ReasoningDelta
        reasoning_content (DeepSeek, llama.cpp) / reasoning (vLLM) -> ReasoningDelta
        refusal -> RefusalDelta;  tool_calls pieces -> ToolCallDelta (assembled by index, id, order)
    -> finish_reason, usage (checked, cached tokens from OpenAI's or DeepSeek's field) -> Done

Surrogates split across chunks are joined per channel; every value is checked by
goshi/llm/values.py before it becomes an event.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from goshi.llm.surrogates import TextJoiner
from goshi.llm.types import (
    Done,
    Event,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    ToolCall,
    ToolCallAssembler,
    ToolCallDelta,
    UsageReport,
    finished_calls,
)
from goshi.llm.values import (
    cache_writes,
    model_name,
    service_tier,
    split_content,
    tool_id,
    tool_index,
    usage_of,
)

log = logging.getLogger("goshi")
NAME = "openai"
FINISH_MAX = 40


def is_error(obj: dict[str, Any]) -> bool:
    if obj.get("choices"):
        return False
    return obj.get("error") not in (None, False) or obj.get("object") == "error"


class Chunks:
    """Reads chat-completion chunks (or a whole body): checks every value, joins split
    surrogates, assembles tool calls, and remembers finish reason, usage and model."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.finish: str | None = None
        self.calls = ToolCallAssembler()
        self.whole_calls: list[ToolCall] = []
        self.text, self.reasoning, self.refusal = TextJoiner(), TextJoiner(), TextJoiner()
        self.usage_seen = False
        self.raw_model: Any = None
        self.tier: str | None = None

    def read(self, chunk: dict[str, Any], key: str) -> Iterator[Event]:
        raw_model = chunk.get("model")
        if raw_model != self.raw_model:  # checked once per name, not once per token
            self.raw_model = raw_model
            self.model = model_name(raw_model, self.model)
        if "service_tier" in chunk:
            self.tier = service_tier(chunk["service_tier"]) or self.tier
        choices = chunk.get("choices")
        for choice in choices if isinstance(choices, list) else ():
            if not isinstance(choice, dict) or choice.get("index", 0) not in (0, None):
                continue
            delta = choice.get(key)
            if isinstance(delta, dict):
                yield from self._delta(delta, key == "message")
            finish = choice.get("finish_reason")
            if isinstance(finish, str) and finish and len(finish) <= FINISH_MAX:
                self.finish = finish
        raw = chunk.get("usage")
        if isinstance(raw, dict):
            details = raw.get("prompt_tokens_details")
            cached = details.get("cached_tokens") if isinstance(details, dict) else 0
            cached = cached or raw.get("prompt_cache_hit_tokens") or 0  # DeepSeek
            out = raw.get("completion_tokens_details")
            thought = out.get("reasoning_tokens") if isinstance(out, dict) else 0
            written = cache_writes(raw, details)
            usage = usage_of(
                raw.get("prompt_tokens"), raw.get("completion_tokens"), cached, thought, written
            )
            if usage is not None:
                yield UsageReport(usage)
            elif not self.usage_seen:
                log.warning("%s: the server's usage figures are not sane; estimating", NAME)
            self.usage_seen = True

    def _delta(self, delta: dict[str, Any], whole: bool) -> Iterator[Event]:
        text, thought = split_content(delta.get("content"))
        for key in ("reasoning_content", "reasoning"):  # DeepSeek and llama.cpp; vLLM
            if isinstance(value := delta.get(key), str) and value:
                thought = value + thought
                break
        if thought and (out := self.reasoning.feed(thought)):
            yield ReasoningDelta(out)
        if text and (out := self.text.feed(text)):
            yield TextDelta(out)
        refusal = delta.get("refusal")
        if isinstance(refusal, str) and refusal and (out := self.refusal.feed(refusal)):
            yield RefusalDelta(out)
        pieces = delta.get("tool_calls")
        for n, piece in enumerate(pieces if isinstance(pieces, list) else ()):
            if not isinstance(piece, dict):
                continue
            fn = piece.get("function")
            fn = fn if isinstance(fn, dict) else {}
            name = fn.get("name") if isinstance(fn.get("name"), str) else None
            args = fn.get("arguments")
            if not isinstance(args, str):
                args = json.dumps(args) if isinstance(args, dict | list) else ""
            if whole:
                call_id = tool_id(piece.get("id")) or ""
                self.whole_calls.append(ToolCall(call_id, name or "", args))
                event = ToolCallDelta(n, call_id or None, name, args)
            else:
                index, given_id = tool_index(piece.get("index")), tool_id(piece.get("id"))
                event = ToolCallDelta(index, given_id, name, args)
                self.calls.add(event)
            yield event

    def flush(self) -> Iterator[Event]:
        return flush_held(self.reasoning, self.text, self.refusal)

    def done(self) -> Done:
        calls = finished_calls(self.whole_calls) if self.whole_calls else self.calls.calls()
        return Done(self.finish, self.model, calls, self.tier)


def flush_held(reasoning: TextJoiner, text: TextJoiner, refusal: TextJoiner) -> Iterator[Event]:
    """What each channel still holds back (half a surrogate pair) at the end of an answer."""
    if out := reasoning.flush():
        yield ReasoningDelta(out)
    if out := text.flush():
        yield TextDelta(out)
    if out := refusal.flush():
        yield RefusalDelta(out)
