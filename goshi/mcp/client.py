"""One MCP server process and the JSON-RPC 2.0 it speaks over stdio.

    start(): Popen in a new process group (stdin/stdout pipes, stderr pipe) -> a reader thread
    per pipe. request(method, params, timeout) writes one line and waits for the response with
    that id; the stdout reader parses each line, hands responses to the waiting request, answers
    the server's `ping`, refuses its other requests, and ignores notifications and garbage.
    stop(): stdin closed -> the group gets SIGTERM -> then SIGKILL (as the MCP spec's stdio
    shutdown says), so a server's own children go too.

The server's stderr goes to goshi's log file only, a bounded number of lines; the pipe is always
drained, so a server that floods stderr never blocks. Every failure is a `ServerFailed` with a
one-line message: nothing here prints, and nothing waits without a timeout.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import signal
import subprocess
import threading
from dataclasses import dataclass
from typing import IO, Any

from goshi import json_bounds
from goshi.llm.surrogates import repaired

log = logging.getLogger("goshi")

MAX_MESSAGE_BYTES = 16_000_000  # one JSON-RPC line; a larger one fails the call it answers
MAX_STDERR_LINES = 200  # per server and process, in the log; the rest are counted
MAX_LOGGED_CHARS = 500
STOP_WAIT_S = 1.0  # after closing stdin, and again after SIGTERM
FILE_ONLY = {"file_only": True}  # goshi/log.py keeps these records off the terminal


class ServerFailed(Exception):
    """The server could not start, died, timed out or broke the protocol (one line, for users)."""


@dataclass
class _Pending:
    done: threading.Event
    reply: dict[str, Any] | None = None
    failed: str | None = None  # why no usable reply came (the server lives on)


class StdioClient:
    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        cwd: str | None = None,
    ) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None
        self.pending: dict[int, _Pending] = {}
        self.next_id = 0
        # pending, next_id, writes to stdin; an RLock since stop() may run in a signal handler
        self.lock = threading.RLock()
        self.gone: str | None = None  # why the server cannot answer any more
        self.stopped = False  # stop() came, perhaps while start() was still in Popen

    # --- process -------------------------------------------------------------------------------

    def start(self) -> None:
        try:
            proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,  # its own process group: Ctrl-C is goshi's to handle
                close_fds=True,
            )
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ServerFailed(f"cannot start {self.argv[0]!r}: {reason}") from None
        with self.lock:
            self.proc = proc
            late = self.stopped
        if late:  # goshi ended while this thread started it: it goes at once
            self.stop()
            raise ServerFailed("the server was stopped")
        assert proc.stdout is not None and proc.stderr is not None
        threading.Thread(
            target=self._read_stdout, args=(proc.stdout,), daemon=True, name="mcp-out"
        ).start()
        threading.Thread(
            target=self._read_stderr, args=(proc.stderr,), daemon=True, name="mcp-err"
        ).start()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def stop(self) -> None:
        """Close stdin, then SIGTERM, then SIGKILL the whole group; safe to call twice."""
        with self.lock:
            proc, self.proc, self.stopped = self.proc, None, True
        if proc is None:
            return
        self._fail_all("the server was stopped")
        with contextlib.suppress(OSError, ValueError):
            if proc.stdin:
                proc.stdin.close()
        exited = _wait(proc, STOP_WAIT_S)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            # the group, even when the leader already left: its children may not have
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, sig)
            if sig == signal.SIGTERM and not exited:
                exited = _wait(proc, STOP_WAIT_S)
            if exited and not _group_alive(proc.pid):
                break
        _wait(proc, STOP_WAIT_S)

    # --- JSON-RPC ------------------------------------------------------------------------------

    def request(self, method: str, params: dict[str, Any], timeout: float) -> dict[str, Any]:
        """The result of one request; ServerFailed on an error response, a timeout or a death."""
        with self.lock:
            self.next_id += 1
            rid = self.next_id
            slot = _Pending(threading.Event())
            self.pending[rid] = slot
        try:
            self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
            if not slot.done.wait(timeout):
                self.notify("notifications/cancelled", {"requestId": rid, "reason": "timeout"})
                raise ServerFailed(f"no answer to {method} within {timeout:g} s")
        except KeyboardInterrupt:
            self.notify("notifications/cancelled", {"requestId": rid, "reason": "interrupted"})
            raise
        finally:
            with self.lock:
                self.pending.pop(rid, None)
        reply = slot.reply
        if reply is None:
            raise ServerFailed(slot.failed or self.gone or "the server stopped answering")
        if "error" in reply:
            error = reply["error"] if isinstance(reply["error"], dict) else {}
            message = str(error.get("message") or reply["error"])[:MAX_LOGGED_CHARS]
            raise ServerFailed(f"{method} failed: {message} (code {error.get('code', '?')})")
        result = reply.get("result")
        if not isinstance(result, dict):
            raise ServerFailed(f"{method}: the server's result is not a JSON object")
        return result

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        with contextlib.suppress(ServerFailed):
            self._send(message)

    def _send(self, message: dict[str, Any]) -> None:
        line = json.dumps(message, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self.lock:
            proc = self.proc
            if self.gone or proc is None or proc.stdin is None:
                raise ServerFailed(self.gone or "the server is not running")
            try:
                proc.stdin.write(line.encode("utf-8"))
                proc.stdin.flush()
            except (OSError, ValueError):
                raise ServerFailed(self._exit_reason()) from None

    # --- the reader threads --------------------------------------------------------------------

    def _read_stdout(self, pipe: IO[bytes]) -> None:
        garbage = 0
        with contextlib.suppress(OSError, ValueError):
            while line := pipe.readline(MAX_MESSAGE_BYTES + 1):
                if len(line) > MAX_MESSAGE_BYTES and not line.endswith(b"\n"):
                    _skip_line(pipe)
                    self._fail_all(f"the server sent a message over {MAX_MESSAGE_BYTES} bytes")
                    continue
                try:
                    message = json_bounds.loads(line)
                except json_bounds.TooDeep as exc:  # JSON-RPC, but not a reply goshi can use
                    self._fail_pending(f"the server sent {exc}")
                    continue
                except ValueError:
                    garbage += 1
                    if garbage <= 5 and line.strip():
                        text = line.decode("utf-8", "replace").strip()[:MAX_LOGGED_CHARS]
                        log.info("mcp %s: not JSON-RPC on stdout: %s", self.name, text)
                    continue
                if isinstance(message, dict):
                    if _SURROGATE_ESCAPE.search(line):  # `\udc80`: what goshi keeps is text
                        message = _repaired(message)
                    try:
                        self._dispatch(message)
                    except Exception:  # no message ends the reader: the next may be fine
                        log.info("mcp %s: a message goshi could not use", self.name, exc_info=True)
        self._fail_all(self._exit_reason())

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "method" in message:
            if "id" in message:  # a request from the server: goshi offers it nothing but ping
                if message["method"] == "ping":
                    reply: dict[str, Any] = {"jsonrpc": "2.0", "id": message["id"], "result": {}}
                else:
                    error = {"code": -32601, "message": "Method not found"}
                    reply = {"jsonrpc": "2.0", "id": message["id"], "error": error}
                with contextlib.suppress(ServerFailed):
                    self._send(reply)
            return  # notifications (log messages, progress, list_changed) change nothing here
        rid = message.get("id")
        with self.lock:
            slot = self.pending.get(rid) if isinstance(rid, int) else None
        if slot is not None:
            slot.reply = message
            slot.done.set()

    def _read_stderr(self, pipe: IO[bytes]) -> None:
        lines = 0
        with contextlib.suppress(OSError, ValueError):
            while chunk := pipe.readline(65536):
                lines += 1
                if lines <= MAX_STDERR_LINES:
                    text = chunk.decode("utf-8", "replace").rstrip()[:MAX_LOGGED_CHARS]
                    log.info("mcp %s stderr: %s", self.name, text, extra=FILE_ONLY)
        if lines > MAX_STDERR_LINES:
            log.info(
                "mcp %s: %d more stderr lines not logged",
                self.name,
                lines - MAX_STDERR_LINES,
                extra=FILE_ONLY,
            )

    def _fail_pending(self, reason: str) -> None:
        """The requests waiting now fail with `reason`; the server may answer later ones."""
        with self.lock:
            for slot in self.pending.values():
                slot.failed = slot.failed or reason
                slot.done.set()

    def _fail_all(self, reason: str) -> None:
        with self.lock:
            if self.gone is None and reason != "the server was stopped":
                self.gone = reason
            for slot in self.pending.values():
                slot.done.set()

    def _exit_reason(self) -> str:
        proc = self.proc
        if proc is None or not _wait(proc, 0.2):
            return "the server closed its output"
        code = proc.returncode
        if code < 0:
            with contextlib.suppress(ValueError):
                return f"the server was killed by {signal.Signals(-code).name}"
        return f"the server exited (code {code})"


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def _repaired(value: Any) -> Any:
    """Every string in a message with its lone surrogates made U+FFFD (the depth is bounded)."""
    if isinstance(value, str):
        return repaired(value)
    if isinstance(value, dict):
        return {repaired(str(k)): _repaired(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_repaired(v) for v in value]
    return value


def _wait(proc: subprocess.Popen[bytes], seconds: float) -> bool:
    try:
        proc.wait(seconds)
        return True
    except subprocess.TimeoutExpired:
        return False


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except OSError:
        return False


def _skip_line(pipe: IO[bytes]) -> None:
    while chunk := pipe.readline(MAX_MESSAGE_BYTES):
        if chunk.endswith(b"\n"):
            return
