"""Which backend answers a request, built from the settings."""

from __future__ import annotations

from goshi.config import Settings
from goshi.errors import AuthError
from goshi.llm.openai import OpenAIBackend

OPENAI_DEFAULT_URL = "https://api.openai.com/v1"


def build_backend(settings: Settings) -> tuple[OpenAIBackend, str]:
    key = settings.api_key()
    if key is None and settings.openai.base_url.rstrip("/") == OPENAI_DEFAULT_URL:
        raise AuthError(
            f"no OpenAI API key: ${settings.openai.api_key_env} is not set",
            f"export {settings.openai.api_key_env}=sk-... (or point OPENAI_BASE_URL at a local"
            " OpenAI-compatible server)",
            backend="openai",
        )
    return OpenAIBackend(settings.openai, settings.http, key), settings.openai.model
