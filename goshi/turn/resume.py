"""A conversation taken up again (`-c`, `--cid`, chat's `/resume`) goes on as it was left: with
the backend and model it last asked, unless `-b` or `-m` say otherwise.

    every question -> the conversation's row keeps the backend setting and the model asked
    resume         -> those become the settings' (a -b naming another backend keeps that
                      backend's configured model; a -m is the model)
"""

from __future__ import annotations

from goshi.config import BACKENDS, Overrides, Settings
from goshi.store import Conversation


def resume_route(settings: Settings, conversation: Conversation, flags: Overrides) -> None:
    said = f"conversation {conversation.id}"
    if flags.backend is None and conversation.backend in BACKENDS:
        settings.backend = conversation.backend
        settings.sources["backend"] = said
    if flags.model is None and settings.backend == conversation.backend and conversation.model:
        section = settings.primary_backend()
        getattr(settings, section).model = conversation.model
        settings.sources[f"{section}.model"] = said
