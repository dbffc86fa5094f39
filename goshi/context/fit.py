"""Fitting a conversation into a context window. Pure: messages in, a plan out; no I/O.

    messages = head (system) + turns (a user message and what answered it: assistant messages,
    tool calls and their results); the last turn holds the question.

    fits already?                      -> sent as they are
    1. shorten old tool results        the call stays (with its path), the result becomes a
                                       marker; oldest first, never in the question's turn
    2. fold the oldest turns           whole turns, so no tool result loses its call nor a call its
                                       result; folded down to FOLD_TO of the budget, so a summary is
                                       not made again at the very next turn
    3. fewer kept turns                the last turns go while they fit, the question's turn always
    4. shorten the question's own      its tool results, oldest first
       tool results
    still too big                      -> TooBig: the question alone does not fit

The caller (goshi/turn/keeper.py) turns folded turns into a summary or leaves them out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field

from goshi import json_bounds
from goshi.llm.types import Message
from goshi.record import record, replace

FOLD_TO = 0.6  # after folding, the history takes at most this share of the budget
SHORTEN_OVER = 64  # tool results smaller than this (tokens) are not worth shortening


@record
class Plan:
    head: list[Message]
    kept: list[list[Message]]  # the turns sent, tool results shortened where needed
    folded: list[list[Message]] = field(default_factory=list)  # oldest turns, to fold
    shortened: int = 0
    tokens: int = 0  # of what is sent (head + kept), without a summary still to be made
    before: int = 0  # of the messages as they came

    @property
    def messages(self) -> list[Message]:
        return self.head + [m for turn in self.kept for m in turn]

    @property
    def folded_upto(self) -> int | None:
        """The stored id of the last folded message: the compaction's mark."""
        for turn in reversed(self.folded):
            for message in reversed(turn):
                if message.stored_id is not None:
                    return message.stored_id
        return None


class TooBig(Exception):
    def __init__(self, tokens: int, budget: int) -> None:
        super().__init__(f"{tokens} tokens do not fit in {budget}")
        self.tokens = tokens
        self.budget = budget


def split_turns(messages: list[Message]) -> tuple[list[Message], list[list[Message]]]:
    """The head (system messages before the first question) and the turns."""
    head: list[Message] = []
    turns: list[list[Message]] = []
    for m in messages:
        if m.role == "user" or not (turns or m.role == "system"):
            turns.append([m])  # a question (or an answer before any question: never stored so)
        elif turns:
            turns[-1].append(m)
        else:
            head.append(m)
    return head, turns


def shortened(result: Message, call_of: dict[str, str]) -> Message:
    """A tool result as a marker; the call that made it (with its path) stays as it was."""
    call = call_of.get(result.tool_call_id or "", "a tool call")
    size = len(result.content.encode("utf-8"))
    marker = (
        f"[goshi: the result of {call} ({size:,} bytes) was shortened to fit the context window;"
        " call the tool again if it is needed]"
    )
    return replace(result, content=marker)  # its call id (and Ollama's tool_name) stay


def describe_call(name: str, arguments: str) -> str:
    try:
        args = json_bounds.loads(arguments)
    except ValueError:
        args = None
    path = args.get("path") if isinstance(args, dict) else None
    return f"{name} {path}" if isinstance(path, str) else name


def fit(
    messages: list[Message],
    budget: int,
    count: Callable[[list[Message]], int],
    *,
    keep: int,
    fold_reserve: int,
    force: bool = False,
    has_question: bool = True,
) -> Plan:
    """Plan what to send so that it counts at most `budget` tokens. `fold_reserve` is what the
    summary of folded turns will take. `force` folds every turn it may (for /compact and after
    a server said the request did not fit) even when the count says it fits."""
    head, turns = split_turns(messages)
    empty = count([])  # the request's own overhead, counted once
    sizes = [count(t) - empty for t in turns]
    base = count(head)
    total = base + sum(sizes)
    plan = Plan(head, [list(t) for t in turns], tokens=total, before=total)
    if total <= budget and not force:
        return plan
    calls = {c.id: describe_call(c.name, c.arguments) for m in messages for c in m.tool_calls}
    protected = min(len(turns), keep + (1 if has_question else 0))
    first_kept = len(turns) - protected

    def shorten(indexes: range, target: int) -> None:
        for i in indexes:
            turn = plan.kept[i]
            for j, m in enumerate(turn):
                if plan.tokens <= target:
                    return
                if m.role == "tool" and count([m]) > SHORTEN_OVER:
                    turn[j] = shortened(m, calls)
                    plan.shortened += 1
                    before, sizes[i] = sizes[i], count(turn) - empty
                    plan.tokens -= before - sizes[i]

    if not force:  # every turn's tool results but the question's, oldest first
        shorten(range(len(turns) - (1 if has_question else 0)), budget)
        if plan.tokens <= budget:
            return plan
    # Fold the oldest turns, down to FOLD_TO of the budget (all foldable ones when forced).
    target = int(budget * FOLD_TO) - fold_reserve
    folded = 0
    limit = first_kept
    while folded < limit and (force or plan.tokens > target):
        plan.tokens -= sizes[folded]
        folded += 1
    # Not enough: fold kept turns too, newest last, the question's turn never.
    last_foldable = len(turns) - (1 if has_question else 0)
    while folded < last_foldable and plan.tokens + fold_reserve > budget:
        plan.tokens -= sizes[folded]
        folded += 1
    plan.folded = plan.kept[:folded]
    plan.kept = plan.kept[folded:]
    sizes = sizes[folded:]
    if plan.tokens + (fold_reserve if folded else 0) > budget:
        shorten(range(len(plan.kept)), budget - (fold_reserve if folded else 0))
    need = plan.tokens + (fold_reserve if folded else 0)
    if need > budget:
        raise TooBig(need, budget)
    return plan
