"""Values a server sent, checked before goshi uses them: a hostile or broken server may send
anything where a number, a name or a piece of text belongs.

    token counts  -> int in [0, MAX_TOKENS], else None (the caller then estimates, and says so)
    model name    -> a short printable string, else the model goshi asked for
    content       -> a string, or a list of parts joined: text parts are the answer,
                     thinking / reasoning parts are reasoning, anything else is ignored
    text          -> lone UTF-16 surrogates repaired (a pair split across two events is joined)
    tool calls    -> index a small int, id a short printable string, else treated as missing
"""

from __future__ import annotations

import math
from typing import Any

from goshi.llm.surrogates import has_surrogate, repaired
from goshi.llm.types import Usage

MAX_TOKENS = 10**9  # more than any context window; a bigger count is a broken or hostile server
MAX_MODEL_NAME = 200
MAX_TOOL_INDEX = 1023
MAX_TOOL_ID = 256


def token_count(value: Any) -> int | None:
    """A usage figure, or None when it is not a sane non-negative integer."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            return None
        value = int(value)
    if isinstance(value, int) and 0 <= value <= MAX_TOKENS:
        return value
    return None


def usage_of(
    prompt: Any, completion: Any, cached: Any = 0, reasoning: Any = 0, written: Any = 0
) -> Usage | None:
    """Usage from the server's figures; None (missing) unless both counts are sane. Cached
    and written (cache writes) are parts of the prompt, as OpenAI counts them."""
    p, c = token_count(prompt), token_count(completion)
    if p is None or c is None:
        return None
    hits = min(token_count(cached) or 0, p)
    writes = min(token_count(written) or 0, p - hits)
    return Usage(p, c, hits, min(token_count(reasoning) or 0, c), writes)


def cache_writes(usage: dict[str, Any], details: Any) -> Any:
    """The prompt tokens written to a cache, where proxies in front of Anthropic's models put
    them: OpenRouter's `*_tokens_details.cache_write_tokens`, LiteLLM's
    `*_tokens_details.cache_creation_tokens` or `cache_creation_input_tokens` beside the counts
    (both proxies count them in the prompt tokens, as OpenAI counts cached ones)."""
    if isinstance(details, dict):
        for key in ("cache_write_tokens", "cache_creation_tokens"):
            if details.get(key):
                return details[key]
    return usage.get("cache_creation_input_tokens") or 0


def responses_usage(raw: Any) -> Usage | None:
    """A Responses API usage object (`input_tokens`, `output_tokens` and their details)."""
    if not isinstance(raw, dict):
        return None
    inp, out = raw.get("input_tokens_details"), raw.get("output_tokens_details")
    cached = inp.get("cached_tokens") if isinstance(inp, dict) else 0
    thought = out.get("reasoning_tokens") if isinstance(out, dict) else 0
    written = cache_writes(raw, inp)
    return usage_of(raw.get("input_tokens"), raw.get("output_tokens"), cached, thought, written)


def model_name(value: Any, requested: str) -> str:
    if (
        isinstance(value, str)
        and 0 < len(value) <= MAX_MODEL_NAME
        and value.isprintable()
        and not has_surrogate(value)
    ):
        return value
    return requested


def service_tier(value: Any) -> str | None:
    """The service tier a response names: a short word, or nothing (it decides the price)."""
    if (
        isinstance(value, str)
        and 0 < len(value) <= 32
        and value.isascii()
        and value.replace("_", "").isalnum()
    ):
        return value
    return None


def tool_index(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TOOL_INDEX:
        return value
    return None


def tool_id(value: Any) -> str | None:
    if (
        isinstance(value, str)
        and 0 < len(value) <= MAX_TOOL_ID
        and value.isprintable()
        and not has_surrogate(value)
    ):
        return value
    return None


def short_text(value: Any) -> str | None:
    """A tool name or similar: text, or nothing."""
    return repaired(value) if isinstance(value, str) and value else None


_TEXT_PARTS = ("text", "output_text")
_REASONING_PARTS = ("thinking", "reasoning", "reasoning_text")


def split_content(content: Any) -> tuple[str, str]:
    """(answer text, reasoning text) of a message's `content`: a string or a list of parts."""
    if isinstance(content, str):
        return content, ""
    if not isinstance(content, list):
        return "", ""
    text: list[str] = []
    reasoning: list[str] = []
    for part in content:
        if isinstance(part, str):
            text.append(part)
            continue
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind in _TEXT_PARTS and isinstance(part.get("text"), str):
            text.append(part["text"])
        elif kind in _REASONING_PARTS:
            inner = part.get(kind) if kind in part else part.get("text")
            reasoning.append(split_content(inner)[0])
    return "".join(text), "".join(reasoning)
