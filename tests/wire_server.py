"""A real HTTP server on 127.0.0.1 that speaks OpenAI SSE and Ollama NDJSON, and injects faults.

Tests queue replies (`server.openai.push(...)`, `server.ollama.push(...)`); each request takes
the next one, or the default when the queue is empty. Every request is recorded (path, headers,
JSON body, client port) so a test can assert what goshi sent, and that it sent nothing.

Used by the test suite and by bench/ (`python -m tests.wire_server` serves until killed).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[["Handler", dict[str, Any]], None]


def compact(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def tokens_of(text: str) -> list[str]:
    """Split text the way a tokenizer roughly would: words with their leading space."""
    return re.findall(r"\s*\S+|\s+", text)


def completion_tokens(
    pieces: list[str], tool_calls: list[tuple[str, str, str]] | None = None
) -> int:
    """What the server charges for an answer: a token per piece, and for each tool call's
    arguments the larger of its words and one token per 4 characters (JSON escapes hide the
    spaces of the code inside; 4 characters a token is OpenAI's own rule of thumb)."""
    arguments = sum(max(len(tokens_of(a)), -(-len(a) // 4)) for _, _, a in tool_calls or ())
    return max(1, len(pieces) + arguments)


class Hangup(Exception):
    """Raised by a reply to end the connection without the rest of the response."""


# --- the handler ---------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: WireServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle(self) -> None:
        try:
            super().handle()
        except (Hangup, ConnectionError, OSError):
            self.close_connection = True

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()

    def do_GET(self) -> None:
        self._dispatch({})

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {"_raw": raw.decode(errors="replace")}
        self._dispatch(body)

    def _dispatch(self, body: dict[str, Any]) -> None:
        route = self.server.route(self.path)
        self.server.record(self, body)
        if route is None:
            self.send_json(404, {"error": f"no route {self.path}"})
            return
        route.next_reply()(self, body)

    # --- writing ---------------------------------------------------------------------------

    def send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        data = compact(obj)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def start_chunked(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()

    def chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def end_chunked(self) -> None:
        self.wfile.write(b"0\r\n\r\n")

    def reset(self) -> None:
        """Abort the connection with a TCP RST, as a crashed proxy would."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        raise Hangup


# --- routes and the server -------------------------------------------------------------------


@dataclass
class Route:
    default: Reply
    queue: deque[Reply] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def push(self, *replies: Reply) -> None:
        with self.lock:
            self.queue.extend(replies)

    def next_reply(self) -> Reply:
        with self.lock:
            return self.queue.popleft() if self.queue else self.default


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    client_port: int
    at: float


class WireServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        from tests.responses_server import responses_stream

        self.openai = Route(openai_stream("Hello from the test server."))
        self.responses = Route(responses_stream("Hello from the test server."))
        self.ollama = Route(ollama_stream("Hello from Ollama."))
        self.tags = Route(ollama_tags(["llama3.2:latest"]))
        self.models = Route(openai_models(["gpt-4o-mini", "gpt-4.1"]))
        self.files: dict[str, Reply] = {}  # path -> reply, for anything else a test serves
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def route(self, path: str) -> Route | None:
        path = path.split("?", 1)[0]
        if path == "/v1/chat/completions":
            return self.openai
        if path == "/v1/responses":
            return self.responses
        if path == "/api/chat":
            return self.ollama
        if path == "/api/tags":
            return self.tags
        if path == "/v1/models":
            return self.models
        if path in self.files:
            return Route(self.files[path])
        return None

    def record(self, handler: Handler, body: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(
                Request(
                    handler.command,
                    handler.path,
                    {k.lower(): v for k, v in handler.headers.items()},
                    body,
                    handler.client_address[1],
                    time.monotonic(),
                )
            )

    def chat_requests(self) -> list[Request]:
        """The requests for an answer (not the probes goshi makes to learn a context window)."""
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and r.path not in PROBES]

    def start(self) -> WireServer:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


PROBES = ("/api/show",)


def refused_port() -> int:
    """A loopback port with nothing listening: connecting to it is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- OpenAI replies --------------------------------------------------------------------------

CREATED = 1732700000


def _chunk(model: str, delta: dict[str, Any], finish: str | None, **extra: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-goshi-test",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": model,
        "system_fingerprint": "fp_test",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        **extra,
    }


def openai_events(
    pieces: Iterable[str],
    *,
    model: str = "gpt-4o-mini-2024-07-18",
    usage: tuple[int, int, int] | None = None,
    finish: str = "stop",
    tool_calls: list[tuple[str, str, str]] | None = None,
    include_usage: bool = True,
    extra: dict[str, Any] | None = None,
    reasoning: list[str] | None = None,
    reasoning_key: str = "reasoning_content",
    refusal: list[str] | None = None,
    raw_usage: Any = None,
) -> list[bytes]:
    """The `data:` payloads of a streamed answer, in OpenAI's order and shape; `reasoning` comes
    first under `reasoning_key` (DeepSeek, llama.cpp: reasoning_content; vLLM: reasoning),
    `refusal` pieces instead of content, `raw_usage` replaces the usage object as given."""
    pieces = list(pieces)
    with_usage = {"usage": None} if include_usage else {}
    more = extra or {}
    out = [
        compact(
            _chunk(
                model,
                {"role": "assistant", "content": "", "refusal": None},
                None,
                **with_usage,
                **more,
            )
        )
    ]
    out += [
        compact(_chunk(model, {reasoning_key: r, "content": None}, None, **with_usage))
        for r in reasoning or ()
    ]
    out += [compact(_chunk(model, {"content": p}, None, **with_usage, **more)) for p in pieces]
    out += [compact(_chunk(model, {"refusal": r}, None, **with_usage)) for r in refusal or ()]
    for index, (call_id, name, arguments) in enumerate(tool_calls or ()):
        first = {
            "index": index,
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }
        out.append(compact(_chunk(model, {"tool_calls": [first]}, None, **with_usage)))
        step = max(1, len(arguments) // 3)
        for i in range(0, len(arguments), step):
            part = {"index": index, "function": {"arguments": arguments[i : i + step]}}
            out.append(compact(_chunk(model, {"tool_calls": [part]}, None, **with_usage)))
    out.append(compact(_chunk(model, {}, "tool_calls" if tool_calls else finish, **with_usage)))
    if include_usage:
        prompt, completion, cached = usage or (11, completion_tokens(pieces, tool_calls), 0)
        out.append(
            compact(
                {
                    "id": "chatcmpl-goshi-test",
                    "object": "chat.completion.chunk",
                    "created": CREATED,
                    "model": model,
                    "system_fingerprint": "fp_test",
                    "choices": [],
                    "usage": raw_usage
                    if raw_usage is not None
                    else {
                        "prompt_tokens": prompt,
                        "completion_tokens": completion,
                        "total_tokens": prompt + completion,
                        "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
                        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
                    },
                }
            )
        )
    return out


def sse_stream(
    payloads: list[bytes],
    *,
    done: bool = True,
    reset_after: int | None = None,
    stall_after: int | None = None,
    stall_s: float = 30.0,
    delay_s: float = 0.0,
    pause_after: int | None = None,
    pause_s: float = 0.0,
    hold: threading.Event | None = None,
    framed: bool = False,
) -> Reply:
    """Send payloads as SSE events; optionally reset, stall or pause after some of them. A pause
    lasts pause_s, or with `hold` until the test sets it (at most 30 s): then what the test does
    in the pause happens in it however slow the machine is. `framed`: each payload is a whole
    event already (the Responses API's `event:` + `data:`)."""

    def reply(h: Handler, body: dict[str, Any]) -> None:
        h.start_chunked("text/event-stream; charset=utf-8")
        for i, payload in enumerate(payloads):
            if reset_after is not None and i == reset_after:
                h.reset()
            if stall_after is not None and i == stall_after:
                time.sleep(stall_s)
                h.reset()
            h.chunk(payload if framed else b"data: " + payload + b"\n\n")
            if delay_s:
                time.sleep(delay_s)
            if i == pause_after:
                if hold is not None:
                    hold.wait(30)
                else:
                    time.sleep(pause_s)
        if reset_after is not None and reset_after >= len(payloads):
            h.reset()
        if done:
            h.chunk(b"data: [DONE]\n\n")
        h.end_chunked()

    return reply


# the keyword arguments of a reply that are the stream's faults, not the answer's content
STREAM_KEYS = {
    "done",
    "reset_after",
    "stall_after",
    "stall_s",
    "delay_s",
    "pause_after",
    "pause_s",
    "hold",
}


def openai_stream(text: str | list[str], **kwargs: Any) -> Reply:
    """A streamed answer; honours the request's stream_options.include_usage like OpenAI."""
    pieces = tokens_of(text) if isinstance(text, str) else text
    stream_kwargs = {k: v for k, v in kwargs.items() if k in STREAM_KEYS}
    event_kwargs = {k: v for k, v in kwargs.items() if k not in STREAM_KEYS}

    def reply(h: Handler, body: dict[str, Any]) -> None:
        if not body.get("stream"):
            openai_whole(pieces, **event_kwargs)(h, body)
            return
        asked = bool((body.get("stream_options") or {}).get("include_usage"))
        kw = {"include_usage": asked, **event_kwargs}
        sse_stream(openai_events(pieces, **kw), **stream_kwargs)(h, body)

    return reply


def openai_whole(
    pieces: Iterable[str],
    *,
    model: str = "gpt-4o-mini-2024-07-18",
    usage: tuple[int, int, int] | None = None,
    finish: str = "stop",
    tool_calls: list[tuple[str, str, str]] | None = None,
    extra: dict[str, Any] | None = None,
    **_: Any,
) -> Reply:
    pieces = list(pieces)
    prompt, completion, cached = usage or (11, completion_tokens(pieces, tool_calls), 0)
    message: dict[str, Any] = {
        "role": "assistant",
        "content": "".join(pieces) or None,
        "refusal": None,
    }
    if tool_calls:
        message["tool_calls"] = [
            {"id": i, "type": "function", "function": {"name": n, "arguments": a}}
            for i, n, a in tool_calls
        ]
    body = {
        "id": "chatcmpl-goshi-test",
        "object": "chat.completion",
        "created": CREATED,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": "tool_calls" if tool_calls else finish,
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached},
        },
        "system_fingerprint": "fp_test",
        **(extra or {}),
    }

    def reply(h: Handler, request: dict[str, Any]) -> None:
        h.send_json(200, body)

    return reply


def openai_error(
    status: int,
    message: str,
    *,
    code: str | None = None,
    type_: str = "invalid_request_error",
    headers: dict[str, str] | None = None,
) -> Reply:
    def reply(h: Handler, body: dict[str, Any]) -> None:
        h.send_json(
            status,
            {"error": {"message": message, "type": type_, "param": None, "code": code}},
            headers,
        )

    return reply


def openai_models(ids: list[str]) -> Reply:
    def reply(h: Handler, body: dict[str, Any]) -> None:
        h.send_json(
            200,
            {
                "object": "list",
                "data": [
                    {"id": i, "object": "model", "created": CREATED, "owned_by": "system"}
                    for i in ids
                ],
            },
        )

    return reply


def replay(
    status: int, content_type: str, body: bytes, *, chunked: bool = True, cuts: Iterable[int] = ()
) -> Reply:
    """Exactly these bytes as the response body (chunked, as streaming servers send it): in
    512-byte HTTP chunks, or cut at the offsets `cuts`, so a client reads each piece on its own
    (a CR at the end of one and its LF at the start of the next, say)."""
    marks = sorted(set(cuts) | {0, len(body)})
    pieces = (
        [body[a:b] for a, b in itertools.pairwise(marks)]
        if len(marks) > 2
        else [body[i : i + 512] for i in range(0, len(body), 512)]
    )

    def reply(h: Handler, request: dict[str, Any]) -> None:
        if not chunked:
            h.send_response(status)
            h.send_header("Content-Type", content_type)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
            return
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        for piece in pieces:
            h.chunk(piece)
        h.end_chunked()

    return reply


def static(body: bytes, content_type: str = "application/json") -> Reply:
    def reply(h: Handler, request: dict[str, Any]) -> None:
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return reply


def raw_bytes_then_hangup(data: bytes) -> Reply:
    def reply(h: Handler, body: dict[str, Any]) -> None:
        h.wfile.write(data)
        h.reset()

    return reply


# --- Ollama replies --------------------------------------------------------------------------

OLLAMA_AT = "2026-11-27T09:00:00.000000Z"


def ollama_stream(
    text: str | list[str],
    *,
    model: str = "llama3.2",
    counts: tuple[int, int] = (26, 0),
    tool_calls: list[tuple[str, dict[str, Any]]] | None = None,
    error_after: int | None = None,
    error: str = "an error was encountered while running the model",
    first_byte_delay_s: float = 0.0,
    stall_after: int | None = None,
    stall_s: float = 30.0,
    thinking: list[str] | None = None,
    done_reason: str = "stop",
    raw_counts: tuple[Any, Any] | None = None,
) -> Reply:
    """Ollama's /api/chat: NDJSON lines (or one body when the request says stream: false);
    `thinking` pieces come first in message.thinking, `raw_counts` replace the counts as given."""
    pieces = tokens_of(text) if isinstance(text, str) else text

    def line(h: Handler, obj: dict[str, Any]) -> None:
        h.chunk(compact(obj) + b"\n")

    def reply(h: Handler, body: dict[str, Any]) -> None:
        time.sleep(first_byte_delay_s)  # a model still loading
        name = body.get("model", model)
        prompt_count = counts[0]
        eval_count = counts[1] or len(pieces)
        calls = [{"function": {"name": n, "arguments": a}} for n, a in (tool_calls or ())]
        totals: dict[str, Any] = _ollama_totals(prompt_count, eval_count)
        if raw_counts is not None:
            totals["prompt_eval_count"], totals["eval_count"] = raw_counts
        if body.get("stream") is False:
            message: dict[str, Any] = {"role": "assistant", "content": "".join(pieces)}
            if thinking:
                message["thinking"] = "".join(thinking)
            if calls:
                message["tool_calls"] = calls
            h.send_json(
                200,
                {
                    "model": name,
                    "created_at": OLLAMA_AT,
                    "message": message,
                    "done_reason": done_reason,
                    "done": True,
                    **totals,
                },
            )
            return
        h.start_chunked("application/x-ndjson")
        for piece in thinking or ():
            message = {"role": "assistant", "content": "", "thinking": piece}
            line(h, {"model": name, "created_at": OLLAMA_AT, "message": message, "done": False})
        for i, piece in enumerate(pieces):
            if stall_after is not None and i == stall_after:
                time.sleep(stall_s)
                h.reset()
            if error_after is not None and i == error_after:
                line(h, {"error": error})
                h.end_chunked()
                return
            line(
                h,
                {
                    "model": name,
                    "created_at": OLLAMA_AT,
                    "message": {"role": "assistant", "content": piece},
                    "done": False,
                },
            )
        if calls:
            line(
                h,
                {
                    "model": name,
                    "created_at": OLLAMA_AT,
                    "message": {"role": "assistant", "content": "", "tool_calls": calls},
                    "done": False,
                },
            )
        line(
            h,
            {
                "model": name,
                "created_at": OLLAMA_AT,
                "message": {"role": "assistant", "content": ""},
                "done_reason": done_reason,
                "done": True,
                **totals,
            },
        )
        h.end_chunked()

    return reply


def _ollama_totals(prompt_count: int, eval_count: int) -> dict[str, int]:
    return {
        "total_duration": 5_000_000_000,
        "load_duration": 2_000_000,
        "prompt_eval_count": prompt_count,
        "prompt_eval_duration": 100_000_000,
        "eval_count": eval_count,
        "eval_duration": 4_000_000_000,
    }


def ollama_error(status: int, message: str) -> Reply:
    def reply(h: Handler, body: dict[str, Any]) -> None:
        h.send_json(status, {"error": message})

    return reply


def ollama_tags(models: list[str]) -> Reply:
    def reply(h: Handler, body: dict[str, Any]) -> None:
        h.send_json(
            200,
            {
                "models": [
                    {
                        "name": m,
                        "model": m,
                        "modified_at": OLLAMA_AT,
                        "size": 2019393189,
                        "digest": "a80c4f17acd5",
                        "details": {"format": "gguf", "family": "llama"},
                    }
                    for m in models
                ]
            },
        )

    return reply


# --- the dialect corpus (tests/dialects/*.txt) ---------------------------------------------------


@dataclass
class Dialect:
    """One recorded-shape transcript: headers, then the responses each mode gets, in order.

    dialect: what server and version this is          route: openai | responses | ollama
    source: where the shape comes from                args: extra `goshi ask` arguments
    expect: {"exit", "text", "reasoning", "usage", "finish", "refusal", "tools", "stderr",
             "requests": {"stream": n, "whole": n}}
    === stream 200 text/event-stream
    <the body, byte for byte>
    === whole 200 application/json
    <the body>
    """

    name: str
    headers: dict[str, str]
    expect: dict[str, Any]
    replies: dict[str, list[tuple[int, str, bytes]]]

    @property
    def route(self) -> str:
        return self.headers.get("route", "openai")

    def serve(self, server: WireServer, mode: str, then_default: bool = False) -> None:
        """Queue this mode's responses; the last one answers every later request too, unless
        `then_default`: then the route's default answers after them."""
        route = {"ollama": server.ollama, "responses": server.responses}.get(
            self.route, server.openai
        )
        replies = [replay(status, ctype, body) for status, ctype, body in self.replies[mode]]
        if then_default:
            route.push(*replies)
            return
        route.push(*replies[:-1])
        route.default = replies[-1]


def load_dialect(path: Any) -> Dialect:
    from pathlib import Path

    raw = Path(path).read_bytes()
    lines = raw.splitlines(keepends=True)
    headers: dict[str, str] = {}
    replies: dict[str, list[tuple[int, str, bytes]]] = {"stream": [], "whole": []}
    current: list[bytes] | None = None
    for line in lines:
        if line.startswith(b"=== "):
            mode, status, ctype = line[4:].decode().split()
            current = []
            replies[mode].append((int(status), ctype, b""))
            continue
        if current is None:
            if line.strip() and not line.startswith(b"#"):
                key, _, value = line.decode().partition(":")
                headers[key.strip()] = value.strip()
            continue
        status, ctype, body = replies[mode][-1]
        replies[mode][-1] = (status, ctype, body + line)
    expect = json.loads(headers.get("expect", "{}"))
    return Dialect(Path(path).stem, headers, expect, replies)


def stall(seconds: float) -> Reply:
    def reply(h: Handler, body: dict[str, Any]) -> None:
        time.sleep(seconds)
        h.reset()

    return reply


def markdown_tokens(count: int) -> list[str]:
    """A realistic Markdown answer of `count` tokens: tests/data/answer.md over and over."""
    from pathlib import Path

    sample = tokens_of((Path(__file__).parent / "data" / "answer.md").read_text() + "\n\n")
    return [sample[i % len(sample)] for i in range(count)]


# --- hostile turns (the fault-injection fuzz: tests/test_fuzz_turns.py) ---------------------------
# Kept apart from the dialect corpus above: values no honest server sends, chosen by a seeded
# random generator, so one seed replays one run exactly.

HOSTILE_USAGE: list[Any] = [
    -5,
    10**12,
    1e999,  # JSON has no infinity; json.dumps writes Infinity, which Python's reader accepts
    2.5,
    "12",
    True,
    None,
    [3],
]
HOSTILE_MODELS: list[Any] = [42, None, "", "m" * 5000, "bad\x1b[2Jname", ["gpt"], {"id": 1}]


def hostile_text(rng: Any, words: int) -> list[Any]:
    """Content deltas: plain strings, Mistral's list of parts (text and thinking), and emoji
    whose UTF-16 surrogate halves are split across two events."""
    out: list[Any] = []
    for i in range(words):
        shape = rng.random()
        if shape < 0.15:
            out.append(
                [{"type": "text", "text": f" part{i}"}, {"type": "thinking", "thinking": "hm"}]
            )
        elif shape < 0.25:
            out += [f" smile{i}\ud83d", "\ude00"]
        elif shape < 0.3:
            out.append(f" lone{i}\udc00")
        else:
            out.append(f" w{i}")
    return out


def hostile_stream(
    content: list[Any],
    *,
    usage: Any,
    model: Any,
    tool_calls: list[tuple[Any, str, str, str]] = (),  # type: ignore[assignment]
    cut_after: int | None = None,
) -> Reply:
    """A streamed answer carrying whatever values it is given: `usage` is the usage object as
    sent (valid or not), `model` any JSON value, `tool_calls` (index, id, name, arguments) with
    any index, `cut_after` resets the connection after that many content events."""

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        body = {"id": "x", "object": "chat.completion.chunk", "created": CREATED, "model": model}
        body["choices"] = [{"index": 0, "delta": delta, "finish_reason": finish}]
        return json.dumps(body).encode()  # ASCII: a lone surrogate travels as \\udXXX

    payloads = [chunk({"role": "assistant", "content": ""})]
    payloads += [chunk({"content": c}) for c in content]
    for index, call_id, name, arguments in tool_calls:
        head = {"index": index, "id": call_id, "type": "function"}
        payloads.append(
            chunk({"tool_calls": [{**head, "function": {"name": name, "arguments": ""}}]})
        )
        payloads.append(
            chunk({"tool_calls": [{"index": index, "function": {"arguments": arguments}}]})
        )
    payloads.append(chunk({}, "tool_calls" if tool_calls else "stop"))
    tail = {"id": "x", "object": "chat.completion.chunk", "model": model, "choices": []}
    payloads.append(json.dumps({**tail, "usage": usage}).encode())
    reset = None if cut_after is None else cut_after + 1
    return sse_stream(payloads, reset_after=reset)


def main(argv: list[str] | None = None) -> None:
    """Serve until killed, printing the URL first (for bench/ and for trying goshi by hand)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tests.wire_server")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tokens", type=int, default=0, help="answer with this many tokens")
    parser.add_argument("--markdown", action="store_true", help="a Markdown answer, not words")
    parser.add_argument(
        "--context", type=int, default=0, help="a llama.cpp-like model with this context window"
    )
    args = parser.parse_args(argv)
    server = WireServer(args.port)
    if args.tokens:
        words = (
            markdown_tokens(args.tokens)
            if args.markdown
            else [f" word{i}" for i in range(args.tokens)]
        )
        server.openai.default = openai_stream(words)
        server.ollama.default = ollama_stream(words)
        from tests.responses_server import responses_stream

        server.responses.default = responses_stream(words)
    if args.context:
        server.openai.default = ContextServer(window=args.context, dialect="llamacpp")
        server.files["/props"] = llamacpp_props(args.context)
    print(server.url, flush=True)
    server.serve_forever()


# --- a server with a context window (goshi/context/) -----------------------------------------

CONTEXT_DIALECTS = ("openai", "llamacpp", "vllm", "vllm-top-level")
SUMMARY_MARK = "You compress a conversation"


def server_tokens(body: dict[str, Any]) -> int:
    """The server's own count of a request: 4 bytes a token (a real tokenizer's figure for
    English), 4 per message, the tool schemas too. goshi's byte bound is above it."""
    total = 3
    for m in body.get("messages") or ():
        text = m.get("content") or ""
        if isinstance(text, list):  # text and image parts
            text = "".join(p.get("text") or "" for p in text)
        for call in m.get("tool_calls") or ():
            fn = call.get("function") or {}
            args = fn.get("arguments")
            text += (fn.get("name") or "") + (args if isinstance(args, str) else json.dumps(args))
        total += 4 + -(-len(text.encode()) // 4)
    if body.get("tools"):
        total += -(-len(json.dumps(body["tools"]).encode()) // 4)
    return total


def context_exceeded(dialect: str, window: int, asked: int) -> Reply:
    """Each server's own "context exceeded" 400, word for word."""
    if dialect == "llamacpp":
        error: dict[str, Any] = {
            "code": 400,
            "message": f"request ({asked} tokens) exceeds the available context size"
            f" ({window} tokens), try increasing it",
            "type": "exceed_context_size_error",
            "n_prompt_tokens": asked,
            "n_ctx": window,
        }
    elif dialect.startswith("vllm"):
        error = {
            "message": f"This model's maximum context length is {window} tokens. However, you"
            f" requested {asked} tokens ({asked} in the messages, 0 in the completion). Please"
            " reduce the length of the messages or completion.",
            "type": "BadRequestError",
            "param": None,
            "code": 400,
        }
    else:
        error = {
            "message": f"This model's maximum context length is {window} tokens. However, your"
            f" messages resulted in {asked} tokens. Please reduce the length of the messages.",
            "type": "invalid_request_error",
            "param": "messages",
            "code": "context_length_exceeded",
        }

    def reply(h: Handler, body: dict[str, Any]) -> None:
        if dialect == "vllm-top-level":  # vLLM's older shape: the error is the body itself
            h.send_json(400, {"object": "error", **error})
        else:
            h.send_json(400, {"error": error})

    return reply


@dataclass
class ContextServer:
    """An OpenAI-compatible model with a context window: a request that does not fit gets the
    dialect's 400; a summary request gets a summary; anything else `answer` (numbered)."""

    window: int
    dialect: str = "openai"
    answer: str = "answer {n}"
    rejected: int = 0
    answered: int = 0
    summaries: int = 0
    tool_calls: list[tuple[str, str, str]] | None = None

    def __call__(self, h: Handler, body: dict[str, Any]) -> None:
        asked = server_tokens(body)
        if self.dialect != "llamacpp":  # OpenAI and vLLM count the answer's cap in too
            asked += int(body.get("max_tokens") or body.get("max_completion_tokens") or 0)
        if asked > self.window:
            self.rejected += 1
            context_exceeded(self.dialect, self.window, asked)(h, body)
            return
        messages = body.get("messages") or [{}]
        if SUMMARY_MARK in str(messages[0].get("content")):
            self.summaries += 1
            text = f"SUMMARY {self.summaries}: the user asked questions and got answers."
            openai_stream(text, usage=(asked, 20, 0))(h, body)
            return
        self.answered += 1
        calls, self.tool_calls = self.tool_calls, None
        text = self.answer.format(n=self.answered)
        openai_stream(text, usage=(asked, 5, 0), tool_calls=calls)(h, body)


class Gathered:
    """Holds every answer until `count` requests have come (or `wait_s` passed), then answers
    each "answer to QUESTION" (its last user message), the first to come answering last: so
    that concurrent goshi processes have all stored their questions before any answer, and
    store their answers in the other order."""

    def __init__(self, count: int, wait_s: float = 60.0, step_s: float = 0.05) -> None:
        self.count, self.step_s = count, step_s
        self.barrier = threading.Barrier(count, timeout=wait_s)
        self.lock = threading.Lock()
        self.came = 0

    def __call__(self, h: Handler, body: dict[str, Any]) -> None:
        users = [m for m in body.get("messages") or [] if m.get("role") == "user"]
        question = str(users[-1].get("content")) if users else ""
        with self.lock:
            rank, self.came = self.came, self.came + 1
        with contextlib.suppress(threading.BrokenBarrierError):
            self.barrier.wait()
        time.sleep(max(0, self.count - rank) * self.step_s)
        openai_stream(f"answer to {question}", usage=(50, 5, 0))(h, body)


@dataclass
class OllamaContextServer:
    """Ollama's /api/chat with a num_ctx window, as Ollama behaves: a prompt that does not fit is
    cut from the front without a word (counted in `truncated`, answered anyway, with
    prompt_eval_count at the window); a summary request gets a summary."""

    window: int
    truncated: int = 0
    answered: int = 0
    summaries: int = 0

    def __call__(self, h: Handler, body: dict[str, Any]) -> None:
        asked = server_tokens(body)
        if asked > self.window:
            self.truncated += 1
        counts = (min(asked, self.window), 5)
        messages = body.get("messages") or [{}]
        if SUMMARY_MARK in str(messages[0].get("content")):
            self.summaries += 1
            text = f"SUMMARY {self.summaries}: the user asked questions and got answers."
            ollama_stream(text, counts=(counts[0], 20))(h, body)
            return
        self.answered += 1
        ollama_stream(f"answer {self.answered}", counts=counts)(h, body)


def llamacpp_models(model: str, n_ctx: Any = None, n_ctx_train: Any = 32768) -> Reply:
    """llama.cpp's GET /v1/models (tools/server/server-context.cpp, get_res_models): an
    Ollama-style `models` list and the OpenAI-style `data`, whose `meta` has the slot's context
    (`n_ctx`, left out as builds before it did) beside the model's trained one (`n_ctx_train`)."""
    meta = {"vocab_type": 2, "n_vocab": 151936}
    if n_ctx is not None:
        meta["n_ctx"] = n_ctx
    meta |= {"n_ctx_train": n_ctx_train, "n_embd": 3584, "n_params": 7615616512}
    meta |= {"size": 4677120000, "ftype": "Q4_K - Medium"}
    entry = {"id": model, "aliases": [], "tags": [], "object": "model", "created": CREATED}
    entry |= {"owned_by": "llamacpp", "meta": meta}
    listed = {"name": model, "model": model, "modified_at": "", "size": "", "digest": ""}
    listed |= {"type": "model", "capabilities": ["completion"], "details": {"format": "gguf"}}

    def reply(h: Handler, body: dict[str, Any]) -> None:
        h.send_json(200, {"models": [listed], "object": "list", "data": [entry]})

    return reply


def llamacpp_props(n_ctx: Any) -> Reply:
    """llama.cpp's GET /props: the context size of a slot."""

    def reply(h: Handler, body: dict[str, Any]) -> None:
        h.send_json(
            200,
            {
                "default_generation_settings": {"id": 0, "n_ctx": n_ctx, "params": {}},
                "total_slots": 1,
                "model_path": "models/qwen2.5-0.5b-instruct-q4_k_m.gguf",
                "chat_template": "",
            },
        )

    return reply


def ollama_show(num_ctx: int | None, context_length: int = 131072) -> Reply:
    """Ollama's POST /api/show: the Modelfile's parameters and the model's trained length."""

    def reply(h: Handler, body: dict[str, Any]) -> None:
        parameters = f"num_ctx                        {num_ctx}\n" if num_ctx else ""
        h.send_json(
            200,
            {
                "modelfile": "FROM llama3.2",
                "parameters": parameters + 'stop                           "<|eot_id|>"',
                "template": "{{ .Prompt }}",
                "details": {"format": "gguf", "family": "llama"},
                "model_info": {
                    "general.architecture": "llama",
                    "llama.context_length": context_length,
                },
            },
        )

    return reply


if __name__ == "__main__":
    main()
