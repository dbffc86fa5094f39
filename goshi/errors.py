"""Every expected failure in goshi, as one tree. The exit code stands beside each class.

    GoshiError                      1   internal / unexpected
    ├── UsageError                  2   bad arguments: nothing to ask, unknown conversation
    ├── ConfigError                 3   goshi.yaml unreadable or invalid (names file, line, key)
    ├── CostLimitError              6   the estimate would break a limit; nothing was sent
    ├── AnswerCut                   8   the answer stopped early: the token cap or a content
    │                                   filter (what arrived is printed, kept and charged)
    ├── StoreError                  9   goshi.db could not be written: locked past the busy
    │   │                               timeout, disk full, read-only, conversation removed
    │   └── StoreDamaged           10   goshi.db is damaged; the message says how to set it aside
    ├── InternalError              70   a bug in goshi: one line, the traceback only in goshi.log
    ├── Interrupted               130   Ctrl-C; the partial answer is kept (and charged)
    │   ├── HungUp                129   SIGHUP: the terminal closed
    │   └── Terminated            143   SIGTERM: `timeout`, `kill`, a service manager
    ├── McpServerFailed             5   `goshi mcp test`: the MCP server did not start or answer
    ├── FilesKept                   1   `goshi undo`/`redo`: files changed since goshi wrote them
    │                                   were left alone (named); the others were put back
    └── BackendError                    a backend could not answer this request
        ├── AuthError               4   401 / 403: the key is missing, wrong or not allowed
        ├── RequestRejected         7   400 / 404 / 422: the request itself is wrong
        │   ├── ModelNotFound       7   404 naming the model
        │   ├── ContextExceeded     7   the question alone does not fit the context window
        │   └── ToolsUnsupported    7   the model takes no tools (the turn goes on without them)
        └── Unavailable             5   the backend cannot answer now
            ├── QuotaExceeded       5   429 insufficient_quota: billing, never retried
            └── TransientError      5   worth another try (and a failover)
                ├── ConnectFailed   5   refused, DNS, TLS, connect timeout
                ├── ReadTimedOut    5   no byte within read_timeout_s
                ├── RateLimited     5   429 (Retry-After kept)
                ├── ServerError     5   5xx, 408, 409
                └── StreamCut       5   the body ended before the answer did

Each error carries `message` (what happened) and `hint` (what to do next);
`detail` is shown with -v. `line()` is how either reaches a terminal: redacted and sanitised.
Only `TransientError` is retried, and only before the first token reached the user.
"""

from __future__ import annotations


class GoshiError(Exception):
    exit_code = 1

    def __init__(self, message: str, hint: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def line(self) -> str:
        """`message; hint` as one line for a terminal: redacted, controls shown (a server's
        words are part of many messages)."""
        from goshi.credentials import redact
        from goshi.sanitize import one_line

        return one_line(redact(f"{self.message}; {self.hint}" if self.hint else self.message))


class UsageError(GoshiError):
    exit_code = 2


class ConfigError(GoshiError):
    exit_code = 3


class InternalError(GoshiError):
    exit_code = 70


class CostLimitError(GoshiError):
    exit_code = 6


class AnswerCut(GoshiError):
    exit_code = 8


class StoreError(GoshiError):
    exit_code = 9


class StoreDamaged(StoreError):
    exit_code = 10


class Interrupted(GoshiError):
    exit_code = 130


class HungUp(Interrupted):
    exit_code = 129


class Terminated(Interrupted):
    exit_code = 143


class McpServerFailed(GoshiError):
    exit_code = 5


class FilesKept(GoshiError):
    exit_code = 1


class BackendError(GoshiError):
    exit_code = 5
    backend = ""

    def __init__(
        self, message: str, hint: str = "", detail: str = "", *, backend: str = ""
    ) -> None:
        super().__init__(message, hint, detail)
        self.backend = backend


class AuthError(BackendError):
    exit_code = 4


class RequestRejected(BackendError):
    exit_code = 7


class ModelNotFound(RequestRejected):
    pass


class ToolsUnsupported(RequestRejected):
    pass


class ContextExceeded(RequestRejected):
    pass


class Unavailable(BackendError):
    exit_code = 5


class QuotaExceeded(Unavailable):
    pass


class TransientError(Unavailable):
    retry = True  # False on an instance: trying again at once cannot help (nothing listens)

    def __init__(
        self,
        message: str,
        hint: str = "",
        detail: str = "",
        *,
        backend: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, hint, detail, backend=backend)
        self.retry_after = retry_after


class ConnectFailed(TransientError):
    pass


class ReadTimedOut(TransientError):
    pass


class RateLimited(TransientError):
    pass


class ServerError(TransientError):
    pass


class StreamCut(TransientError):
    pass
