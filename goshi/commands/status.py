"""`goshi status`: for each backend, its URL, whether it answers, whether the model is there,
and its circuit: state, consecutive failures, seconds until a probe may close it.

A URL's user:password@ is masked, a key that could not be sent is not sent (the line says why),
and every text a server sent is shown through the sanitiser."""

import json
import sys
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from goshi import config, model_names
from goshi.credentials import key_problem, mask_url, remember
from goshi.llm.breaker import Breaker
from goshi.llm.probe import get_json, ollama_names
from goshi.llm.select import breaker_for
from goshi.sanitize import one_line
from goshi.store import Store

if TYPE_CHECKING:
    import typer


@dataclass
class BackendStatus:
    backend: str
    url: str
    model: str
    reachable: bool
    detail: str
    model_present: bool | None
    circuit: str
    failures: int
    half_open_in_s: float


def check(config_file: str | None, as_json: bool) -> int:
    settings = config.load(config_file)
    store = Store()
    rows = [_openai(settings, store), _ollama(settings, store)]
    if as_json:
        sys.stdout.write(json.dumps([asdict(r) for r in rows], indent=2) + "\n")
        return _answered(rows)
    for r in rows:
        present = {True: "present", False: "MISSING", None: "unknown"}[r.model_present]
        circuit = r.circuit
        if r.failures:
            circuit += f", {r.failures} consecutive failure(s)"
        if r.half_open_in_s:
            circuit += f", half-open in {r.half_open_in_s:.0f} s"
        sys.stdout.write(
            f"{r.backend}: {one_line(r.url)}\n"
            f"  reachable: {'yes' if r.reachable else 'no'} ({one_line(r.detail)})\n"
            f"  model:     {one_line(r.model)} ({present})\n"
            f"  circuit:   {circuit}\n"
        )
    return _answered(rows)


def _answered(rows: list[BackendStatus]) -> int:
    """0 when a backend answers; else 5 (as `goshi ask` would), with what to do."""
    if any(r.reachable for r in rows):
        return 0
    sys.stderr.write(
        "goshi: no backend answers: set OPENAI_API_KEY (and OPENAI_BASE_URL for another server),"
        " or start Ollama\n"
    )
    return 5


def _circuit(breaker: Breaker) -> tuple[str, int, float]:
    c = breaker.peek()
    return c.state, c.failures, round(breaker.seconds_until_half_open(c), 1)


def _openai(settings: config.Settings, store: Store) -> BackendStatus:
    url = settings.openai.base_url
    model = settings.openai.model
    state, failures, wait = _circuit(breaker_for(settings, store, "openai", url))
    shown = mask_url(url)
    env = settings.openai.api_key_env
    if not settings.openai_key_configured():
        detail = f"not used: ${env} is not set"
        return BackendStatus("openai", shown, model, False, detail, None, state, failures, wait)
    key = settings.api_key()
    remember(key)
    if key and (problem := key_problem(key)):
        detail = f"not asked: the API key in ${env} {problem}"
        return BackendStatus("openai", shown, model, False, detail, None, state, failures, wait)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body, detail = get_json(url.rstrip("/") + "/models", settings, headers)
    present = None
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        present = any(isinstance(m, dict) and m.get("id") == model for m in body["data"])
    return BackendStatus(
        "openai", shown, model, body is not None, detail, present, state, failures, wait
    )


def _ollama(settings: config.Settings, store: Store) -> BackendStatus:
    host, model = settings.ollama.host, settings.ollama.model
    state, failures, wait = _circuit(breaker_for(settings, store, "ollama", host))
    body, detail = get_json(host.rstrip("/") + "/api/tags", settings, {})
    present = None
    if isinstance(body, dict) and isinstance(body.get("models"), list):
        listed = ollama_names(body)
        model_names.remember_ollama(host, listed)
        present = model in listed or f"{model}:latest" in listed
    return BackendStatus(
        "ollama", mask_url(host), model, body is not None, detail, present, state, failures, wait
    )


def register(app: "typer.Typer") -> None:
    import typer

    from goshi.commands.options import ConfigOpt, JsonOpt, Verbose, finish

    @app.command()
    def status(
        config_file: ConfigOpt = None, as_json: JsonOpt = False, verbose: Verbose = 0
    ) -> None:
        """Show each backend: URL, reachable, model present, circuit state."""
        raise typer.Exit(finish(lambda: check(config_file, as_json), verbose))
