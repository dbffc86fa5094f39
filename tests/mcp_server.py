"""A real MCP server for the tests: newline-delimited JSON-RPC on stdio, with faults on request.

    python tests/mcp_server.py [--mode MODE] [--pids FILE]

Tools: echo {text, api_token?}, sleep {seconds}, crash {}, big {} (1 MB of text), escapes {}
(terminal escape sequences), fail {} (isError), env {name}, seen {} (the methods received so
far), picture {} (an image and a resource), deep {} (a reply nested 200,000 levels deep),
surrogate {} (a lone surrogate in its description and its result).
Modes: normal, broken-schema (a tool whose inputSchema is not an object schema), garbage (writes
non-JSON and never answers), exit (exits at once, code 3), old-version (answers initialize with
a protocol version nobody speaks), flood (100,000 stderr lines before answering), grandchild
(starts a child process that sleeps, in the same process group), bad-name (a tool named with a
space, and echo twice), slow (waits 3 s before reading anything). With --pids, the server (and
its grandchild) append their pids to FILE.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

OBJECT = {"type": "object"}
TOOLS: list[dict[str, Any]] = [
    {
        "name": "echo",
        "description": "Say the text back.",
        "inputSchema": {
            "type": "object",
            "properties": {"text": {"type": "string"}, "api_token": {"type": "string"}},
            "required": ["text"],
        },
    },
    {
        "name": "sleep",
        "description": "Sleep, then answer.",
        "inputSchema": {"type": "object", "properties": {"seconds": {"type": "number"}}},
    },
    {"name": "crash", "description": "Exit mid-call.", "inputSchema": OBJECT},
    {"name": "big", "description": "One megabyte of text.", "inputSchema": OBJECT},
    {"name": "escapes", "description": "Terminal escape sequences.", "inputSchema": OBJECT},
    {"name": "fail", "description": "Report an error.", "inputSchema": OBJECT},
    {
        "name": "env",
        "description": "One environment variable.",
        "inputSchema": {"type": "object", "properties": {"name": {"type": "string"}}},
    },
    {"name": "seen", "description": "The methods received so far.", "inputSchema": OBJECT},
    {"name": "picture", "description": "An image and a resource.", "inputSchema": OBJECT},
    {"name": "deep", "description": "A reply nested too deep.", "inputSchema": OBJECT},
    {"name": "surrogate", "description": "Half a pair: \udc80.", "inputSchema": OBJECT},
]


def send(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def text(value: str, error: bool = False) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": value}], "isError": error}


def call(name: str, args: dict[str, Any], seen: list[str]) -> dict[str, Any]:
    if name == "echo":
        return text(str(args.get("text", "")))
    if name == "sleep":
        time.sleep(float(args.get("seconds", 1)))
        return text("slept")
    if name == "crash":
        sys.stderr.write("crashing now\n")
        os._exit(7)
    if name == "big":
        return text("x" * 1_048_576)
    if name == "escapes":
        return text("\x1b[2J\x1b]0;pwned\x07red \x1b[31mtext\x1b[0m\rover")
    if name == "fail":
        return text("the disk is on fire", error=True)
    if name == "env":
        return text(os.environ.get(str(args.get("name")), "(unset)"))
    if name == "surrogate":
        return text("half a pair: \udc80 there")  # json.dumps sends it as the escape \udc80
    if name == "seen":
        return text(" ".join(seen))
    if name == "picture":
        return {
            "content": [
                {"type": "image", "data": "aGVsbG8=", "mimeType": "image/png"},
                {"type": "resource", "resource": {"uri": "file:///a.txt", "text": "inside"}},
            ]
        }
    raise KeyError(name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", default="normal")
    parser.add_argument("--pids")
    opts = parser.parse_args()
    mode = opts.mode
    pids = [os.getpid()]
    if mode == "grandchild":
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        pids.append(child.pid)
    if opts.pids:
        with open(opts.pids, "a") as f:
            f.write("".join(f"{p}\n" for p in pids))
    sys.stderr.write(f"test server starting in mode {mode}\n")
    if mode == "exit":
        sys.exit(3)
    if mode == "slow":
        time.sleep(3)
    if mode == "flood":
        for i in range(100_000):
            sys.stderr.write(f"noise line {i}\n")
    tools = [dict(t) for t in TOOLS]
    if mode == "broken-schema":
        tools[1]["inputSchema"] = {"type": "objekt", "properties": []}
    if mode == "bad-name":
        tools.append({"name": "has space", "description": "", "inputSchema": OBJECT})
        tools.append({"name": "echo", "description": "again", "inputSchema": OBJECT})
    seen: list[str] = []
    for line in sys.stdin:
        if mode == "garbage":
            sys.stdout.write("Server ready! \x1b[32mOK\x1b[0m\n{not json\n")
            sys.stdout.flush()
            continue
        message = json.loads(line)
        method = message.get("method", "")
        seen.append(method)
        if "id" not in message:
            continue
        rid = message["id"]
        if method == "initialize":
            version = "1999-01-01" if mode == "old-version" else "2025-06-18"
            result: dict[str, Any] = {
                "protocolVersion": version,
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "goshi-test-server", "version": "0.1"},
            }
        elif method == "tools/list":
            result = {"tools": tools}
        elif method == "tools/call":
            params = message.get("params", {})
            if params.get("name") == "deep":
                nested = "[" * 200_000 + "]" * 200_000
                sys.stdout.write(f'{{"jsonrpc":"2.0","id":{rid},"result":{nested}}}\n')
                sys.stdout.flush()
                continue
            try:
                result = call(params.get("name"), params.get("arguments") or {}, seen)
            except KeyError:
                send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32602, "message": "no tool"}})
                continue
        else:
            send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "no method"}})
            continue
        send({"jsonrpc": "2.0", "id": rid, "result": result})


if __name__ == "__main__":
    main()
