"""The MCP conversation with one server: handshake, tool listing, tool calls, results as text.

    initialize {protocolVersion, capabilities: {}, clientInfo} -> the server's version (one goshi
    speaks, else the server is refused) -> notifications/initialized -> tools/list (pages followed
    by nextCursor, bounded) -> tools/call {name, arguments} -> content blocks as one text.

goshi asks for the newest version it knows and accepts any version in SUPPORTED: what goshi uses
(tools, text/image/audio/resource/resource_link content, isError, structuredContent) means the
same in all of them. goshi offers the server no capabilities (no roots, sampling, elicitation).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from goshi import __version__
from goshi.mcp.client import ServerFailed, StdioClient

PROTOCOL_VERSION = "2025-06-18"
SUPPORTED = ("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05")
MAX_PAGES = 20
MAX_TOOLS = 256


@dataclass
class Tool:
    name: str
    description: str
    input_schema: Any


@dataclass
class Handshake:
    version: str
    server_name: str
    server_version: str
    tools: list[Tool] = field(default_factory=list)


def handshake(client: StdioClient, timeout: float) -> Handshake:
    result = client.request(
        "initialize",
        {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "goshi", "version": __version__},
        },
        timeout,
    )
    version = result.get("protocolVersion")
    if version not in SUPPORTED:
        raise ServerFailed(
            f"the server speaks MCP version {str(version)[:40]!r}; goshi speaks "
            + ", ".join(SUPPORTED)
        )
    info = _mapping(result.get("serverInfo"))
    client.notify("notifications/initialized")
    return Handshake(version, str(info.get("name", ""))[:100], str(info.get("version", ""))[:40])


def list_tools(client: StdioClient, timeout: float) -> list[Tool]:
    tools: list[Tool] = []
    cursor: Any = None
    for _ in range(MAX_PAGES):
        result = client.request("tools/list", {"cursor": cursor} if cursor else {}, timeout)
        page = result.get("tools")
        if not isinstance(page, list):
            raise ServerFailed("tools/list: `tools` is not a list")
        for item in page:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise ServerFailed("tools/list: a tool without a name")
            description = item.get("description")
            tools.append(
                Tool(
                    item["name"],
                    description if isinstance(description, str) else "",
                    item.get("inputSchema"),
                )
            )
        cursor = result.get("nextCursor")
        if not cursor or len(tools) >= MAX_TOOLS:
            break
    return tools[:MAX_TOOLS]


@dataclass
class CallResult:
    ok: bool
    text: str


def call_tool(client: StdioClient, name: str, arguments: Any, timeout: float) -> CallResult:
    result = client.request("tools/call", {"name": name, "arguments": arguments}, timeout)
    return CallResult(result.get("isError") is not True, result_text(result))


def result_text(result: dict[str, Any]) -> str:
    """Every content block as text; binary blocks as a one-line description of what they were."""
    parts: list[str] = []
    content = result.get("content")
    for block in content if isinstance(content, list) else []:
        if isinstance(block, dict):
            parts.append(_block_text(block))
    if not parts and "structuredContent" in result:
        parts.append(json.dumps(result["structuredContent"], ensure_ascii=False))
    return "\n".join(parts)


def _block_text(block: dict[str, Any]) -> str:
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text", ""))
    if kind in ("image", "audio"):
        size = len(str(block.get("data", ""))) * 3 // 4  # base64
        return f"[{kind}: {block.get('mimeType', '?')}, {size} bytes, not shown]"
    if kind == "resource":
        resource = _mapping(block.get("resource"))
        uri = resource.get("uri", "?")
        if "text" in resource:
            return f"[resource {uri}]\n{resource['text']}"
        size = len(str(resource.get("blob", ""))) * 3 // 4
        return f"[resource {uri}: {resource.get('mimeType', '?')}, {size} bytes, not shown]"
    if kind == "resource_link":
        return f"[resource link {block.get('uri', '?')}: {block.get('name', '')}]"
    return f"[{str(kind)[:40]} content, not shown]"


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
