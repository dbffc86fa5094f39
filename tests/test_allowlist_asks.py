"""When an allow-listed command asks after all, in a real pseudo-terminal: a change written unseen
earlier in the chat (not only in this turn), and a repository whose git config names something
git would run (goshi/agent/gitconfig.py)."""

from __future__ import annotations

from pathlib import Path

from tests.test_approve_screen import on_screen
from tests.test_approve_tty import ASK_CHANGE, ASK_COMMAND
from tests.test_chat import chat  # noqa: F401  (the pseudo-terminal chat fixture)
from tests.test_tools import call, tool_round
from tests.wire_server import WireServer, openai_stream


def allow(home: Path, *commands: str) -> Path:
    cfg = home / "allow.yaml"
    listed = ", ".join(f"'{c}'" for c in commands)
    cfg.write_text((home / "fast.yaml").read_text() + f"tools: {{allow_commands: [{listed}]}}\n")
    return cfg


def test_a_change_written_unseen_in_one_turn_makes_a_later_turns_allowlisted_command_ask(
    chat,  # noqa: F811
    env: dict[str, str],
    server: WireServer,
    home: Path,
) -> None:
    work = home / "work"
    env["GOSHI_CONFIG"] = str(allow(home, "sh test.sh"))
    server.openai.push(
        tool_round(call("write_file", path="a.txt", content="seen\n")),
        tool_round(call("write_file", path="test.sh", content="touch pwned\n")),
        openai_stream("written"),
        tool_round(call("run_command", command="sh test.sh")),
        openai_stream("asked"),
    )
    t = chat()
    t.say("write the test script")
    t.wait_for(ASK_CHANGE)
    t.send("a")  # `a`lways: a.txt was shown, test.sh is written unseen
    t.wait_for("written")
    t.prompt()
    t.say("/clear")  # a new conversation, the same files
    t.prompt()
    t.say("now run the tests")
    t.wait_for(ASK_COMMAND)
    said = "allow-listed, but asked: a file was changed in this session without being shown"
    assert said in on_screen(t), on_screen(t)
    t.send("n")
    t.wait_for("asked")
    assert (work / "test.sh").exists() and not (work / "pwned").exists()
