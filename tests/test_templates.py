"""Prompt templates: `goshi templates`, `goshi ask -t NAME`, and what reaches the server."""

from __future__ import annotations

from pathlib import Path

from tests.wire_server import WireServer, openai_stream

DIFF = "diff --git a/x.py b/x.py\n+def f():\n+    return {'a': 1}\n"


def prompts(home: Path) -> Path:
    folder = home / "config" / "goshi" / "prompts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sent(server: WireServer) -> dict:  # type: ignore[type-arg]
    return server.chat_requests()[-1].body


def test_init_copies_two_examples_and_templates_lists_them(goshi, home) -> None:
    empty = goshi("templates")
    assert empty.code == 0 and "goshi templates init" in empty.stdout
    assert goshi("templates", "init").code == 0
    assert sorted(p.name for p in prompts(home).iterdir()) == ["commit.md", "review.md"]
    (prompts(home) / "commit.md").write_text("mine\n")
    again = goshi("templates", "init")
    assert "kept" in again.stdout and (prompts(home) / "commit.md").read_text() == "mine\n"
    listing = goshi("templates").stdout
    assert "review  review a diff" in listing and "commit" in listing


def test_the_commit_example_writes_a_commit_message_from_the_staged_diff(
    goshi, server, home
) -> None:
    goshi("templates", "init")
    server.openai.push(openai_stream("Return a dict so callers can merge it"))
    r = goshi("ask", "-t", "commit", stdin=DIFF)
    assert r.code == 0, r.stderr
    assert r.stdout == "Return a dict so callers can merge it\n"
    body = sent(server)
    system, user = body["messages"][0], body["messages"][-1]
    assert system["role"] == "system" and "commit messages" in system["content"]
    assert user["content"].startswith("Write a commit message for this diff.")
    assert user["content"].endswith(DIFF.rstrip("\n"))
    assert "tools" not in body  # the front matter says tools: false


def test_input_is_stdin_and_words_args_is_the_words_and_other_braces_stay(
    goshi, server, home
) -> None:
    (prompts(home) / "t.md").write_text(
        "Focus: {args}\nCode: {'k': {v}} {unknown} {0}\n---\n{input}\n"
    )
    assert goshi("ask", "-t", "t", "the", "errors", stdin="piped text\n").code == 0
    assert sent(server)["messages"][-1]["content"] == (
        "Focus: the errors\nCode: {'k': {v}} {unknown} {0}\n---\npiped text\n\nthe errors"
    )


def test_placeholders_in_the_input_are_the_users_text_not_the_templates(
    goshi, server, home
) -> None:
    (prompts(home) / "t.md").write_text("Focus: {args}\n{input}\n")
    stdin = "keep {args} and {input} as written\n"
    assert goshi("ask", "-t", "t", "words", stdin=stdin).code == 0
    assert sent(server)["messages"][-1]["content"] == (
        "Focus: words\nkeep {args} and {input} as written\n\nwords"
    )


def test_a_template_without_placeholders_gets_the_input_after_it(goshi, server, home) -> None:
    (prompts(home) / "plain.md").write_text("Explain like I am five.\n")
    assert goshi("ask", "-t", "plain", "monads").code == 0
    assert sent(server)["messages"][-1]["content"] == "Explain like I am five.\n\nmonads"
    assert goshi("ask", "-t", "plain").code == 0
    assert sent(server)["messages"][-1]["content"] == "Explain like I am five."


def test_front_matter_sets_model_and_system_and_flags_win(goshi, server, home) -> None:
    (prompts(home) / "terse.md").write_text(
        "---\nmodel: gpt-4.1\nsystem: Answer in one line.\ndescription: short\n---\n{input}\n"
    )
    assert goshi("ask", "-t", "terse", "why?").code == 0
    body = sent(server)
    assert body["model"] == "gpt-4.1"
    assert body["messages"][0] == {"role": "system", "content": "Answer in one line."}
    assert "tools" in body  # the template says nothing about tools: the default stands
    assert goshi("ask", "-t", "terse", "-m", "gpt-4o-mini", "-s", "Be kind.", "why?").code == 0
    body = sent(server)
    assert body["model"] == "gpt-4o-mini"
    assert body["messages"][0]["content"] == "Be kind."


def test_front_matter_backend_sends_the_template_to_ollama(goshi, server, home) -> None:
    (prompts(home) / "local.md").write_text("---\nbackend: ollama\nmodel: qwen2.5\n---\n{input}")
    r = goshi("ask", "-t", "local", "hi")
    assert r.code == 0, r.stderr
    request = server.chat_requests()[-1]
    assert request.path == "/api/chat" and request.body["model"] == "qwen2.5"


def test_front_matter_api_sends_the_template_to_the_responses_api(goshi, server, home) -> None:
    (prompts(home) / "codex.md").write_text(
        "---\nmodel: gpt-5.3-codex\napi: responses\n---\n{input}"
    )
    r = goshi("ask", "-t", "codex", "fix it")
    assert (r.code, r.stdout) == (0, "Hello from the test server.\n"), r.stderr
    request = server.chat_requests()[-1]
    assert request.path == "/v1/responses" and request.body["model"] == "gpt-5.3-codex"
    assert goshi("ask", "plain").code == 0  # only the template's turn goes there
    assert server.chat_requests()[-1].path == "/v1/chat/completions"
    (prompts(home) / "codex.md").write_text("---\napi: completions\n---\n{input}")
    r = goshi("ask", "-t", "codex", "fix it")
    assert r.code == 3 and "api: expected one of auto, chat, responses" in r.stderr


def test_an_unknown_template_exits_2_and_lists_the_ones_there_are(goshi, server, home) -> None:
    r = goshi("ask", "-t", "nope", "x")
    assert r.code == 2
    assert "no template 'nope'" in r.stderr and "goshi templates init" in r.stderr
    goshi("templates", "init")
    r = goshi("ask", "-t", "../goshi", "x")
    assert r.code == 2 and "templates: commit, review" in r.stderr
    assert server.chat_requests() == []


def test_a_template_that_needs_input_and_gets_none_says_so(goshi, server) -> None:
    goshi("templates", "init")
    r = goshi("ask", "-t", "review")
    assert r.code == 2 and "needs input" in r.stderr
    assert server.chat_requests() == []


def test_broken_front_matter_names_the_file_and_exits_3(goshi, home) -> None:
    (prompts(home) / "bad.md").write_text("---\nmodle: x\n---\nhi\n")
    r = goshi("ask", "-t", "bad")
    assert r.code == 3 and "bad.md: unknown front matter key 'modle'" in r.stderr
    (prompts(home) / "bad.md").write_text("---\ntools: maybe\n---\nhi\n")
    assert "tools: expected true or false" in goshi("ask", "-t", "bad").stderr
    (prompts(home) / "bad.md").write_text("---\n: [\n---\nhi\n")
    assert goshi("ask", "-t", "bad").code == 3
