"""Which backend answers a request, and failing over from OpenAI to Ollama.

    backend: openai -> OpenAI only, retried per retry.*
    backend: ollama -> Ollama only, retried
    backend: auto   -> no OpenAI key configured: Ollama only
                       OpenAI's circuit open: Ollama, said in one stderr line
                       else OpenAI, tried once; a transient failure before the first token is
                       counted by the breaker and the same request goes to Ollama at once
                       (with a fallback at hand, no retry budget is spent waiting on OpenAI).

The request's or the user's own faults (400/401/403/404/422) neither count nor fail over. A quota
error (billing) fails over and counts: OpenAI will not answer until someone pays.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Protocol

from goshi.config import Settings
from goshi.credentials import key_problem, mask_url, remember
from goshi.errors import AuthError, ConnectFailed, QuotaExceeded, TransientError, Unavailable
from goshi.llm.breaker import Breaker
from goshi.llm.retry import RetryPolicy, retrying
from goshi.llm.types import ChatRequest, Event, TextDelta, ToolCallDelta
from goshi.record import record, replace
from goshi.store import Store

log = logging.getLogger("goshi")


class Backend(Protocol):
    name: str

    def chat(self, request: ChatRequest) -> Iterator[Event]: ...


@record
class Route:
    """The backend and model a request goes to."""

    backend: Backend
    model: str
    policy: RetryPolicy
    breaker: Breaker | None = None


def breaker_for(settings: Settings, store: Store, backend: str, url: str) -> Breaker:
    """The circuit of one endpoint, keyed by its URL with any user:password@ masked."""
    b = settings.breaker
    return Breaker(store, f"{backend} {mask_url(url)}", b.failure_threshold, b.cooldown_s)


class Selector:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        remember(settings.api_key())  # never stored, whichever backend answers
        self.used: Route | None = None
        self.fallback = False
        self.delivered = False  # a delta of the current route reached the consumer
        self.transition: str | None = None  # the breaker's last move, for the fallback line

    def primary_backend(self) -> str:
        """The backend asked first: the one whose price a limit is checked against."""
        return self.settings.primary_backend()

    def primary_model(self) -> str:
        s = self.settings
        return s.ollama.model if self.primary_backend() == "ollama" else s.openai.model

    def _openai(self, policy: RetryPolicy) -> Route:
        from goshi.llm.openai import OpenAIBackend

        s = self.settings
        if not s.openai_key_configured():
            raise AuthError(
                f"no OpenAI API key: ${s.openai.api_key_env} is not set",
                f"export {s.openai.api_key_env}=sk-..., or use -b ollama",
                backend="openai",
            )
        key = s.api_key()
        check_key(key, s.openai.api_key_env)
        backend = OpenAIBackend(s.openai, s.http, key, self.store)
        breaker = breaker_for(s, self.store, "openai", s.openai.base_url)
        return Route(backend, s.openai.model, policy, breaker)

    def _ollama(self, policy: RetryPolicy) -> Route:
        from goshi.llm.ollama import OllamaBackend

        s = self.settings
        return Route(OllamaBackend(s.ollama, s.http), s.ollama.model, policy)

    def circuit_state(self) -> str:
        """OpenAI's circuit when it is not closed (for the footer), else ''."""
        if self.primary_backend() != "openai":
            return ""
        s = self.settings
        state = breaker_for(s, self.store, "openai", s.openai.base_url).peek().state
        return "" if state == "closed" else state.replace("_", "-")

    def stream(self, request: ChatRequest) -> Iterator[Event]:
        self.used, self.fallback, self.delivered, self.transition = None, False, False, None
        r = self.settings.retry
        full = RetryPolicy(r.attempts, r.base_delay_s, r.max_delay_s)
        choice = self.settings.backend
        if choice == "openai":
            yield from self._through(self._openai(full), request)
        elif choice == "ollama":
            yield from self._through(self._ollama(full), request)
        elif not self.settings.openai_key_configured():
            try:
                yield from self._through(self._ollama(full), request)
            except ConnectFailed as exc:  # a first run with neither backend set up
                key = self.settings.openai.api_key_env
                exc.hint = (
                    f"{exc.hint} (with no ${key} set, goshi asks Ollama; set {key} to use OpenAI)"
                )
                raise
        else:
            yield from self._auto(request, full)

    def _auto(self, request: ChatRequest, full: RetryPolicy) -> Iterator[Event]:
        primary = self._openai(RetryPolicy(1, 0, 0))
        breaker = primary.breaker
        assert breaker is not None
        allowed, moved = breaker.allow()
        if moved:
            log.warning("openai: %s", moved)
        using = f"using ollama ({self.settings.ollama.model})"
        if not allowed:
            wait = breaker.seconds_until_half_open(breaker.peek())
            log.warning("openai: circuit open; %s for %.0f s", using, wait)
            self.fallback = True
            yield from self._through(self._ollama(full), request)
            return
        try:
            yield from self._through(primary, request)
            return
        except (TransientError, QuotaExceeded) as exc:
            if self.delivered:
                raise
            failure = exc
        if self.transition:
            log.warning("openai: %s; %s for %.0f s", self.transition, using, breaker.cooldown_s)
        else:
            log.warning("%s; %s", failure.message, using)
        self.fallback = True
        try:
            yield from self._through(self._ollama(full), request)
        except Unavailable as second:
            if self.delivered:
                raise
            raise Unavailable(
                f"no backend could answer: {failure.message}; {second.message}",
                second.hint,
                backend="ollama",
            ) from None

    def _through(self, route: Route, request: ChatRequest) -> Iterator[Event]:
        """The events of one route, retried by its policy; its breaker learns how it went."""
        self.used, self.delivered, self.transition = route, False, None
        routed = replace(request, model=route.model)
        try:
            for event in retrying(lambda: route.backend.chat(routed), route.policy):
                if not self.delivered and isinstance(event, TextDelta | ToolCallDelta):
                    self.delivered = True
                yield event
        except (TransientError, QuotaExceeded):
            if route.breaker is not None and not self.delivered:
                self.transition = route.breaker.failure()
                if self.transition and self.settings.backend != "auto":
                    log.warning("%s: %s", route.backend.name, self.transition)
            raise
        if route.breaker is not None and (moved := route.breaker.success()):
            log.warning("%s: %s", route.backend.name, moved)


def check_key(key: str | None, env: str) -> None:
    if key is None:  # the Selector remembered it already: redacted wherever it is echoed
        return
    if problem := key_problem(key):
        raise AuthError(
            f"the API key in ${env} {problem}; nothing was sent",
            f"set {env} again without it (a copied key or a CRLF .env file often adds one)",
            backend="openai",
        )
