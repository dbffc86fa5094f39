"""A quick look at a server, for `goshi status` and `goshi models`: one GET, its JSON, within 5 s.

What a server sends is untrusted: the body is returned as parsed, and its names filtered.
"""

from typing import Any

from goshi import json_bounds
from goshi.config import Settings


def get_json(url: str, settings: Settings, headers: dict[str, str]) -> tuple[object, str]:
    """(the JSON body, 'HTTP 200') or (None, what went wrong), within 5 s."""
    import httpx

    from goshi.errors import GoshiError
    from goshi.llm import http
    from goshi.llm.wire import translate_errors

    client = http.client(settings.http)
    try:
        with translate_errors("status", url, 5.0):
            response = client.get(url, headers=headers, timeout=httpx.Timeout(5.0, connect=2.0))
    except GoshiError as exc:
        return None, exc.message.removeprefix("status: ")
    if response.status_code != 200:
        return None, f"HTTP {response.status_code}"
    try:
        return json_bounds.loads(response.content), "HTTP 200"
    except json_bounds.TooDeep as exc:
        return None, f"HTTP 200 but {exc}"
    except ValueError:
        return None, "HTTP 200 but not JSON"


def ollama_names(body: dict[str, Any]) -> list[str]:
    """The model names in an /api/tags body (untrusted: anything not a string is dropped)."""
    models = body.get("models") or []
    return [m["name"] for m in models if isinstance(m, dict) and isinstance(m.get("name"), str)]
