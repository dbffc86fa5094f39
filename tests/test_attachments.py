"""Files attached to a question (#23 item 3): `-f PATH` on ask and chat, `/add PATH` in chat.
What the server received, what the user sees, and what `goshi history show` says was attached."""

from __future__ import annotations

import base64
from pathlib import Path

import pexpect

from tests.conftest import GOSHI
from tests.test_chat import chat  # noqa: F401  (the pseudo-terminal chat fixture)
from tests.wire_server import WireServer, ollama_stream, openai_stream

# the smallest real PNG: a 1x1 transparent pixel
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"


def no_traceback(text: str) -> None:
    assert "Traceback" not in text and 'File "' not in text, text


def test_a_text_file_goes_as_a_fenced_block_headed_by_its_path(goshi, server, home) -> None:
    work = home / "work"
    (work / "app.py").write_text("print('```')\nx = 1\n")
    server.openai.push(openai_stream("It prints."))
    r = goshi("ask", "-f", "app.py", "what does it do?")
    assert r.code == 0, r.stderr
    assert r.stdout == "It prints.\n"
    sent = server.chat_requests()[0].body["messages"][-1]["content"]
    assert sent == "app.py\n````py\nprint('```')\nx = 1\n````\n\nwhat does it do?"
    shown = goshi("history", "show", "1").stdout
    assert "attached: app.py" in shown


def test_a_quoted_glob_is_expanded_by_goshi_in_order(goshi, server, home) -> None:
    src = home / "work" / "src"
    src.mkdir()
    (src / "b.py").write_text("b = 2\n")
    (src / "a.py").write_text("a = 1\n")
    (src / "notes.txt").write_text("not this\n")
    r = goshi("ask", "-f", "src/*.py", "-f", "src/notes.txt", "review")
    assert r.code == 0, r.stderr
    sent = server.chat_requests()[0].body["messages"][-1]["content"]
    assert sent.index("src/a.py\n```py\na = 1") < sent.index("src/b.py\n```py\nb = 2")
    assert sent.index("src/b.py") < sent.index("src/notes.txt\n```txt\nnot this")
    assert sent.endswith("```\n\nreview")


def test_an_image_is_an_image_part_by_content_not_name(goshi, server, home) -> None:
    (home / "work" / "shot.txt").write_bytes(PNG)  # a PNG whatever its name says
    r = goshi("ask", "-f", "shot.txt", "what is this?")
    assert r.code == 0, r.stderr
    content = server.chat_requests()[0].body["messages"][-1]["content"]
    assert content == [
        {"type": "text", "text": "what is this?"},
        {
            "type": "image_url",
            "image_url": {"url": "data:image/png;base64," + base64.b64encode(PNG).decode()},
        },
    ]
    assert "attached: shot.txt" in goshi("history", "show", "1").stdout


def test_an_image_goes_in_ollamas_images(goshi, server, home) -> None:
    (home / "work" / "cat.gif").write_bytes(GIF)
    server.ollama.push(ollama_stream("A cat."))
    r = goshi("ask", "-b", "ollama", "-f", "cat.gif", "what is this?")
    assert r.code == 0, r.stderr
    message = server.chat_requests()[0].body["messages"][-1]
    assert message["content"] == "what is this?"
    assert message["images"] == [base64.b64encode(GIF).decode()]


def test_the_image_is_sent_again_when_the_conversation_goes_on(goshi, server, home) -> None:
    (home / "work" / "p.png").write_bytes(PNG)
    assert goshi("ask", "-f", "p.png", "what is this?").code == 0
    assert goshi("ask", "-c", "and its colour?").code == 0
    first, _, second = server.chat_requests()[1].body["messages"][-3:]
    assert first["content"][1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert second["content"] == "and its colour?"


def test_a_missing_or_binary_file_is_exit_2_naming_it_and_nothing_is_sent(
    goshi, server, home
) -> None:
    r = goshi("ask", "-f", "nope.py", "hi")
    no_traceback(r.stderr)
    assert r.code == 2 and "no such file: nope.py" in r.stderr
    r = goshi("ask", "-f", "src/*.rs", "hi")
    assert r.code == 2 and "no file matches src/*.rs" in r.stderr
    (home / "work" / "blob.bin").write_bytes(b"\x7fELF\x00\x01")
    r = goshi("ask", "-f", "blob.bin", "hi")
    no_traceback(r.stderr)
    assert r.code == 2 and "blob.bin is a binary file" in r.stderr
    r = goshi("ask", "-f", "x" * 5000, "hi")  # a name longer than the system takes
    no_traceback(r.stderr)
    assert r.code == 2 and "cannot read" in r.stderr
    assert server.chat_requests() == []
    assert goshi("history").stdout.startswith("no conversations")


def test_an_image_counts_in_the_context_fit_before_sending(goshi, server, home) -> None:
    """A window of 1,500 tokens holds the question's text, not an image: exit 7, nothing sent."""
    (home / "fast.yaml").write_text(
        (home / "fast.yaml").read_text()
        + "context: {windows: {gpt-4o-mini: 1500}, reserve_tokens: 200}\n"
    )
    (home / "work" / "p.png").write_bytes(PNG)
    assert goshi("ask", "--no-tools", "short question").code == 0
    r = goshi("ask", "--no-tools", "-f", "p.png", "short question")
    no_traceback(r.stderr)
    assert r.code == 7, r.stderr
    assert len(server.chat_requests()) == 1


def test_add_in_chat_attaches_to_the_next_question_only(
    chat,  # noqa: F811
    server: WireServer,
    home: Path,
) -> None:
    (home / "work" / "notes.md").write_text("# plan\nship it\n")
    server.openai.push(openai_stream("Read it."), openai_stream("Fine."))
    t = chat()
    t.say("/add nope.md")
    t.wait_for("no such file: nope.md")
    t.prompt()
    t.say("/add notes.md")
    t.wait_for("attached notes.md")
    t.prompt()
    t.say("summarize")
    t.wait_for("Read it.")
    t.prompt()
    t.say("thanks")
    t.wait_for("Fine.")
    t.prompt()
    first, second = (r.body["messages"][-1]["content"] for r in server.chat_requests())
    assert first == "notes.md\n```md\n# plan\nship it\n```\n\nsummarize"
    assert second == "thanks"
    no_traceback(t.text())


def test_chat_f_attaches_to_the_first_question_and_a_missing_file_is_exit_2(
    chat,  # noqa: F811
    env: dict[str, str],
    server: WireServer,
    home: Path,
) -> None:
    gone = pexpect.spawn(
        GOSHI, ["chat", "-f", "gone.txt"], cwd=str(home / "work"), env=env, encoding="utf-8"
    )
    gone.expect(pexpect.EOF, timeout=15)
    gone.close()
    assert gone.exitstatus == 2 and "no such file: gone.txt" in gone.before
    no_traceback(gone.before)
    (home / "work" / "a.txt").write_text("alpha\n")
    t = chat("-f", "a.txt")
    t.say("what is in it?")
    t.wait_for("Hello from the test server.")
    t.prompt()
    sent = server.chat_requests()[0].body["messages"][-1]["content"]
    assert sent == "a.txt\n```txt\nalpha\n```\n\nwhat is in it?"


def test_an_image_counts_in_the_cost_estimate_before_sending(goshi, server, home) -> None:
    """--max-cost 0.0008 takes a short question with gpt-4o-mini's smallest output cap, and
    not an image's tokens more: exit 6, nothing sent."""
    (home / "work" / "p.png").write_bytes(PNG)
    assert goshi("ask", "--no-tools", "--max-cost", "0.0008", "short question").code == 0
    r = goshi("ask", "--no-tools", "--max-cost", "0.0008", "-f", "p.png", "short question")
    no_traceback(r.stderr)
    assert r.code == 6, r.stderr
    assert len(server.chat_requests()) == 1


def test_on_the_responses_api_an_image_is_an_input_image_and_top_p_goes_along(
    goshi, server, home
) -> None:
    (home / "work" / "shot.png").write_bytes(PNG)
    r = goshi(
        "ask", "-f", "shot.png", "-o", "top_p", "0.5", "what is this?", GOSHI_OPENAI_API="responses"
    )
    assert r.code == 0, r.stderr
    (request,) = server.chat_requests()
    assert request.path == "/v1/responses"
    assert request.body["input"][-1] == {
        "role": "user",
        "content": [
            {"type": "input_text", "text": "what is this?"},
            {
                "type": "input_image",
                "image_url": "data:image/png;base64," + base64.b64encode(PNG).decode(),
                "detail": "auto",  # vLLM refuses an input_image without it
            },
        ],
    }
    assert request.body["top_p"] == 0.5 and "seed" not in request.body
