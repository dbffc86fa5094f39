"""Request fields a server was found to disagree on (goshi/llm/params.py), kept per base URL so
later runs start with the form that server takes."""

from __future__ import annotations

import time

from goshi.store.db import Database


class ServerParams(Database):
    def params_for(self, base_url: str) -> dict[str, str]:
        rows = self.db.execute(
            "SELECT key, value FROM server_params WHERE base_url = ?", (base_url,)
        ).fetchall()
        return {k: v for k, v in rows}

    def remember_param(self, base_url: str, key: str, value: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO server_params (base_url, key, value, updated_at)"
            " VALUES (?, ?, ?, ?)",
            (base_url, key, value, time.time()),
        )
