"""A conversation taken up again goes on as it was left (#23 item 4): `-c`, `--cid` and chat's
`/resume ID` keep its last model and backend unless `-m` / `-b` say otherwise; chat shows the last
exchange; `history show` without an id is the latest, `--last` only its last answer."""

from __future__ import annotations

from pathlib import Path

from tests.test_chat import chat  # noqa: F401  (the pseudo-terminal chat fixture)
from tests.wire_server import WireServer, ollama_stream, openai_stream


def models_asked(server: WireServer) -> list[tuple[str, str]]:
    return [(r.path, r.body["model"]) for r in server.chat_requests()]


def test_c_and_cid_go_on_with_the_conversations_model_unless_m_says_otherwise(
    goshi, server: WireServer
) -> None:
    assert goshi("ask", "-m", "gpt-4.1", "first").code == 0
    assert goshi("ask", "-c", "second").code == 0
    assert goshi("ask", "--cid", "1", "third").code == 0
    assert goshi("ask", "-c", "-m", "gpt-4.1-mini", "fourth").code == 0
    assert goshi("ask", "-c", "fifth").code == 0
    assert [m for _, m in models_asked(server)] == [
        "gpt-4.1",
        "gpt-4.1",
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4.1-mini",
    ]
    assert server.chat_requests()[-1].body["messages"][-1]["content"] == "fifth"
    assert len(server.chat_requests()[-1].body["messages"]) >= 9  # the history went along


def test_c_goes_on_with_the_conversations_backend_unless_b_says_otherwise(
    goshi, server: WireServer
) -> None:
    server.ollama.push(ollama_stream("local one"), ollama_stream("local two"))
    assert goshi("ask", "-b", "ollama", "first").code == 0
    r = goshi("ask", "-c", "second")
    assert r.code == 0 and r.stdout == "local two\n", r.stderr
    assert goshi("ask", "-c", "-b", "openai", "third").code == 0
    assert models_asked(server) == [
        ("/api/chat", "llama3.2"),
        ("/api/chat", "llama3.2"),
        ("/v1/chat/completions", "gpt-4o-mini"),
    ]


def test_chat_cid_shows_the_last_exchange_and_keeps_the_model(
    chat,  # noqa: F811
    server: WireServer,
) -> None:
    server.openai.push(openai_stream("Paris, on the Seine."))
    t = chat()
    t.say("/model gpt-4.1")
    t.wait_for("model: gpt-4.1")
    t.prompt()
    t.say("capital of France?")
    t.wait_for("on the Seine")
    t.prompt()
    t.send("\x04")
    assert t.wait_exit() == 0
    again = chat("--cid", "1")
    again.wait_for("› capital of France\\?")
    again.wait_for("Paris, on the Seine.")
    again.say("and of Italy?")
    again.wait_for("Hello from the test server.")
    again.prompt()
    assert models_asked(server)[-1] == ("/v1/chat/completions", "gpt-4.1")


def test_resume_in_chat_goes_on_with_that_conversation_and_its_model(
    chat,  # noqa: F811
    goshi,
    server: WireServer,
) -> None:
    server.openai.push(openai_stream("Blue, mostly."))
    assert goshi("ask", "-m", "gpt-4.1", "colour of the sea?").code == 0
    t = chat()
    t.say("/resume 99")
    t.wait_for("no conversation 99")
    t.prompt()
    t.say("/resume 1")
    t.wait_for("conversation 1 · openai gpt-4.1")
    t.wait_for("Blue, mostly.")
    t.prompt()
    t.say("and the sky?")
    t.wait_for("Hello from the test server.")
    t.prompt()
    last = server.chat_requests()[-1].body
    assert last["model"] == "gpt-4.1"
    assert [m["content"] for m in last["messages"] if m["role"] != "system"] == [
        "colour of the sea?",
        "Blue, mostly.",
        "and the sky?",
    ]
    assert "Traceback" not in t.text()


def test_history_show_without_an_id_is_the_latest_and_last_is_only_its_answer(
    goshi, server: WireServer
) -> None:
    r = goshi("history", "show")
    assert r.code == 2 and "no conversations yet" in r.stderr
    server.openai.push(openai_stream("one"), openai_stream("two\n\n```sh\nls\n```"))
    assert goshi("ask", "first question").code == 0
    assert goshi("ask", "second question").code == 0
    shown = goshi("history", "show")
    assert shown.code == 0
    assert "conversation 2" in shown.stdout and "second question" in shown.stdout
    assert "first question" not in shown.stdout
    last = goshi("history", "show", "--last")
    assert last.code == 0 and last.stdout == "two\n\n```sh\nls\n```\n"
    assert goshi("history", "show", "1", "--last").stdout == "one\n"


AUTO_CONFIG = "backend: auto\nretry: {attempts: 1, base_delay_s: 0.01, max_delay_s: 1}\n"


def test_auto_without_a_key_goes_on_with_the_ollama_model_it_asked(
    goshi, home: Path, server: WireServer
) -> None:
    """`backend: auto` and no OpenAI key: Ollama answers, and `-c` / `--cid` ask Ollama again
    with the model the conversation used, not OpenAI's section of the config."""
    (home / "auto.yaml").write_text(AUTO_CONFIG)
    no_key = {"GOSHI_CONFIG": str(home / "auto.yaml"), "OPENAI_API_KEY": "", "OPENAI_BASE_URL": ""}
    assert goshi("ask", "-m", "qwen3:4b", "first", **no_key).code == 0
    r = goshi("ask", "-c", "second", **no_key)
    assert r.code == 0, r.stderr
    assert goshi("ask", "--cid", "1", "third", **no_key).code == 0
    assert goshi("ask", "-c", "-m", "gemma3", "fourth", **no_key).code == 0
    assert goshi("ask", "-c", "fifth", **no_key).code == 0
    assert models_asked(server) == [
        ("/api/chat", "qwen3:4b"),
        ("/api/chat", "qwen3:4b"),
        ("/api/chat", "qwen3:4b"),
        ("/api/chat", "gemma3"),
        ("/api/chat", "gemma3"),
    ]
    assert [m["content"] for m in server.chat_requests()[-1].body["messages"]][-1] == "fifth"


def test_auto_with_a_key_goes_on_with_the_openai_model_it_asked(
    goshi, home: Path, server: WireServer
) -> None:
    (home / "auto.yaml").write_text(AUTO_CONFIG)
    auto = {"GOSHI_CONFIG": str(home / "auto.yaml")}
    assert goshi("ask", "-m", "gpt-4.1", "first", **auto).code == 0
    assert goshi("ask", "-c", "second", **auto).code == 0
    assert goshi("ask", "--cid", "1", "third", **auto).code == 0
    assert models_asked(server) == [("/v1/chat/completions", "gpt-4.1")] * 3


def test_chat_resume_under_auto_without_a_key_says_and_asks_the_ollama_model(
    chat,  # noqa: F811
    goshi,
    env: dict[str, str],
    home: Path,
    server: WireServer,
) -> None:
    (home / "auto.yaml").write_text(AUTO_CONFIG)
    env.update(GOSHI_CONFIG=str(home / "auto.yaml"), OPENAI_API_KEY="", OPENAI_BASE_URL="")
    server.ollama.push(ollama_stream("Tea, mostly."))
    assert goshi("ask", "-m", "qwen3:4b", "what do the English drink?").code == 0
    t = chat()
    t.say("/resume 1")
    t.wait_for("conversation 1 · ollama qwen3:4b")
    t.wait_for("Tea, mostly.")
    t.prompt()
    t.say("and the Scots?")
    t.wait_for("Hello from Ollama.")
    t.prompt()
    assert models_asked(server) == [("/api/chat", "qwen3:4b")] * 2


def test_auto_resumes_an_ollama_conversation_with_ollama_after_a_key_is_set(
    goshi, home: Path, server: WireServer
) -> None:
    """Started with no key (Ollama answered), resumed once a key is set: the conversation stays
    with Ollama and its model; its Ollama model name is never sent to OpenAI."""
    (home / "auto.yaml").write_text(AUTO_CONFIG)
    config = {"GOSHI_CONFIG": str(home / "auto.yaml")}
    assert (
        goshi(
            "ask", "-m", "qwen3:4b", "first", **config, OPENAI_API_KEY="", OPENAI_BASE_URL=""
        ).code
        == 0
    )
    r = goshi("ask", "-c", "second", **config)  # the key is set now
    assert (r.code, r.stdout) == (0, "Hello from Ollama.\n"), r.stderr
    assert goshi("ask", "-c", "third", **config).code == 0
    assert models_asked(server) == [("/api/chat", "qwen3:4b")] * 3
    # a -m is the model it goes on with; -b moves it
    assert goshi("ask", "-c", "-m", "gemma3", "fourth", **config).code == 0
    assert goshi("ask", "-c", "-b", "openai", "-m", "gpt-4.1", "fifth", **config).code == 0
    assert models_asked(server)[-2:] == [
        ("/api/chat", "gemma3"),
        ("/v1/chat/completions", "gpt-4.1"),
    ]


def test_auto_resumes_an_openai_conversation_with_ollamas_own_model_once_the_key_is_gone(
    goshi, home: Path, server: WireServer
) -> None:
    (home / "auto.yaml").write_text(AUTO_CONFIG + "ollama: {model: gemma3}\n")
    config = {"GOSHI_CONFIG": str(home / "auto.yaml")}
    assert goshi("ask", "-m", "gpt-4.1", "first", **config).code == 0
    r = goshi("ask", "-c", "second", **config, OPENAI_API_KEY="", OPENAI_BASE_URL="")
    assert r.code == 0, r.stderr
    assert models_asked(server) == [("/v1/chat/completions", "gpt-4.1"), ("/api/chat", "gemma3")]


def test_auto_resumes_an_ollama_conversation_with_ollama_and_the_m_model_after_a_key_is_set(
    goshi, home: Path, server: WireServer
) -> None:
    """`-c -m MODEL` the first time after a key is set: MODEL is the model of the backend the
    conversation goes on with, Ollama, and is never sent to OpenAI."""
    (home / "auto.yaml").write_text(AUTO_CONFIG)
    config = {"GOSHI_CONFIG": str(home / "auto.yaml")}
    no_key = {"OPENAI_API_KEY": "", "OPENAI_BASE_URL": ""}
    assert goshi("ask", "-m", "qwen3:4b", "first", **config, **no_key).code == 0
    r = goshi("ask", "-c", "-m", "gemma3", "second", **config)  # the key is set now
    assert (r.code, r.stdout) == (0, "Hello from Ollama.\n"), r.stderr
    assert models_asked(server) == [("/api/chat", "qwen3:4b"), ("/api/chat", "gemma3")]
