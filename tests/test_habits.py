"""The habits people bring from llm, shell-gpt and aider (#23 item 5): `-o KEY VALUE`, `-x/--code`,
aliases in `goshi models` and on Tab, Ctrl-X Ctrl-E for $EDITOR, `/model <Tab>`."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tests.test_chat import chat  # noqa: F401  (the pseudo-terminal chat fixture)
from tests.test_completion import bash_complete
from tests.wire_server import WireServer, ollama_stream, openai_models, openai_stream

ALIASES = "aliases: {fast: gpt-4.1-mini}\n"


def with_aliases(home: Path) -> None:
    fast = home / "fast.yaml"
    fast.write_text(fast.read_text() + ALIASES)


def test_o_sends_each_model_option_to_openai(goshi, server: WireServer) -> None:
    r = goshi(
        "ask",
        *("-o", "temperature", "0.2", "-o", "top_p", "0.9", "-o", "seed", "7"),
        *("-o", "max_tokens", "50", "-o", "reasoning_effort", "low"),
        "hi",
    )
    assert r.code == 0, r.stderr
    body = server.chat_requests()[0].body
    assert (body["temperature"], body["top_p"], body["seed"]) == (0.2, 0.9, 7)
    assert body["reasoning_effort"] == "low"
    assert body.get("max_tokens", body.get("max_completion_tokens")) == 50


def test_o_sends_each_model_option_to_ollama(goshi, server: WireServer) -> None:
    server.ollama.push(ollama_stream("ok"))
    r = goshi(
        "ask",
        "-b",
        "ollama",
        *("-o", "temperature", "0", "-o", "top_p", "0.5", "-o", "seed", "3"),
        *("-o", "max_tokens", "40", "-o", "num_ctx", "4096"),
        "hi",
    )
    assert r.code == 0, r.stderr
    options = server.chat_requests()[0].body["options"]
    assert options == {
        "temperature": 0.0,
        "top_p": 0.5,
        "seed": 3,
        "num_ctx": 4096,
        "num_predict": 40,
    }


def test_a_bad_o_is_a_usage_error_and_nothing_is_sent(goshi, server: WireServer) -> None:
    for args, said in (
        (("temperature", "5"), "temperature: must be at most 2, got 5.0"),
        (("top_p", "much"), "top_p: expected a number, got 'much'"),
        (("seed", "1.5"), "seed: expected an integer, got 1.5"),
        (("reasoning_effort", "extreme"), "reasoning_effort: expected one of"),
        (("colour", "red"), "unknown option 'colour'; one of temperature, top_p"),
    ):
        r = goshi("ask", "-o", *args, "hi")
        assert r.code == 2, (args, r.stderr)
        assert said in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert server.chat_requests() == []


ANSWER = (
    "Run this:\n\n```sh\nls -la\ncd /tmp\n```\n\nThen, in Python:\n\n"
    "~~~python\nprint('``` not a fence')\n~~~\n\nand an indented one:\n\n"
    "  ```\n  echo two spaces\n    echo four\n  ```\nDone."
)


def test_x_prints_only_the_code_of_the_answer_and_stores_it_whole(
    goshi, server: WireServer
) -> None:
    server.openai.push(openai_stream(ANSWER))
    r = goshi("ask", "-x", "how do I list files?")
    assert r.code == 0, r.stderr
    assert r.stdout == "ls -la\ncd /tmp\nprint('``` not a fence')\necho two spaces\n  echo four\n"
    assert goshi("history", "show", "--last").stdout == ANSWER + "\n"


def test_x_with_no_code_prints_nothing_and_says_so(goshi, server: WireServer) -> None:
    server.openai.push(openai_stream("There is no command for that."))
    r = goshi("ask", "--code", "hi")
    assert r.code == 0 and r.stdout == ""
    assert "the answer has no code block" in r.stderr


def test_aliases_are_listed_by_models_and_offered_by_tab(
    goshi, env, server: WireServer, home
) -> None:
    with_aliases(home)
    server.models.push(openai_models(["gpt-4.1-mini"]))
    listed = goshi("models")
    assert "aliases (-m NAME):\n  fast  gpt-4.1-mini\n" in listed.stdout
    assert "fast" in bash_complete(env, "goshi ask -m fa")
    assert "fast" in bash_complete(env, "goshi chat --model f")


def test_model_tab_in_chat_completes_an_alias(chat, server: WireServer, home) -> None:  # noqa: F811
    with_aliases(home)
    t = chat()
    t.send("/model fas")
    t.wait_for(r"fast +alias of gpt-4.1-mini")  # the menu offers the alias with its model
    t.send("\t")
    t.wait_for(r"(?m)^› /model fast$")
    t.send("\r")
    t.wait_for("model: gpt-4.1-mini")
    t.prompt()
    t.say("hi")
    t.wait_for("Hello from the test server.")
    t.prompt()
    assert server.chat_requests()[-1].body["model"] == "gpt-4.1-mini"


def test_ctrl_x_ctrl_e_edits_the_question_in_the_editor(
    chat,  # noqa: F811
    env,
    server: WireServer,
    home: Path,
) -> None:
    editor = home / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "written in the editor\\nsecond line" > "$1"\n')
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    env["VISUAL"] = str(editor)
    env.pop("EDITOR", None)
    assert os.access(editor, os.X_OK)
    t = chat()
    t.send("draft")
    t.send("\x18\x05")  # Ctrl-X Ctrl-E
    t.wait_for("second line")
    t.send("\r")
    t.wait_for("Hello from the test server.")
    t.prompt()
    sent = server.chat_requests()[-1].body["messages"][-1]["content"]
    assert sent == "written in the editor\nsecond line"
