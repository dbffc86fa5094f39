"""What a turn works with: the nouns the runner, the tool round and the context keeper share,
below the Session that owns them (goshi/turn/session.py), so none of them needs the Session.

    Parts   settings, store, selector, meter, tools and the conversation's id, for one
            conversation (a new conversation gets new parts: its own meter and id)
    Tools   what offers tools to the model and runs its calls (goshi/turn/tools.py)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from goshi.agent.calls import ToolResult
from goshi.config import Settings
from goshi.cost.meter import Meter
from goshi.llm.select import Selector
from goshi.llm.types import ToolCall
from goshi.record import record
from goshi.store import Store


class Tools(Protocol):
    def schemas(self) -> list[dict[str, Any]]:
        """The tools offered to the model (starting any that start on first use)."""
        ...

    def run(self, call: ToolCall, watch: Callable[[str], None] | None = None) -> ToolResult:
        """The call's result from its owner; `watch` sees a command's output as it arrives."""
        ...


@record(frozen=True, slots=True)
class Parts:
    settings: Settings
    store: Store
    selector: Selector
    meter: Meter
    tools: Tools
    cid: int
