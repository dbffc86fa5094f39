"""A conversation taken up again (`-c`, `--cid`, chat's `/resume`) goes on as it was left: with
the backend and model it last asked, unless `-b` or `-m` say otherwise.

    every question -> the conversation's row keeps the backend setting, the model asked and
                      whose model it is (openai or ollama)
    resume         -> those become the settings' (a -b naming another backend keeps that
                      backend's configured model; a -m is the model)

Under `backend: auto` the backend asked first depends on whether an OpenAI key is set, which
may have changed since: a conversation Ollama answered goes on with Ollama (a key set since does
not send its Ollama model name to OpenAI); one OpenAI answered goes on with OpenAI while a key is
set, else with Ollama's own configured model.
"""

from __future__ import annotations

from goshi.config import BACKENDS, Overrides, Settings, set_model
from goshi.store import Conversation


def resume_route(settings: Settings, conversation: Conversation, flags: Overrides) -> None:
    said = f"conversation {conversation.id}"
    if flags.backend is None and conversation.backend in BACKENDS:
        settings.backend = conversation.backend
        settings.sources["backend"] = said
    same = settings.backend == conversation.backend
    section = settings.primary_backend()
    whose = conversation.model_backend
    moved = same and settings.backend == "auto" and whose in ("openai", "ollama")
    if moved and whose == "ollama" and section != whose:
        settings.backend = "ollama"  # a key set since: the conversation stays with Ollama
        settings.sources["backend"] = f"{said} (Ollama answered it)"
        section = "ollama"
    if flags.model is not None:  # for the backend the conversation goes on with
        set_model(settings, flags.model, "--model")
        return
    if not same or not conversation.model:
        return
    if moved and whose == "openai" and section != whose:
        return  # no key now: Ollama answers with its own model
    getattr(settings, section).model = conversation.model
    settings.sources[f"{section}.model"] = said
