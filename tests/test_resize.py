"""A terminal resize while an answer streams leaves no garbage (tmux reflows, as terminals do)."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import GOSHI
from tests.wire_server import WireServer, openai_stream

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")

WORDS = [f"word{i:03d} " for i in range(240)]


def tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", *args], capture_output=True, text=True, check=True, start_new_session=True
    ).stdout


@pytest.mark.parametrize("first_token_after_s", [0.0, 1.8], ids=["mid-stream", "before-a-token"])
def test_resizing_mid_stream_leaves_a_clean_screen(
    env, home: Path, server: WireServer, first_token_after_s: float
) -> None:
    """Resized while the words stream, or while only the footer's estimate is drawn (a slow
    server's first token, or a loaded machine): one footer, the final one."""
    answer = ["Intro paragraph.\n\n", *WORDS[:120], "\n\n", *WORDS[120:], "\n\nThe end."]
    server.openai.push(
        openai_stream(answer, delay_s=0.01, pause_after=0, pause_s=first_token_after_s)
    )
    name = f"goshi-{uuid.uuid4().hex[:8]}"
    exports = [f"-e{key}={value}" for key, value in {**env, "TERM": "xterm-256color"}.items()]
    done = home / "done"
    tmux(
        "new-session",
        "-d",
        "-s",
        name,
        "-x",
        "100",
        "-y",
        "40",
        *exports,
        "-c",
        str(home / "work"),
        f"{GOSHI} ask hi; touch {done}; sleep 30",
    )
    try:
        time.sleep(1.0)
        tmux("resize-window", "-t", name, "-x", "61")
        time.sleep(0.5)
        tmux("resize-window", "-t", name, "-x", "83")
        deadline = time.monotonic() + 20
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        visible = tmux("capture-pane", "-p", "-J", "-t", name)
        everything = tmux("capture-pane", "-p", "-J", "-S", "-", "-t", name)
    finally:
        subprocess.run(
            ["tmux", "kill-session", "-t", name], capture_output=True, start_new_session=True
        )
    screen = " ".join(visible.split())
    # the screen shows one footer, the final one, under the end of a complete answer
    assert screen.count("· session $") == 1 and "~" not in screen, visible
    tail_words = [w.strip() for w in WORDS[150:]]
    for word in (*tail_words, "The end."):
        assert screen.count(word) == 1, (word, visible)
    # and the answer, as committed, is whole and in order
    text = " ".join(everything.split())
    last = text.rindex("Intro paragraph.")
    positions = [text.index(w.strip(), last) for w in WORDS]
    assert positions == sorted(positions) and text.index("The end.", last) > positions[-1]
