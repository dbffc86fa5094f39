"""How an answer ended, said in one line when it did not simply end.

    finish_reason length / max_tokens   -> AnswerCut (exit 8): cut at goshi's cap (the one it
                                           sent: openai.max_tokens, or less for a cost limit or
                                           the context window) or at the server's own limit
                                           (goshi sent none, or the answer stopped short of it);
                                           with no text and reasoning spent, "spent it on reasoning"
    content_filter (and the like)       -> AnswerCut (exit 8): the server's filter stopped it
    no text, no tool call, no refusal   -> a warning: an empty answer is never silent

Called after the answer is printed, stored and charged: the line is the last word.
"""

from __future__ import annotations

import logging

from goshi.agent.turn import Answer
from goshi.errors import AnswerCut

log = logging.getLogger("goshi")


def say_how_it_ended(total: Answer, cap: int | None, cid: int) -> None:
    where = f"what arrived is kept in conversation {cid}"
    room = (
        "raise ollama.num_ctx, or ask for less"
        if total.backend == "ollama"
        else "raise openai.max_tokens or the cost limit, or ask for less"
    )
    if total.cut:
        limit, room = _whose_cap(total, cap, room)
        thought = total.reasoning or (total.usage and total.usage.reasoning_tokens)
        if not total.text.strip() and thought:
            raise AnswerCut(f"the model spent {limit} on reasoning and wrote no answer", room)
        raise AnswerCut(
            f"the answer was cut at {limit}",
            f"{room}; `goshi ask -c` can ask it to go on; {where}",
        )
    if total.filtered:
        raise AnswerCut(
            f"the server's content filter stopped the answer (finish_reason {total.finish_reason})",
            "rephrase the question" + (f"; {where}" if total.text else ""),
        )
    if not total.text.strip() and not total.tool_calls and not total.refusal:
        log.warning(
            "the model sent an empty answer (finish_reason %s)%s",
            total.finish_reason or "none",
            "; it only reasoned" if total.reasoning else "",
        )


def _whose_cap(total: Answer, cap: int | None, room: str) -> tuple[str, str]:
    """goshi's cap when it sent one and the answer reached it; else the server's own limit
    (and what the user can do about each)."""
    used = total.usage.completion_tokens if total.usage else None
    if cap is not None and (used is None or used >= cap):
        return f"goshi's output cap ({_tokens(cap)})", room
    if total.backend == "ollama":  # num_ctx is goshi's setting, its cut the server's
        return (f"the output cap ({_tokens(used)})" if used else "the output cap"), room
    said = f"the server's own output limit ({_tokens(used)})" if used else "the server's limit"
    return said, "the server caps its answers itself: ask for less"


def _tokens(n: int | None) -> str:
    return f"{n:,} token" if n == 1 else f"{n:,} tokens"
