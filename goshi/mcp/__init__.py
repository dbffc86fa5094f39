"""Model Context Protocol: the user's own MCP servers' tools, offered beside goshi's.

    client.py    one server process and its JSON-RPC over stdio (timeouts, process group)
    protocol.py  the MCP lifecycle: initialize, tools/list, tools/call, content as text
    bridge.py    servers started once per process; SERVER__tool schemas, approval, results
    commands.py  `goshi mcp list` and `goshi mcp test NAME`

Nothing here is imported unless mcp.servers names a server.
"""
