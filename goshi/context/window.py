"""What a model's context window is, and where goshi learned it. First found wins:

    1. goshi.yaml context.windows[model]                        (the user's word)
    2. Ollama: ollama.num_ctx, else the num_ctx the model was made with (POST /api/show)
    3. an OpenAI-compatible server that is not OpenAI: the context of llama.cpp's slot, from
       GET /props (default_generation_settings.n_ctx), else GET {base_url}/models
       (data[].meta.n_ctx; builds since 2025 put it there). Never meta.n_ctx_train: that is the
       model's trained length, and the server may run a smaller context (`-c`)
    4. learned from a "context exceeded" error of that server, remembered in the store
    5. the model table (goshi/data/prices.json, `context`), OpenAI's published windows

Unknown stays unknown: no guess is presented as fact (the footer then shows no ctx figure).
A server's report is kept in the store for PROBE_TTL_S (a day when it had none), so a chain of
`goshi ask` pays one probe, not one each.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

from goshi import json_bounds
from goshi.config import Settings
from goshi.cost.prices import Table, base_names, load_table
from goshi.record import record
from goshi.store import Store

log = logging.getLogger("goshi")

PROBE_TTL_S = 600.0
MISS_TTL_S = 86_400.0
PROBE_TIMEOUT_S = 2.0
MIN_WINDOW, MAX_WINDOW = 256, 100_000_000
LEARNED, PROBED, RATIO = "window learned", "window probed", "tokens per bound"


@record(frozen=True, slots=True)
class Window:
    tokens: int
    source: str  # said by /context: "goshi.yaml", "llama.cpp /props", "the model table", ...


def server_of(settings: Settings, backend: str) -> str:
    """The key facts are remembered under: the base URL (or Ollama's host), a password in it
    masked (the store never keeps one)."""
    from goshi.credentials import mask_url

    url = settings.ollama.host if backend == "ollama" else settings.openai.base_url
    return mask_url(url.rstrip("/"))


def plausible(value: Any) -> int | None:
    """A window a server reported, if it is a number a window can be: a whole number of tokens
    from MIN_WINDOW to below MAX_WINDOW (JSON's NaN, Infinity and 1e400 are none)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if MIN_WINDOW <= value < MAX_WINDOW else None


class WindowFinder:
    def __init__(
        self, settings: Settings, store: Store, table: Callable[[], Table] = load_table
    ) -> None:
        self.settings = settings
        self.store = store
        self.table = table  # the meter's, so the price table is read once per process
        self.fetched: dict[str, Any] = {}  # GET url -> its JSON: one probe a process

    def known(self, url: str, body: Any) -> None:
        """A GET's answer goshi already has (`goshi models` read the model list): not asked
        again."""
        self.fetched[url] = body

    def find(self, backend: str, model: str) -> Window | None:
        for name in base_names(model):
            if (tokens := self.settings.context.windows.get(name)) is not None:
                return Window(tokens, "goshi.yaml")
        server = server_of(self.settings, backend)
        if backend == "ollama":
            if self.settings.ollama.num_ctx is not None:
                return Window(self.settings.ollama.num_ctx, "ollama.num_ctx")
            if (tokens := self._probed(server, model, self._ollama_show)) is not None:
                return Window(tokens, "Ollama /api/show num_ctx")
        elif not self.settings.openai_is_openai() and (
            tokens := self._probed(server, model, self._llamacpp_slot)
        ):
            return Window(tokens, "the server's slot (llama.cpp n_ctx)")
        if (fact := self.store.model_fact(server, model, LEARNED)) and fact[0]:
            return Window(int(fact[0]), "learned from the server's error")
        if backend != "ollama":
            windows = self.table().windows
            for name in base_names(model):
                if name in windows:
                    return Window(windows[name], "the model table")
        return None

    def learn(self, backend: str, model: str, tokens: int) -> None:
        """A server said its window in a "context exceeded" error: remember it."""
        if plausible(tokens):
            self.store.set_model_fact(server_of(self.settings, backend), model, LEARNED, tokens)

    def _probed(self, server: str, model: str, probe: Callable[[str], int | None]) -> int | None:
        fact = self.store.model_fact(server, model, PROBED)
        if fact is not None:
            value, at = fact
            if time.time() - at < (PROBE_TTL_S if value else MISS_TTL_S):
                return int(value) if value else None
        tokens = probe(model)
        self.store.set_model_fact(server, model, PROBED, tokens)
        return tokens

    def _get_json(self, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
        if method == "GET" and url in self.fetched:
            return self.fetched[url]
        got = self._ask(method, url, body)
        if method == "GET":
            self.fetched[url] = got
        return got

    def _ask(self, method: str, url: str, body: dict[str, Any] | None) -> Any:
        from goshi.llm import http

        try:
            response = http.client(self.settings.http).request(  # a one-off: not kept open
                method, url, json=body, timeout=PROBE_TIMEOUT_S, headers={"Connection": "close"}
            )
            return json_bounds.loads(response.content) if response.status_code == 200 else None
        except Exception as exc:  # a probe is a hint: any failure means "it did not say"
            from goshi.credentials import redact

            log.info("context window probe %s failed: %s", redact(url), redact(str(exc)))
            return None

    def _llamacpp_slot(self, model: str) -> int | None:
        """/props first, unless the model list is at hand already (both say the same n_ctx)."""
        base = self.settings.openai.base_url.rstrip("/")
        models = f"{base}/models"
        if models in self.fetched and (tokens := self._listed(models, model)):
            return tokens
        props = self._get_json("GET", re.sub(r"/v1$", "", base) + "/props")
        if isinstance(props, dict):
            slot = props.get("default_generation_settings")
            n_ctx = slot.get("n_ctx") if isinstance(slot, dict) else None
            if tokens := plausible(n_ctx if n_ctx is not None else props.get("n_ctx")):
                return tokens
        return self._listed(models, model)

    def _listed(self, url: str, model: str) -> int | None:
        return plausible(listed_meta(self._get_json("GET", url), model).get("n_ctx"))

    def _ollama_show(self, model: str) -> int | None:
        """The num_ctx the model was made with; its trained context_length is only a ceiling
        (Ollama runs a smaller num_ctx by default), so it is not taken as the window."""
        shown = self._get_json("POST", f"{self.settings.ollama.host}/api/show", {"model": model})
        if not isinstance(shown, dict):
            return None
        parameters = shown.get("parameters")
        if isinstance(parameters, str):
            for line in parameters.splitlines():
                name, _, value = line.strip().partition(" ")
                if name == "num_ctx" and value.strip().isdigit():
                    return plausible(int(value.strip()))
        return None


def listed_meta(body: Any, model: str) -> dict[str, Any]:
    """llama.cpp's `meta` of `model` in a GET /models answer: the entry with its id, else the
    only entry (a single-model server answers to any name); {} when there is none."""
    data = body.get("data") if isinstance(body, dict) else None
    entries = [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []
    entry = next((e for e in entries if e.get("id") == model), None)
    if entry is None and len(entries) == 1:
        entry = entries[0]
    meta = entry.get("meta") if entry is not None else None
    return meta if isinstance(meta, dict) else {}
