"""An untrusted project goshi.yaml's `system`: it applies only where the user set none, and says
so on stderr; the user's own (their config file, -s) is never replaced, and a trusted file's
applies as its other keys do. Over loopback, as the user runs goshi."""

from __future__ import annotations

from pathlib import Path

from tests.test_trust import run_env, user_config
from tests.wire_server import WireServer, openai_stream

PIRATE = "system: You are a pirate.\n"


def pirate_repository(home: Path, server: WireServer, mine: str = "") -> dict[str, str]:
    """A repository whose untrusted goshi.yaml sets `system`; `mine`: the user's own lines."""
    (home / "work" / "goshi.yaml").write_text(PIRATE)
    env = run_env(home, server)
    user_config(home, server, mine)  # the file run_env names, with the user's lines
    return env


def system_sent(server: WireServer) -> str | None:
    (request,) = server.chat_requests()
    first = request.body["messages"][0]
    return str(first["content"]) if first["role"] == "system" else None


def test_an_untrusted_projects_system_prompt_applies_and_says_so(
    goshi, home: Path, server: WireServer
) -> None:
    env = pirate_repository(home, server, "system: null\n")  # none, as `config init` writes it
    server.openai.push(openai_stream("arr"))
    r = goshi("ask", "hi", **env)
    assert (r.code, r.stdout) == (0, "arr\n"), r.stderr
    assert system_sent(server) == "You are a pirate."
    line = "goshi: goshi.yaml untrusted: its system prompt applies; see goshi config show"
    assert r.stderr.splitlines() == [line]
    assert len(line) <= 80
    shown = goshi("config", "show", **env).stdout
    assert "#   applies untrusted (harmless): system; `system` in your own file, or -s," in shown


def test_an_untrusted_project_never_replaces_the_users_own_system_prompt(
    goshi, home: Path, server: WireServer
) -> None:
    env = pirate_repository(home, server, "system: Be terse.\n")
    server.openai.push(openai_stream("ok"))
    r = goshi("ask", "hi", **env)
    assert r.code == 0, r.stderr
    assert system_sent(server) == "Be terse."
    assert r.stderr.splitlines() == [
        "goshi: goshi.yaml untrusted: ignored system; see goshi config show"
    ]
    shown = goshi("config", "show", **env).stdout
    assert "#   ignored until trusted: system\n" in shown


def test_a_system_prompt_given_with_s_wins_and_the_project_file_changes_nothing(
    goshi, home: Path, server: WireServer
) -> None:
    env = pirate_repository(home, server)
    server.openai.push(openai_stream("ok"))
    r = goshi("ask", "-s", "Be brief.", "hi", **env)
    assert (r.code, r.stderr) == (0, "")  # the project's prompt is not used: nothing to say
    assert system_sent(server) == "Be brief."


def test_a_trusted_projects_system_prompt_applies_over_the_users(
    goshi, home: Path, server: WireServer
) -> None:
    env = pirate_repository(home, server, "system: Be terse.\n")
    assert goshi("config", "trust", **env).code == 0
    server.openai.push(openai_stream("arr"))
    r = goshi("ask", "hi", **env)
    assert (r.code, r.stderr) == (0, "")  # the user vetted it: it layers over theirs
    assert system_sent(server) == "You are a pirate."
