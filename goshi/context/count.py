"""How many tokens messages take, for context decisions.

    bound      ceil(UTF-8 bytes / 3) per text + 4 per message + 3, and a bound per image: the
               cost meter's estimate (goshi/cost/meter.py), above the real count for prose,
               code and CJK alike
    calibrated bound x the ratio the server's own prompt_tokens showed for this model on this
               server (learned after every answer; 1.0 until then), plus a 10% margin

A tokenizer was measured and not taken: bpe-openai costs 1.5-2 s to import (60-150 ms through
its bare binding) and ~66 MiB of memory, and it knows OpenAI's encodings only; the calibration is
free, knows every server's tokenizer, and the 10% margin plus the overflow recovery
(goshi/turn/keeper.py) cover what it misses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from goshi.cost.meter import estimate_tokens, image_tokens
from goshi.llm.types import Message

MARGIN = 1.1
MIN_RATIO = 0.2


def _bytes(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def bound(message: Message) -> int:
    """The byte bound of one message (the meter's estimate_tokens, without encoding ASCII),
    its tool calls' names and arguments included."""
    tokens = 4 + -(-_bytes(message.content) // 3) + image_tokens(message)
    for call in message.tool_calls:
        tokens += 4 + -(-_bytes(call.name) // 3) + -(-_bytes(call.arguments) // 3)
    return tokens


def tools_bound(tools: list[dict[str, Any]]) -> int:
    return estimate_tokens(json.dumps(tools)) if tools else 0


class Counter:
    """Counts with a ratio: 1.0 is the byte bound itself."""

    def __init__(self, ratio: float = 1.0) -> None:
        self.ratio = ratio

    def scale(self, bound_tokens: int) -> int:
        return -(-int(bound_tokens * self.ratio * 1000) // 1000)

    def count(self, messages: Iterable[Message]) -> int:
        return self.scale(3 + sum(map(bound, messages)))


def learned_ratio(prompt_tokens: int, bound_tokens: int) -> float | None:
    """The ratio a real answer showed, with the margin; None when the numbers make no sense."""
    if prompt_tokens <= 0 or bound_tokens <= 0:
        return None
    return min(1.0, max(MIN_RATIO, prompt_tokens / bound_tokens * MARGIN))
