"""What one round of tool calls may take: a model (or a server speaking for one) decides how many
calls an answer holds and what their arguments say, so a round is bounded before anything runs.

    for each call:  RoundBudget.admit(call)
                      past MAX_CALLS calls, or its arguments would take the round's bytes
                      (arguments and results) past MAX_ROUND_BYTES
                          -> not run: an error result the model can read
                      arguments nested too deep, or holding a lone surrogate (`"\\udc80"`:
                      not text, it cannot be stored or shown) -> refused: a tool error
                      else None: the call runs
                    RoundBudget.spend(result) -> the result, cut where the round's bytes end,
                      a lone surrogate in it (an MCP server's `\\udc80`) made U+FFFD
    RoundBudget.kept(calls) -> the calls as stored and sent back: a call not run keeps its
                      arguments only up to MAX_KEPT_ARGUMENTS bytes (else `{}`)

Every call still gets a result (a stored tool call always has one), and the turn goes on.
"""

from __future__ import annotations

import json

from goshi import json_bounds
from goshi.agent.calls import ToolResult
from goshi.llm.surrogates import has_surrogate, repaired
from goshi.llm.types import ToolCall
from goshi.record import replace

MAX_CALLS = 64  # more in one answer is a loop or an attack; the model may ask again
MAX_ROUND_BYTES = 2_000_000  # arguments and results of one round, in UTF-8: 20 read_file answers
MAX_KEPT_ARGUMENTS = 1_000  # of a call not run: what it was is kept, not a hostile payload

TOO_MANY = (
    f"not run: goshi runs at most {MAX_CALLS} tool calls from one answer; "
    "ask for the rest in your next answer"
)
NOT_RUN = f"not run (at most {MAX_CALLS} from one answer, {MAX_ROUND_BYTES:,} bytes in all)"
SPENT = (
    f"not run: this round's tool calls and results would pass {MAX_ROUND_BYTES:,} bytes; "
    "ask for less at a time (read_file takes start_line and end_line)"
)


class RoundBudget:
    def __init__(self) -> None:
        self.calls = 0
        self.bytes = 0
        self.not_run = 0  # calls answered "not run" by the cap or the budget
        self.dropped: set[str] = set()  # ids of calls whose arguments are not kept

    def admit(self, call: ToolCall) -> ToolResult | None:
        """None when the call may run; else the result that stands for it."""
        self.calls += 1
        size = len(call.arguments.encode("utf-8", "replace"))
        if self.calls > MAX_CALLS or self.bytes + size > MAX_ROUND_BYTES:
            self.not_run += 1
            if size > MAX_KEPT_ARGUMENTS:
                self.dropped.add(call.id)
            return ToolResult(False, TOO_MANY if self.calls > MAX_CALLS else SPENT, NOT_RUN)
        self.bytes += size
        return unusable(call)

    def kept(self, calls: list[ToolCall]) -> list[ToolCall]:
        """The calls as stored and sent back: the long arguments of those not run dropped."""
        if not self.dropped:
            return calls
        return [replace(c, arguments="{}") if c.id in self.dropped else c for c in calls]

    def spend(self, result: ToolResult) -> ToolResult:
        """The result, storable (no lone surrogate) and cut to what is left of the round's
        bytes."""
        if has_surrogate(result.content):
            result = replace(result, content=repaired(result.content))
        left = MAX_ROUND_BYTES - self.bytes
        data = result.content.encode("utf-8")
        if len(data) <= left:
            self.bytes += len(data)
            return result
        self.bytes = MAX_ROUND_BYTES
        kept = data[:left].decode("utf-8", "ignore")
        said = f"\n[cut: this round's results reached {MAX_ROUND_BYTES:,} bytes]"
        return replace(result, content=kept + said)


def unusable(call: ToolCall) -> ToolResult | None:
    """A tool error for arguments no tool can be given; None when they may go on (a tool
    still checks them against its schema)."""
    try:
        args = json_bounds.loads(call.arguments or "{}")
    except json_bounds.TooDeep as exc:
        return ToolResult(False, f"error: the arguments are {exc}", "bad arguments")
    except ValueError:
        return None  # the tool says what is wrong with the JSON
    try:
        json.dumps(args, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        char = exc.object[exc.start : exc.start + 1].encode("unicode_escape").decode()
        return ToolResult(
            False,
            f"error: the arguments hold a lone surrogate ({char}), which is not text; "
            "send valid Unicode",
            "bad arguments: a lone surrogate",
        )
    return None
