"""Request fields a server was found to disagree on, remembered per base URL.

    a 400/422 names a field  -> memory.remember_param(base_url, key, value)
    the next request there   -> memory.params_for(base_url): it starts with the right form

The store keeps the choices across runs when a `ParamMemory` backed by it is passed in; without
one, the process remembers them until it exits.
"""

from __future__ import annotations

from typing import Protocol


class ParamMemory(Protocol):
    def params_for(self, base_url: str) -> dict[str, str]: ...

    def remember_param(self, base_url: str, key: str, value: str) -> None: ...


class InProcess:
    def __init__(self) -> None:
        self.choices: dict[str, dict[str, str]] = {}

    def params_for(self, base_url: str) -> dict[str, str]:
        return dict(self.choices.get(base_url, {}))

    def remember_param(self, base_url: str, key: str, value: str) -> None:
        self.choices.setdefault(base_url, {})[key] = value


_PROCESS = InProcess()


def remembered() -> ParamMemory:
    return _PROCESS
