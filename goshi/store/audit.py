"""The tool-call audit: what the model asked to run and how it went (secrets redacted)."""

from __future__ import annotations

import time

from goshi.credentials import unstored
from goshi.store.db import Database


class Audit(Database):
    def record_tool_call(
        self,
        cid: int,
        message_id: int | None,
        call_id: str,
        tool: str,
        arguments: str,
        status: str,
        summary: str,
        duration_ms: float,
    ) -> None:
        self.db.execute(
            "INSERT INTO tool_calls (at, conversation_id, message_id, call_id, tool, arguments,"
            " status, summary, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                time.time(),
                cid,
                message_id,
                call_id,
                tool,
                unstored(arguments),
                status,
                unstored(summary),
                duration_ms,
            ),
        )

    def tool_calls_of(self, message_id: int) -> list[tuple[str, str, str, str, float]]:
        """(tool, redacted arguments, status, summary, duration ms) of one assistant message."""
        return self.db.execute(
            "SELECT tool, arguments, status, summary, duration_ms FROM tool_calls"
            " WHERE message_id = ? ORDER BY id",
            (message_id,),
        ).fetchall()
