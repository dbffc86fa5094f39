"""Is a server's rejection a "context exceeded" one, and what numbers does it give?

Every dialect's error body reaches goshi as the text of a RequestRejected (the backends read
the body); this module reads only that text:

    OpenAI     "This model's maximum context length is 128000 tokens. However, your messages
               resulted in 130000 tokens ..."  (code context_length_exceeded)
    vLLM       the same sentence, or "... maximum context length is 4096 tokens and your request
               has 2778 input tokens (8000 > 4096 - 2778)", or "The decoder prompt (length 4476)
               is longer than the maximum model length of 4096"
    llama.cpp  "request (4476 tokens) exceeds the available context size (4096 tokens), try
               increasing it" (type exceed_context_size_error); older: "the request exceeds the
               available context size"
    Ollama     "the input length exceeds the context length"
    others     "context window", "prompt is too long", "too many tokens"
"""

from __future__ import annotations

import re

from goshi.record import record

# compiled on first use (re's cache): only a rejection is read with them
_WINDOW = (
    r"maximum context length is (\d+)",
    r"available context size \((\d+) tokens?\)",
    r"maximum model length (?:of |is )?(\d+)",
    r"context (?:window|length|size) (?:is |of )?(\d+) tokens",
)
_ASKED = (
    r"resulted in (\d+) tokens",
    r"you requested (\d+) tokens",
    r"request has (\d+) input tokens",
    r"prompt contains at least (\d+) input tokens",
    r"request \((\d+) tokens\)",
    r"prompt \(length (\d+)\)",
    r"prompt is too long: (\d+) tokens",
)
_SAID = (
    "context_length_exceeded",
    "exceed_context_size",
    "maximum context length",
    "exceeds the available context size",
    "maximum model length",
    "exceeds the context length",
    "context window",
    "context length exceeded",
    "prompt is too long",
    "too many tokens",
)


@record(frozen=True, slots=True)
class Overflow:
    window: int | None  # the server's context window, when it said
    asked: int | None  # the tokens the request took (or asked for), when it said


def overflow(text: str) -> Overflow | None:
    """The overflow a rejection's text describes, or None when it is about something else."""
    low = text.lower()
    if not any(phrase in low for phrase in _SAID):
        return None
    return Overflow(_first(_WINDOW, text), _first(_ASKED, text))


def _first(patterns: tuple[str, ...], text: str) -> int | None:
    for pattern in patterns:
        if (m := re.search(pattern, text, re.I)) is not None:
            value = int(m.group(1))
            if 0 < value < 1_000_000_000:  # a server's number: range-checked before use
                return value
    return None
