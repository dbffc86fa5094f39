"""The model names goshi knows without waiting on a server: for Tab completion and `goshi models`.

    price table (the updated one in the data dir, else the shipped one) -> OpenAI-side names
    $XDG_STATE_HOME/goshi/ollama_models.json <- written whenever goshi reads Ollama's /api/tags
                                               (`goshi models`, `goshi status`)
    $XDG_STATE_HOME/goshi/aliases.json       <- the user's `aliases:`, written when goshi reads
                                               a goshi.yaml whose aliases the file does not hold

Completion runs while the user waits on Tab, so nothing here imports more than the standard
library, and the only network call is a refresh of a stale cache from a loopback Ollama, bounded
by a 0.2 s timeout (a refused port answers at once). Names that came from a server are kept only
when they look like model names.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

from goshi import json_bounds, paths

SHIPPED_PRICES = Path(__file__).resolve().parent / "data" / "prices.json"
CACHE_TTL_S = 600
REFRESH_TIMEOUT_S = 0.2
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}")
MAX_CACHED = 500


def price_table_models() -> dict[str, dict[str, Any]]:
    """Model -> its entry in the price table in use (the same file `goshi prices` reads)."""
    for file in (paths.data_dir() / "prices.json", SHIPPED_PRICES):
        try:
            models = json.loads(file.read_text(encoding="utf-8")).get("models")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(models, dict):
            return {str(k): v if isinstance(v, dict) else {} for k, v in models.items()}
    return {}


def plausible(names: list[Any]) -> list[str]:
    """Server-sent names that are safe to offer to a shell: no controls, spaces or quotes."""
    return [n for n in names if isinstance(n, str) and MODEL_NAME.fullmatch(n)][:MAX_CACHED]


def remember_ollama(host: str, names: list[Any]) -> None:
    """Keep the names Ollama just listed; a failure to write is not an error."""
    data = {"host": host, "at": time.time(), "models": plausible(names)}
    _keep(paths.ollama_models_file(), data)


def _keep(target: Path, data: dict[str, Any]) -> None:
    """Write a cache file atomically; a failure to write is not an error."""
    try:
        paths.private_dir(target.parent)
        tmp = target.with_name(f".{target.stem}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(json.dumps(data))
        tmp.replace(target)
    except OSError:
        pass


def _stamp(file: Path) -> list[Any] | None:
    """What tells a config file's versions apart without reading it: path, size, mtime."""
    try:
        st = file.stat()
    except OSError:
        return None
    return [os.path.abspath(file), st.st_size, st.st_mtime_ns]


def remember_aliases(file: Path, aliases: dict[str, str]) -> None:
    """The user's `aliases:`, kept with the stamp of the file they were read from, so Tab can
    offer them without reading YAML (whenever goshi reads the user's goshi.yaml)."""
    stamp = _stamp(file)
    if stamp is not None and cached_aliases(file) != aliases:
        _keep(paths.state_dir() / "aliases.json", {"file": stamp, "aliases": aliases})


def cached_aliases(file: Path) -> dict[str, str] | None:
    """The aliases kept for this very version of `file`, or None."""
    try:
        data = json.loads((paths.state_dir() / "aliases.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    kept = data.get("aliases") if isinstance(data, dict) else None
    if data.get("file") != _stamp(file) or not isinstance(kept, dict):
        return None
    return {str(k): str(v) for k, v in kept.items()}


def cached_ollama() -> tuple[str, float, list[str]]:
    """(host, when, names) of the last listing; ('', 0, []) when there is none."""
    try:
        data = json.loads(paths.ollama_models_file().read_text(encoding="utf-8"))
        return str(data["host"]), float(data["at"]), plausible(data["models"])
    except (OSError, ValueError, KeyError, TypeError):
        return "", 0.0, []


def ollama_for_completion() -> list[str]:
    """Ollama's models for Tab: the cache, refreshed first when it is stale and Ollama is on
    this machine."""
    host, at, names = cached_ollama()
    if time.time() - at > CACHE_TTL_S:
        fresh = _quick_tags(host or _env_ollama_host())
        if fresh is not None:
            remember_ollama(host or _env_ollama_host(), fresh)
            return plausible(fresh)
    return names


def _env_ollama_host() -> str:
    host = os.environ.get("OLLAMA_HOST", "").strip() or "http://localhost:11434"
    return host if "://" in host else f"http://{host}"


def _quick_tags(host: str) -> list[Any] | None:
    """GET /api/tags from a loopback Ollama within REFRESH_TIMEOUT_S, or None."""
    import http.client
    from urllib.parse import urlsplit

    url = urlsplit(host)
    if url.scheme != "http" or url.hostname not in ("localhost", "127.0.0.1", "::1"):
        return None
    try:
        conn = http.client.HTTPConnection(url.hostname, url.port or 11434, REFRESH_TIMEOUT_S)
        conn.request("GET", "/api/tags")
        response = conn.getresponse()
        body = json_bounds.loads(response.read(1_000_000)) if response.status == 200 else None
        conn.close()
    except (OSError, ValueError, http.client.HTTPException):
        return None
    models = body.get("models") if isinstance(body, dict) else None
    if not isinstance(models, list):
        return None
    return [m.get("name") for m in models if isinstance(m, dict)]
