"""A workspace that is /, $HOME or any folder holding $HOME is refused (the tools are off for the
run, one stderr line says how to allow it) unless the user's own config names it: a project's
goshi.yaml, even a trusted one, cannot."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import GOSHI
from tests.test_tools import call, tool_round
from tests.test_trust import user_config
from tests.wire_server import WireServer, openai_stream


def ask(env: dict[str, str], cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GOSHI, "ask", "read my key"],
        env={**env, "OPENAI_BASE_URL": "", "OLLAMA_HOST": "", **extra},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        start_new_session=True,
    )


def test_a_folder_that_holds_home_is_refused_unless_your_own_config_names_it(
    env: dict[str, str], home: Path, server: WireServer
) -> None:
    """The issue's case: goshi started in /home, and `read_file me/.ssh/id_ed25519`."""
    me = home / "me"
    (me / ".ssh").mkdir(parents=True)
    (me / ".ssh" / "id_ed25519").write_text("PRIVATE KEY\n")
    plain = user_config(home, server)
    server.openai.push(
        tool_round(call("read_file", path="me/.ssh/id_ed25519")), openai_stream("done")
    )
    r = ask(env, home, HOME=str(me), GOSHI_CONFIG=str(plain))
    assert r.returncode == 0, r.stderr
    assert f"the workspace would be {home}, which holds your home directory" in r.stderr
    assert "tools are off for this run" in r.stderr and "tools.workspace" in r.stderr
    assert "tools" not in server.chat_requests()[-1].body
    assert "PRIVATE KEY" not in str(server.chat_requests()[-1].body)

    # a project file naming it, even trusted, is not the user's own config
    (home / "goshi.yaml").write_text(f"tools: {{workspace: '{home}'}}\n")
    trust = subprocess.run(
        [GOSHI, "config", "trust", "goshi.yaml"],
        env={**env, "HOME": str(me), "GOSHI_CONFIG": str(plain)},
        cwd=home,
        capture_output=True,
        text=True,
        timeout=30,
        start_new_session=True,
    )
    assert trust.returncode == 0, trust.stderr
    r = ask(env, home, HOME=str(me), GOSHI_CONFIG=str(plain))
    assert "which holds your home directory" in r.stderr, r.stderr
    assert "tools" not in server.chat_requests()[-1].body
    (home / "goshi.yaml").unlink()

    named = user_config(home, server, f"tools: {{workspace: '{home}'}}\n")
    r = ask(env, home, HOME=str(me), GOSHI_CONFIG=str(named))
    assert r.returncode == 0 and "holds your home" not in r.stderr, r.stderr
    assert "tools" in server.chat_requests()[-1].body
