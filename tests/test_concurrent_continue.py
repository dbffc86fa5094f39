"""Ten `goshi ask -c` at once on one conversation (#24): each sends its own question, never
another process's pending one, and the stored conversation reads question, answer, question,
answer, whatever order the answers came back in."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import start
from tests.wire_server import Gathered, WireServer, openai_stream

N = 10


def said(body: dict[str, object], role: str) -> list[str]:
    messages = body["messages"]
    assert isinstance(messages, list)
    return [str(m["content"]) for m in messages if m["role"] == role]


def test_ten_concurrent_continues_each_send_one_question_and_store_pairs(
    goshi, env: dict[str, str], home: Path, server: WireServer
) -> None:
    server.openai.push(openai_stream("the first answer"))
    assert goshi("ask", "the first question").code == 0
    server.openai.default = Gathered(N)
    procs = [start(env, home, "ask", "-c", f"question {i}") for i in range(N)]
    for i, proc in enumerate(procs):
        out, err = proc.communicate(timeout=120)
        assert (proc.returncode, out) == (0, f"answer to question {i}\n"), err

    requests = [r.body for r in server.chat_requests()[1:]]
    assert len(requests) == N
    for body in requests:  # the conversation as it stood, plus exactly one new question
        own = said(body, "user")[-1]
        assert said(body, "user") == ["the first question", own]
        assert said(body, "assistant") == ["the first answer"]
    assert sorted(said(body, "user")[-1] for body in requests) == sorted(
        f"question {i}" for i in range(N)
    )

    export = goshi("history", "export", "1", "--format", "json")
    messages = json.loads(export.stdout)["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"] * (N + 1)
    for question, answer in zip(messages[2::2], messages[3::2], strict=True):
        assert answer["content"] == f"answer to {question['content']}"
    shown = goshi("history", "show", "1").stdout
    lines = [x for x in shown.splitlines() if x.startswith(("question ", "answer to question "))]
    assert all(a == f"answer to {q}" for q, a in zip(lines[::2], lines[1::2], strict=True))

    server.openai.default = openai_stream("the last answer")
    assert goshi("ask", "-c", "the last question").code == 0
    last = server.chat_requests()[-1].body
    assert said(last, "user")[1:-1] == [m["content"] for m in messages[2::2]]
    assert said(last, "assistant")[1:] == [m["content"] for m in messages[3::2]]
