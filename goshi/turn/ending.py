"""How an answer ended, said in one line when it did not simply end.

    finish_reason length / max_tokens   -> AnswerCut (exit 8): cut at the output cap, or, with no
                                           text and reasoning spent, "spent it on reasoning"
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
        spent = cap or (total.usage.completion_tokens if total.usage else None)
        unit = "token" if spent == 1 else "tokens"
        limit = f"the output cap ({spent:,} {unit})" if spent else "the output cap"
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
