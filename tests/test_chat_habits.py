"""Templates and search inside `goshi chat`, in a real pseudo-terminal."""

from __future__ import annotations

from pathlib import Path

from tests.test_chat import chat  # noqa: F401  (the pty fixture)
from tests.wire_server import openai_stream

TAB = "\t"


def test_a_template_runs_as_a_slash_command_for_one_turn(chat, goshi, server, home: Path) -> None:  # noqa: F811
    assert goshi("templates", "init").code == 0
    (home / "config" / "goshi" / "prompts" / "short.md").write_text(
        "---\nmodel: gpt-4.1\nsystem: One line only.\ndescription: answer briefly\n"
        "api: responses\n---\n"
        "Briefly: {input}\n"
    )
    t = chat()
    t.say("/help")
    t.wait_for(r"/review +review a diff")
    t.wait_for(r"/short +answer briefly")
    t.prompt()
    t.send("/sho")
    t.wait_for(r"/short +answer briefly")  # the menu offers the template like a command
    t.send(TAB)
    t.wait_for(r"(?m)^› /short$")
    t.say(" what is HEAD?")
    t.wait_for("Hello from the test server.")
    t.prompt()
    t.say("and after it?")
    t.wait_for("Hello from the test server.")
    t.prompt()
    t.say("/nosuch x")
    t.wait_for("unknown command /nosuch")
    t.prompt()
    asked = server.chat_requests()
    first, second = (r.body for r in asked)
    assert asked[0].path == "/v1/responses" and first["model"] == "gpt-4.1"
    assert first["instructions"] == "One line only."
    assert first["input"][-1] == {"role": "user", "content": "Briefly: what is HEAD?"}
    # the front matter was for that one turn: the chat goes on as it was
    assert asked[1].path == "/v1/chat/completions"
    assert second["model"] == "gpt-4o-mini" and second["messages"][0]["role"] == "user"


def test_search_in_chat_finds_another_conversation(chat, goshi, server) -> None:  # noqa: F811
    server.openai.push(openai_stream("Use git rebase --onto."))
    assert goshi("ask", "how do I move a branch?").code == 0
    t = chat()
    t.say("/search rebase")
    t.wait_for(r"1  \d{4}-\d\d-\d\d \d\d:\d\d  how do I move a branch\?")
    t.wait_for(r"goshi: Use git rebase --onto\.")  # the match in bold
    t.wait_for("goshi chat --cid ID")
    t.prompt()
    t.say("/search nothing-like-it")
    t.wait_for("no conversation mentions 'nothing-like-it'")
