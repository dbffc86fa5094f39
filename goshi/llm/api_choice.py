"""Which OpenAI endpoint answers a model: chat completions or the Responses API.

    openai.api: chat | responses  -> that one, always
    openai.api: auto              -> what this server said about this model before (remembered
                                     per masked base URL + model, goshi/llm/params.py), else
                                     Responses on OpenAI's own hosts (api.openai.com, its
                                     regional hosts, Azure OpenAI's /openai/v1 base), chat
                                     completions anywhere else
    a 400/404 that says the model lives on the other endpoint -> one retry there, remembered

A model's name alone does not send it to Responses on another host: a gateway or a local server
may well serve a "codex" name on chat completions. The name patterns below only let
`goshi models` say where OpenAI serves a model.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from goshi.llm.error_body import ServerFault

CHAT = "chat"
RESPONSES = "responses"

# OpenAI's models that answer only on /v1/responses (its model pages, 2026-12)
RESPONSES_ONLY = re.compile(
    r"^(gpt-5(\.\d+)?-codex(-mini|-max)?|gpt-5(\.\d+)?-pro|o1-pro|o3-pro|o3-deep-research"
    r"|o4-mini-deep-research|codex-mini-latest|computer-use-preview)(-\d{4}-\d{2}-\d{2})?$"
)
# ... and the few that answer only on chat completions
CHAT_ONLY = re.compile(r"(search-preview|audio-preview|^o1-mini)")
# the models that reason, whose reasoning can be carried between tool rounds
REASONING = re.compile(r"^(o\d|gpt-5|codex-mini)")


def memory_key(model: str) -> str:
    return f"api {model}"


def is_openai_host(base_url: str) -> bool:
    """OpenAI's own API (any regional host), or an Azure OpenAI resource's /openai/v1 base."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    if host == "api.openai.com" or host.endswith(".api.openai.com"):
        return True
    azure = host.endswith((".openai.azure.com", ".cognitiveservices.azure.com"))
    return azure and parts.path.rstrip("/").endswith("/openai/v1")


def default_api(base_url: str) -> str:
    return RESPONSES if is_openai_host(base_url) else CHAT


def known_api(model: str) -> str | None:
    """Where OpenAI serves this model, when its name says so."""
    if RESPONSES_ONLY.match(model):
        return RESPONSES
    if CHAT_ONLY.search(model):
        return CHAT
    return None


def reasons(model: str) -> bool:
    return bool(REASONING.match(model))


def other_endpoint(fault: ServerFault, asked: str) -> str | None:
    """The endpoint a refusal points to, when it says the model lives on the other one."""
    low = fault.text.lower()
    if fault.code == "unsupported_api_for_model":
        return RESPONSES if asked == CHAT else CHAT
    if asked == CHAT and (
        "v1/responses" in low
        or "not accessible via the /chat/completions endpoint" in low
        or "not a chat model" in low
    ):
        return RESPONSES
    if asked == RESPONSES and (
        "not supported with the responses api" in low
        or "not supported in the responses api" in low
        or "only supported in v1/chat/completions" in low
    ):
        return CHAT
    return None


def expected(setting: str, base_url: str, model: str, remembered: str | None) -> str:
    """The endpoint goshi asks this model on (`goshi models`): the setting, what the server said
    before, else by host, where OpenAI's own hosts send a chat-only model to chat completions."""
    if setting in (CHAT, RESPONSES):
        return setting
    if remembered in (CHAT, RESPONSES):
        return remembered
    if is_openai_host(base_url):
        return known_api(model) or RESPONSES
    return CHAT
