"""A conversation being had: its settings, store, meter, selector and tools, one question at a time.

    question -> store (pending) -> a TurnRunner (goshi/agent/runner.py) answers it

The tools offered are goshi's own and, when mcp.servers names any, the MCP servers' (started on
the first turn that offers tools, goshi/mcp/bridge.py); `run_tool` sends each call to its owner.

`goshi ask` runs one turn, `goshi chat` many.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goshi import config
from goshi.agent.calls import Approver, ToolApprover, ToolResult, offered
from goshi.agent.runner import Outcome, TurnRunner
from goshi.config import Settings
from goshi.context.keeper import ContextKeeper
from goshi.cost.meter import Meter
from goshi.errors import UsageError
from goshi.llm.select import Selector
from goshi.llm.types import Message, ToolCall
from goshi.record import record
from goshi.store import Conversation, Store
from goshi.ui.output import Output

log = logging.getLogger("goshi")

if TYPE_CHECKING:
    from goshi.agent.tools import Toolbox
    from goshi.mcp.bridge import McpTools


@record
class SessionOptions:
    """What `ask` and `chat` both take from the command line."""

    config_file: str | None = None
    overrides: config.Overrides = field(default_factory=config.Overrides)
    continue_last: bool = False
    cid: int | None = None
    stream: bool = True
    yes: bool = False
    max_cost_usd: float | None = None


def workspace_refusal(settings: Settings) -> str | None:
    """The line that turns the tools off when the workspace is / or the home directory."""
    named = settings.source("tools.workspace") != "default"
    why = too_wide(settings.tools.workspace, named)
    if why is None:
        return None
    return (
        f"{why}; tools are off for this run: start goshi in a project directory, "
        "or name it in tools.workspace in your own goshi.yaml"
    )


def too_wide(root: str | Path, named_explicitly: bool) -> str | None:
    """Why the tools must stay off for this workspace, or None: `/` and the home directory
    hold keys and every project; only a config file goshi trusts may name them."""
    real = Path(root).expanduser().resolve()
    if named_explicitly:
        return None
    if real == Path(real.anchor):
        return "the workspace would be / (the whole disk)"
    if real == Path.home().resolve():
        return f"the workspace would be your home directory ({real})"
    return None


class Session:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        conversation: Conversation,
        approve: Approver,
        approve_tool: ToolApprover | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.conversation = conversation
        self.selector = Selector(settings, store)
        self.meter = Meter(settings, store, conversation.id)
        self.approve = approve
        self.approve_tool = approve_tool or (lambda name, arguments: False)
        self._toolbox: Toolbox | None = None
        self._mcp: McpTools | None = None
        self.context = ContextKeeper(self)

    @classmethod
    def start(
        cls, opts: SessionOptions, approve: Approver, approve_tool: ToolApprover | None = None
    ) -> Session:
        """Settings from the options, then the conversation they name (or a new one)."""
        settings = config.load(opts.config_file, opts.overrides)
        if settings.tools.enabled and (why := workspace_refusal(settings)):
            log.warning("%s", why)
            settings.tools.enabled = False
        store = Store()
        conversation = None
        if opts.cid is not None:
            conversation = store.conversation(opts.cid)
        elif opts.continue_last:
            conversation = store.last_conversation()
        if conversation is None:
            model = Selector(settings, store).primary_model()
            conversation = store.new_conversation(model, settings.backend, settings.system)
        return cls(settings, store, conversation, approve, approve_tool)

    @property
    def toolbox(self) -> Toolbox:
        """The tools' implementations load on the first tool call, not for every answer."""
        if self._toolbox is None:
            from goshi.agent.command import Commands
            from goshi.agent.tools import Toolbox
            from goshi.agent.workspace import Workspace

            s = self.settings
            tools = s.tools
            configs = [f for f in (s.file, s.project.path if s.project else None) if f]
            workspace = Workspace(tools.workspace, configs)
            commands = Commands(
                str(workspace.root),
                tools.allow_commands,
                tools.command_timeout_s,
                s.openai.api_key_env,
            )
            self._toolbox = Toolbox(workspace, self.approve, commands if tools.commands else None)
        return self._toolbox

    def tool_schemas(self) -> list[dict[str, Any]]:
        """goshi's tools, then the MCP servers' (which start here, once per process)."""
        own = offered(self.settings.tools.commands)
        if not self.settings.mcp.servers:
            return own
        if self._mcp is None:
            from goshi.mcp.bridge import McpTools

            self._mcp = McpTools(self.settings.mcp, self.approve_tool)
        return own + self._mcp.schemas

    def run_tool(self, call: ToolCall, watch: Callable[[str], None] | None = None) -> ToolResult:
        """The call's result from its owner; `watch` sees a command's output as it arrives."""
        if self._mcp is not None and self._mcp.handles(call.name):
            return self._mcp.run(call)
        return self.toolbox.run(call, watch)

    @property
    def cid(self) -> int:
        return self.conversation.id

    def new_conversation(self) -> None:
        model = self.selector.primary_model()
        self.conversation = self.store.new_conversation(
            model, self.settings.backend, self.settings.system
        )
        self.meter = Meter(self.settings, self.store, self.conversation.id)
        self.context = ContextKeeper(self)

    def messages(self) -> list[Message]:
        """What is sent: the system prompt (a flag's, else the conversation's) and the history,
        as the context keeper last compacted it (goshi/context/keeper.py)."""
        system = self.settings.system
        if self.settings.source("system") != "--system":
            system = self.conversation.system or system
        return self.context.view(system)

    def ask(
        self, prompt: str, out: Output, *, stream: bool = True, max_cost_usd: float | None = None
    ) -> Outcome:
        question_id = self.store.add_message(self.cid, Message("user", prompt), "pending")
        return TurnRunner(self).run(question_id, out, stream, max_cost_usd)

    def retry(
        self, out: Output, *, stream: bool = True, max_cost_usd: float | None = None
    ) -> Outcome:
        """Ask the last question again; the answer it replaces is kept but no longer sent."""
        question_id = self.store.reopen_last_question(self.cid)
        if question_id is None:
            raise UsageError("nothing to retry yet", "ask something first")
        return TurnRunner(self).run(question_id, out, stream, max_cost_usd)
