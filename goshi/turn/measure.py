"""What the route's model holds and how its tokens count, as far as goshi knows, per (backend,
model) for the life of the conversation:

    window()       goshi.yaml, the server's own report, a window learned from an overflow, the
                   model table (goshi/context/window.py), asked once a route
    counter()      the byte bound scaled by the ratio the server's usage calibrated (the store
                   remembers it per server and model: goshi/context/count.py)
    learn(window)  a "context exceeded" rejection: the window it names, and the bound unscaled
    calibrate()    after an answer: the server's prompt_tokens against the bound
    budget()       what the window leaves for the prompt: less the answer's reserve and the tools
"""

from __future__ import annotations

from typing import Any

from goshi.context import count
from goshi.context.window import RATIO, Window, WindowFinder, server_of
from goshi.turn.parts import Parts

SUMMARY_CAP = 1024  # tokens a summary may take, at most (and an eighth of the window)
DEFAULT_RESERVE = 4096  # tokens kept for the answer when openai.max_tokens says nothing


class Measure:
    def __init__(self, parts: Parts) -> None:
        self.p = parts
        self.finder = WindowFinder(parts.settings, parts.store, parts.meter.table)
        self._window: dict[tuple[str, str], Window | None] = {}
        self._ratio: dict[tuple[str, str], float] = {}

    def route(self) -> tuple[str, str]:
        return self.p.selector.primary_backend(), self.p.selector.primary_model()

    def window(self) -> Window | None:
        key = self.route()
        if key not in self._window:
            self._window[key] = self.finder.find(*key)
        return self._window[key]

    def counter(self) -> count.Counter:
        key = self.route()
        if key not in self._ratio:
            server = server_of(self.p.settings, key[0])
            fact = self.p.store.model_fact(server, key[1], RATIO)
            self._ratio[key] = fact[0] if fact and fact[0] else 1.0
        return count.Counter(self._ratio[key])

    def reserve(self, window: int) -> int:
        """Tokens kept free for the answer."""
        c = self.p.settings.context
        if c.reserve_tokens is not None:
            return c.reserve_tokens
        return min(self.p.settings.openai.max_tokens or DEFAULT_RESERVE, window // 4)

    def budget(self, window: int, tools: list[dict[str, Any]]) -> int:
        return window - self.reserve(window) - count.tools_bound(tools)

    def summary_cap(self, window: int) -> int:
        return min(SUMMARY_CAP, max(64, window // 8))

    def learn(self, window: int | None) -> None:
        """A "context exceeded" rejection: remember the window it names (if any); the
        calibrated count fell short, so the bound counts unscaled from now on."""
        backend, model = key = self.route()
        if window:
            self.finder.learn(backend, model, window)
            self._window[key] = Window(window, "learned from the server's error")
        self._ratio[key] = 1.0

    def calibrate(self, prompt_tokens: int, bound: int) -> None:
        """The server's count of a request sent on the primary route, against the bound."""
        used = self.p.selector.used
        if used is None or self.p.selector.fallback:
            return
        ratio = count.learned_ratio(prompt_tokens, bound)
        if ratio is not None:
            key = (used.backend.name, used.model)
            self._ratio[key] = ratio
            server = server_of(self.p.settings, key[0])
            self.p.store.set_model_fact(server, key[1], RATIO, ratio)
