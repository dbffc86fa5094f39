"""A round's tool calls: each run in turn (approved where it must be), then the assistant message
and every result stored together, so a stored tool call always has its result.

    calls -> Tools.run (a command's output to out.tool_output as it arrives) -> one tool
    line each -> held(): the assistant message, each result, its audit row and the file change
    it applied (goshi/store/changes.py) -> what the model sees next

Ctrl-C or a signal at a call stops the round: the calls not run get a "not run" result, the
round is stored whole, and the turn ends (Interrupted, HungUp or Terminated).
"""

from __future__ import annotations

import functools
import time

from goshi.agent.budget import NOT_RUN, RoundBudget
from goshi.agent.calls import ToolResult, brief, redacted_arguments
from goshi.agent.turn import Answer
from goshi.llm.types import Message, ToolCall
from goshi.signals import held, interrupted
from goshi.turn.parts import Parts
from goshi.ui.view import Output

STEP_LIMIT = "not run: goshi stopped after tools.max_steps tool rounds"
INTERRUPTED = "not run: the user interrupted goshi"


def store_round(
    s: Parts,
    question_id: int,
    answer: Answer,
    calls: list[ToolCall],
    out: Output,
    run_tools: bool,
) -> list[Message]:
    """Run the round's tool calls, then store the assistant message and every result
    together (a stored tool call always has its result), as answers to `question_id`; return
    what the model sees next."""
    results: list[tuple[ToolCall, ToolResult, float]] = []
    if calls:
        out.pause()
    stopped = None if run_tools else STEP_LIMIT
    stop: KeyboardInterrupt = KeyboardInterrupt()
    budget = RoundBudget()
    for call in calls:
        if stopped:
            results.append((call, ToolResult(False, stopped, "not run"), 0.0))
            continue
        started = time.monotonic()
        shown = brief(call)
        if (refused := budget.admit(call)) is not None:
            results.append((call, refused, 0.0))
            if refused.summary != NOT_RUN:  # those not run are counted in one line below
                out.tool(f"-> {shown}  {refused.summary}", "")
            continue
        try:
            result = budget.spend(s.tools.run(call, functools.partial(out.tool_output, shown)))
        except KeyboardInterrupt as exc:  # Ctrl-C at an approval prompt, or a signal
            stopped, stop = INTERRUPTED, exc
            result = ToolResult(False, stopped, "interrupted")
        if result.stop:  # Ctrl-C stopped a command: its output is its result, then stop
            stopped = INTERRUPTED
        ms = (time.monotonic() - started - result.waited_s) * 1000  # goshi's time, not the user's
        out.tool(f"-> {shown}  {result.summary}  {ms:.0f} ms", result.tail)
        results.append((call, result, ms))
    if budget.not_run:
        out.tool(f"-> {budget.not_run} more tool calls {NOT_RUN}", "")
    said = Message("assistant", answer.text, budget.kept(calls), reasoning=answer.reasoning)
    with held():
        replies = _save_round(s, question_id, said, answer, results)
    if stopped == INTERRUPTED:
        out.finish_partial()
        raise interrupted(stop, f"what was done is kept in conversation {s.cid}")
    return replies


def _save_round(
    s: Parts,
    question_id: int,
    said: Message,
    answer: Answer,
    results: list[tuple[ToolCall, ToolResult, float]],
) -> list[Message]:
    assistant_id = s.store.add_message(
        s.cid,
        said,
        "ok",
        backend=answer.backend,
        model=answer.model,
        usage=answer.usage,
        finish_reason=answer.finish_reason,
        refusal=answer.refusal,
        question_id=question_id,
    )
    replies = [said]
    for call, result, ms in results:
        reply = Message("tool", result.content, tool_call_id=call.id, tool_name=call.name)
        s.store.add_message(s.cid, reply, "ok", question_id=question_id)
        s.store.record_tool_call(
            s.cid,
            assistant_id,
            call.id,
            call.name,
            redacted_arguments(call, result.audit),
            "ok" if result.ok else "error",
            result.summary,
            ms,
        )
        if (done := result.applied) is not None:  # kept so that `goshi undo` can put it back
            s.store.record_change(
                s.cid, done.path, done.rel, done.before, done.after, kept=done.kept,
                question_id=question_id, message_id=assistant_id,
            )  # fmt: skip
        replies.append(reply)
    return replies
