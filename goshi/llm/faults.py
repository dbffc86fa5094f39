"""An OpenAI-compatible server's error, read by goshi/llm/error_body.py, as goshi's error class.

    401/403 -> AuthError · 404 -> ModelNotFound (it names the model) or RequestRejected ·
    400/422 naming tools -> ToolsUnsupported · a context overflow -> RequestRejected ·
    402/429 quota -> QuotaExceeded · 429 -> RateLimited · 5xx, 408, 409 -> ServerError ·
    anything else -> RequestRejected

Shared by both OpenAI dialects (chat completions and the Responses API); a failed Response's
code stands for a status (`status_of`) so it is classed the same way.
"""

from __future__ import annotations

from typing import Any

import httpx

from goshi import json_bounds
from goshi.errors import (
    AuthError,
    BackendError,
    ModelNotFound,
    QuotaExceeded,
    RateLimited,
    RequestRejected,
    ServerError,
    ToolsUnsupported,
)
from goshi.llm import error_body
from goshi.llm.error_body import ServerFault
from goshi.llm.retry import parse_retry_after
from goshi.llm.wire import redact

NAME = "openai"


def read_json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = json_bounds.loads(response.content)
    except json_bounds.TooDeep as exc:
        raise ServerError(f"{NAME}: the server sent {exc}", "try again", backend=NAME) from None
    except ValueError:
        fault = error_body.parse(response.content)
        raise ServerError(
            f"{NAME}: the server sent a body that is not JSON"
            + (f": {fault.text}" if fault.text else ""),
            "try again",
            backend=NAME,
        ) from None
    if not isinstance(body, dict):
        raise ServerError(f"{NAME}: the server sent an unexpected answer", backend=NAME)
    return body


def error_from_fault(
    fault: ServerFault,
    status: int,
    model: str,
    key: str | None,
    key_env: str,
    response: httpx.Response,
    said: str | None = None,
) -> BackendError:
    text = redact(fault.text, key) or response.reason_phrase or "no reason given"
    said = f"{said}: {text}" if said else f"{NAME}: HTTP {status}: {text}"
    if status in (401, 403):
        hint = (
            f"set {key_env} to a valid API key"
            if not key
            else f"check the key in ${key_env}: it may be wrong, revoked or lack access"
        )
        return AuthError(
            f"{NAME}: the API key was rejected (HTTP {status}: {text})", hint, backend=NAME
        )
    if status == 404:
        if fault.code == "model_not_found" or "model" in text.lower():
            return ModelNotFound(
                f"{NAME}: model {model!r} not found (HTTP 404: {text})",
                "pick another with -m MODEL, or set openai.model",
                backend=NAME,
            )
        return RequestRejected(
            said, f"check openai.base_url ({response.request.url})", backend=NAME
        )
    if status in (400, 422) and error_body.tools_unsupported(fault):
        return ToolsUnsupported(f"{NAME}: {text}", "goshi goes on without tools", backend=NAME)
    if status in (400, 413, 422) and error_body.context_exceeded(fault):
        return RequestRejected(
            said, "the conversation is too long for the model: start a new one", backend=NAME
        )
    if status in (402, 429) and error_body.quota_exhausted(fault):
        return QuotaExceeded(
            f"{NAME}: quota exhausted (HTTP {status}: {text})",
            "check your plan and billing, or use -b ollama",
            backend=NAME,
        )
    retry_after = parse_retry_after(response.headers)
    if status == 429:
        return RateLimited(
            said, "wait a little and try again", backend=NAME, retry_after=retry_after
        )
    if status >= 500 or status in (408, 409):
        return ServerError(said, "try again later", backend=NAME, retry_after=retry_after)
    return RequestRejected(said, "the server refused this request as sent", backend=NAME)


# failed-response codes (openai-python ResponseError) that asking again will not change
REFUSED = frozenset(
    (
        "bad_request",
        "content_filter",
        "vector_store_timeout",
        "bio_policy",
        "data_residency_mismatch",
    )
)


def status_of(fault: ServerFault) -> int:
    """The HTTP status a failed response's code stands for, so its error is classed as on chat
    completions (a rate limit is retried, a bad request is not)."""
    code = fault.code.lower()
    if code.isdigit() and 400 <= int(code) < 600:
        return int(code)
    if "rate_limit" in code or code in ("insufficient_quota", "slow_down"):
        return 429
    if code.startswith(("invalid", "unsupported", "context_length")) or code in REFUSED:
        return 400
    if "image" in code:  # image_too_large, empty_image_file, ...: asking again will not help
        return 400
    if code in ("authentication_error", "invalid_api_key"):
        return 401
    return 500
