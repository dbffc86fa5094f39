"""The tools a conversation offers: goshi's own (goshi/agent/tools.py) and, when mcp.servers
names any, the MCP servers' (started on the first turn that offers tools, goshi/mcp/bridge.py).

    schemas()   goshi's tool schemas (data: no implementation loads), then the MCP servers'
    run(call)   the call sent to its owner; goshi's implementations load on the first call
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from goshi.agent.calls import Approver, ToolApprover, ToolResult, offered
from goshi.config import Settings
from goshi.llm.types import ToolCall

if TYPE_CHECKING:
    from goshi.agent.tools import Toolbox
    from goshi.mcp.bridge import McpTools


class ConversationTools:
    def __init__(
        self, settings: Settings, approve: Approver, approve_tool: ToolApprover | None = None
    ) -> None:
        self.settings = settings
        self.approve = approve
        self.approve_tool = approve_tool or (lambda name, arguments: False)
        self._toolbox: Toolbox | None = None
        self._mcp: McpTools | None = None

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
                tools.command_env,
            )
            self._toolbox = Toolbox(workspace, self.approve, commands if tools.commands else None)
        return self._toolbox

    def schemas(self) -> list[dict[str, Any]]:
        """goshi's tools, then the MCP servers' (which start here, once per process)."""
        own = offered(self.settings.tools.commands)
        if not self.settings.mcp.servers:
            return own
        if self._mcp is None:
            from goshi.mcp.bridge import McpTools

            self._mcp = McpTools(self.settings.mcp, self.approve_tool)
        return own + self._mcp.schemas

    def run(self, call: ToolCall, watch: Callable[[str], None] | None = None) -> ToolResult:
        """The call's result from its owner; `watch` sees a command's output as it arrives.
        With the tools off (refused workspace, --no-tools) none runs, whatever a server sends."""
        if not self.settings.tools.enabled:
            return ToolResult(
                False, f"error: no tools are offered; {call.name} was not run", "tools are off"
            )
        if self._mcp is not None and self._mcp.handles(call.name):
            return self._mcp.run(call)
        return self.toolbox.run(call, watch)
