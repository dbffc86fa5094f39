"""`goshi models [--json]`: the models each backend offers, with what goshi knows of each.

    OpenAI (or a compatible server) GET {base_url}/models, Ollama GET /api/tags
    -> each id: standard price (goshi.cost.prices: cost.prices, then the table), context window
       (OpenAI's side: the one a turn would use, goshi/context/window.py, told the model list it
       has just read, so a llama.cpp server's meta.n_ctx needs no second request; Ollama's: the
       table's), the endpoint goshi asks an OpenAI model on (chat completions or the Responses
       API: goshi/llm/api_choice.py), default or not -> a table, or JSON

Model ids come from servers: they are bounded in length and number, and reach a terminal only
through the sanitiser. Ollama's list is also kept for Tab completion (goshi/model_names.py).
"""

import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from goshi import config, model_names
from goshi.context import window
from goshi.cost import prices
from goshi.credentials import key_problem, mask_url, remember
from goshi.errors import Unavailable
from goshi.llm import api_choice
from goshi.llm.probe import get_json, ollama_names
from goshi.sanitize import one_line

if TYPE_CHECKING:
    import typer

    from goshi.store import Store

MAX_MODELS = 1000
MAX_ID = 200
SHOWN_ID = 48


@dataclass
class ModelInfo:
    id: str
    default: bool
    input_per_mtok: float | None
    cached_input_per_mtok: float | None
    output_per_mtok: float | None
    price_source: str | None  # "table", "goshi.yaml", "local" (Ollama is free), or None
    context_window: int | None
    endpoint: str | None = None  # OpenAI: "chat" or "responses", the one goshi asks it on
    context_trained: int | None = None  # llama.cpp meta.n_ctx_train: trained, not served


@dataclass
class BackendModels:
    backend: str
    url: str
    reachable: bool
    detail: str
    default_model: str
    models: list[ModelInfo] = field(default_factory=list)


def run(config_file: str | None, as_json: bool) -> int:
    settings = config.load(config_file)
    store = _store()
    listing = [_openai(settings, store), _ollama(settings, store)]
    if as_json:
        sys.stdout.write(json.dumps([asdict(b) for b in listing], indent=2) + "\n")
    else:
        sys.stdout.write(render(listing) + aliases(settings))
    if not any(b.reachable for b in listing):
        raise Unavailable(
            "no backend listed its models",
            "`goshi status` says why; check OPENAI_BASE_URL and OLLAMA_HOST",
        )
    return 0


def _openai(settings: config.Settings, store: "Store | None") -> BackendModels:
    url, model, env = settings.openai.base_url, settings.openai.model, settings.openai.api_key_env
    shown = mask_url(url)
    if not settings.openai_key_configured():
        return BackendModels("openai", shown, False, f"not used: ${env} is not set", model)
    key = settings.api_key()
    remember(key)
    if key and (problem := key_problem(key)):
        detail = f"not asked: the API key in ${env} {problem}"
        return BackendModels("openai", shown, False, detail, model)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body, detail = get_json(url.rstrip("/") + "/models", settings, headers)
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        return BackendModels("openai", shown, False, _not_listed(body, detail), model)
    ids = [m.get("id") for m in body["data"] if isinstance(m, dict)]
    listed = _describe(settings, "openai", ids)
    remembered = _remembered(store, url)
    windows = _windows(settings, store, "openai", url.rstrip("/") + "/models", body)
    for m in listed:
        said = remembered.get(api_choice.memory_key(m.id))
        m.endpoint = api_choice.expected(settings.openai.api, url, m.id, said)
        m.context_window = windows(m.id) or m.context_window
        m.context_trained = window.plausible(window.listed_meta(body, m.id).get("n_ctx_train"))
    return BackendModels("openai", shown, True, detail, model, listed)


def _store() -> "Store | None":
    """The store, when it can be read (a damaged one does not stop a listing)."""
    from goshi.store import Store

    try:
        return Store()
    except _store_failures():
        return None


def _store_failures() -> tuple[type[Exception], ...]:
    """What reading the store may raise that a listing goes on without."""
    from goshi.errors import GoshiError
    from goshi.store.engine import sqlite3

    return (GoshiError, sqlite3.Error, OSError)


def _remembered(store: "Store | None", url: str) -> dict[str, str]:
    """What servers said before (goshi/llm/params.py)."""
    try:
        return store.params_for(mask_url(url.rstrip("/"))) if store else {}
    except _store_failures():
        return {}


def _windows(
    settings: config.Settings, store: "Store | None", backend: str, url: str, listing: object
) -> Callable[[str], int | None]:
    """model -> the context window a turn would use (goshi/context/window.py), or None. `url`
    answered `listing` already: it is not asked again."""
    if store is None:
        return lambda model: None
    finder = window.WindowFinder(settings, store)
    finder.known(url, listing)

    def find(model: str) -> int | None:
        try:
            found = finder.find(backend, model)
        except _store_failures():
            return None
        return found.tokens if found else None

    return find


def _ollama(settings: config.Settings, store: "Store | None") -> BackendModels:
    host, model = settings.ollama.host, settings.ollama.model
    body, detail = get_json(host.rstrip("/") + "/api/tags", settings, {})
    if not isinstance(body, dict) or not isinstance(body.get("models"), list):
        return BackendModels("ollama", mask_url(host), False, _not_listed(body, detail), model)
    names = ollama_names(body)
    model_names.remember_ollama(host, names)
    listed = _describe(settings, "ollama", names)
    windows = _windows(settings, store, "ollama", host.rstrip("/") + "/api/tags", body)
    for m in listed:  # ollama.num_ctx, else the num_ctx each was made with (POST /api/show)
        m.context_window = windows(m.id) or m.context_window
    return BackendModels("ollama", mask_url(host), True, detail, model, listed)


def _not_listed(body: object, detail: str) -> str:
    return detail if body is None else f"{detail}, but no model list in the answer"


def _describe(settings: config.Settings, backend: str, ids: list[Any]) -> list[ModelInfo]:
    table = prices.load_table()
    windows = model_names.price_table_models()
    default = getattr(settings, backend).model
    out = []
    for raw in sorted({i for i in ids if isinstance(i, str) and i.strip()})[:MAX_MODELS]:
        mid = raw[:MAX_ID]
        pricing = prices.resolve(mid, backend, table, settings.cost.prices)
        base = pricing.base if pricing else None
        cached = (
            None if base is None else base.input if base.cached_input is None else base.cached_input
        )
        out.append(
            ModelInfo(
                mid,
                mid == default or (backend == "ollama" and mid == f"{default}:latest"),
                None if base is None else float(base.input),
                None if cached is None else float(cached),
                None if base is None else float(base.output),
                pricing.source if pricing else None,
                _context_window(windows.get(pricing.name if pricing else mid) or windows.get(mid)),
            )
        )
    return out


def _context_window(entry: dict[str, Any] | None) -> int | None:
    """The table entry's context window, when the table carries one."""
    for key in ("context_window", "context"):
        value = (entry or {}).get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def render(listing: list[BackendModels]) -> str:
    out = []
    for b in listing:
        out.append(f"{b.backend}: {one_line(b.url)}")
        if not b.reachable:
            out.append(f"  not listed: {one_line(b.detail)}")
            continue
        if not b.models:
            out.append("  no models")
            continue
        width = min(SHOWN_ID, max(len(m.id) for m in b.models))
        api = any(m.endpoint for m in b.models)
        out.append(
            f"  {'model':<{width}}  {'in $/1M':>8}  {'out $/1M':>8}  {'context':>8}"
            + (f"  {'api':<9}" if api else "")
        )
        for m in b.models:
            name = one_line(m.id if len(m.id) <= width else m.id[: width - 1] + "…")
            out.append(
                f"  {name:<{width}}  {_price(m, m.input_per_mtok):>8}"
                f"  {_price(m, m.output_per_mtok):>8}  {_window(m.context_window):>8}"
                + (f"  {m.endpoint or '-':<9}" if api else "")
                + ("  default" if m.default else "")
            )
        if not any(m.default for m in b.models):
            out.append(f"  (the default, {one_line(b.default_model)}, is not in this list)")
    return "\n".join(out) + "\n"


def aliases(settings: config.Settings) -> str:
    """The user's `aliases:` (`-m fast`), each with the model it stands for."""
    if not settings.aliases:
        return ""
    width = max(map(len, settings.aliases))
    rows = [f"  {one_line(a):<{width}}  {one_line(m)}" for a, m in sorted(settings.aliases.items())]
    return "aliases (-m NAME):\n" + "\n".join(rows) + "\n"


def _price(m: ModelInfo, value: float | None) -> str:
    if m.price_source == "local":
        return "free"
    if value is None:
        return "-"
    return f"{value:.2f}" if round(value, 2) == value else f"{value:.3f}"


def _window(tokens: int | None) -> str:
    from goshi.ui.view import human_tokens

    return "-" if tokens is None else human_tokens(tokens)


def register(app: "typer.Typer") -> None:
    import typer

    from goshi.commands.options import ConfigOpt, JsonOpt, Verbose, finish

    @app.command()
    def models(
        config_file: ConfigOpt = None, as_json: JsonOpt = False, verbose: Verbose = 0
    ) -> None:
        """The models each backend offers, with price, context window and the default."""
        raise typer.Exit(finish(lambda: run(config_file, as_json), verbose))
