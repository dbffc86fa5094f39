"""The project's own instructions (AGENTS.md): what a real request to the loopback server carries,
from which folders, in which order, and within which bound."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import GOSHI, Result
from tests.responses_server import responses_stream
from tests.test_chat import chat as _pty_chat  # noqa: F401  (registers the `chat` fixture)
from tests.wire_server import WireServer, openai_stream


def ask_in(env: dict[str, str], cwd: Path, *args: str, **extra: str) -> Result:
    """`goshi ask ARGS` started from `cwd`, away from the terminal."""
    proc = subprocess.run(
        [GOSHI, "ask", *args],
        input="",
        capture_output=True,
        text=True,
        env={**env, **extra},
        cwd=cwd,
        timeout=30,
        start_new_session=True,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def system_sent(server: WireServer) -> str:
    """The system message of the one request that asked for an answer ('' when none)."""
    (request,) = server.chat_requests()
    first = request.body["messages"][0]
    return str(first["content"]) if first["role"] == "system" else ""


@pytest.fixture
def repo(home: Path) -> Path:
    """home/work/outer/repo (a git repository) with AGENTS.md at its root and in repo/sub, one
    above the repository (never to be read) and the user's own."""
    repo = home / "work" / "outer" / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "sub").mkdir()
    (home / "work" / "outer" / "AGENTS.md").write_text("ABOVE-THE-REPOSITORY\n")
    (repo / "AGENTS.md").write_text("ROOT-RULES: run make test\n")
    (repo / "sub" / "AGENTS.md").write_text("SUB-RULES: no new dependencies\n")
    (home / "config" / "goshi").mkdir(parents=True, exist_ok=True)
    (home / "config" / "goshi" / "AGENTS.md").write_text("MY-OWN-RULES: be brief\n")
    return repo


def test_an_ask_from_a_subfolder_sends_the_users_then_the_roots_then_the_subfolders(
    env: dict[str, str], server: WireServer, repo: Path
) -> None:
    server.openai.push(openai_stream("ok"))
    r = ask_in(env, repo / "sub", "-s", "MY-SYSTEM-PROMPT", "hi")
    assert r.code == 0, r.stderr
    assert r.stdout == "ok\n" and r.stderr == ""
    sent = system_sent(server)
    order = [sent.find(s) for s in ("MY-SYSTEM-PROMPT", "MY-OWN", "ROOT-RULES", "SUB-RULES")]
    assert -1 not in order and order == sorted(order), sent
    assert "# AGENTS.md\n" in sent and "# sub/AGENTS.md\n" in sent  # each headed by its path
    assert "ABOVE-THE-REPOSITORY" not in sent  # nothing above the repository is read


def test_on_the_responses_api_they_are_the_instructions(
    env: dict[str, str], server: WireServer, repo: Path
) -> None:
    server.responses.push(responses_stream("ok"))
    r = ask_in(env, repo / "sub", "-s", "MY-SYSTEM-PROMPT", "hi", GOSHI_OPENAI_API="responses")
    assert (r.code, r.stdout) == (0, "ok\n"), r.stderr
    (request,) = server.chat_requests()
    said = request.body["instructions"]
    order = [said.find(s) for s in ("MY-SYSTEM-PROMPT", "MY-OWN", "ROOT-RULES", "SUB-RULES")]
    assert -1 not in order and order == sorted(order), said
    assert "RULES" not in json.dumps(request.body["input"])


def test_without_a_repository_only_the_working_folder_is_read(
    env: dict[str, str], server: WireServer, repo: Path
) -> None:
    plain = repo.parent / "plain"
    plain.mkdir()
    (plain / "AGENTS.md").write_text("PLAIN-RULES\n")
    server.openai.push(openai_stream("ok"))
    assert ask_in(env, plain, "hi").code == 0
    sent = system_sent(server)
    assert "PLAIN-RULES" in sent and "MY-OWN-RULES" in sent
    assert "ABOVE-THE-REPOSITORY" not in sent


@pytest.mark.parametrize("how", ["flag", "config"])
def test_the_flag_and_the_setting_leave_them_out(
    env: dict[str, str], server: WireServer, repo: Path, home: Path, how: str
) -> None:
    server.openai.push(openai_stream("ok"))
    extra = {}
    args = ["--no-instructions"] if how == "flag" else []
    if how == "config":
        cfg = home / "off.yaml"
        off = "context: {project_instructions: false}\n"
        cfg.write_text((home / "fast.yaml").read_text() + off)
        extra = {"GOSHI_CONFIG": str(cfg)}
    r = ask_in(env, repo / "sub", *args, "hi", **extra)
    assert r.code == 0, r.stderr
    assert "RULES" not in str(server.chat_requests()[0].body["messages"])


def test_past_the_bound_a_file_is_cut_and_the_rest_left_out_each_said_once(
    env: dict[str, str], server: WireServer, repo: Path, home: Path
) -> None:
    (repo / "AGENTS.md").write_text("ROOT-RULES " + "x" * 3000 + " ROOT-END\n")
    cfg = home / "small.yaml"
    cfg.write_text((home / "fast.yaml").read_text() + "context: {instructions_max_kib: 1}\n")
    server.openai.push(openai_stream("ok"))
    r = ask_in(env, repo / "sub", "hi", GOSHI_CONFIG=str(cfg))
    assert r.code == 0, r.stderr
    sent = system_sent(server)
    assert "MY-OWN-RULES" in sent and "ROOT-RULES" in sent
    assert "ROOT-END" not in sent and "SUB-RULES" not in sent
    assert sent.count("x") < 1024
    lines = r.stderr.splitlines()
    assert lines == [
        "goshi: AGENTS.md cut to 1 KiB (context.instructions_max_kib)",
        "goshi: sub/AGENTS.md left out: context.instructions_max_kib is used up",
    ]


def test_a_link_out_of_the_repository_a_fifo_and_a_binary_file_are_left_out(
    env: dict[str, str], server: WireServer, repo: Path, home: Path
) -> None:
    secret = home / "secret.txt"
    secret.write_text("SECRET-KEY\n")
    (repo / "AGENTS.md").unlink()
    (repo / "AGENTS.md").symlink_to(secret)
    (repo / "sub" / "AGENTS.md").unlink()
    os.mkfifo(repo / "sub" / "AGENTS.md")  # a read would wait for a writer forever
    (repo / "sub" / "deeper").mkdir()
    (repo / "sub" / "deeper" / "AGENTS.md").write_bytes(b"\xff\xfe binary \x00")
    server.openai.push(openai_stream("ok"))
    r = ask_in(env, repo / "sub" / "deeper", "hi")
    assert r.code == 0, r.stderr
    assert "SECRET-KEY" not in system_sent(server)
    assert r.stderr.splitlines() == [
        "goshi: AGENTS.md left out: it links outside the repository",
        "goshi: sub/AGENTS.md left out: it is not a regular file",
        "goshi: sub/deeper/AGENTS.md left out: it is not UTF-8 text",
    ]
    assert "Traceback" not in r.stderr


def test_a_link_inside_the_repository_is_followed(
    env: dict[str, str], server: WireServer, repo: Path
) -> None:
    (repo / "CLAUDE.md").write_text("LINKED-RULES\n")
    (repo / "AGENTS.md").unlink()
    (repo / "AGENTS.md").symlink_to("CLAUDE.md")
    server.openai.push(openai_stream("ok"))
    assert ask_in(env, repo, "hi").code == 0
    assert "LINKED-RULES" in system_sent(server)


def test_chat_context_lists_the_files_sent_with_their_tokens(
    request: pytest.FixtureRequest, server: WireServer, home: Path
) -> None:
    (home / "work" / "AGENTS.md").write_text("WORK-RULES \x1b[31m red\n")
    chat = request.getfixturevalue("_pty_chat")
    server.openai.push(openai_stream("ok"))
    t = chat("--no-tools")
    t.say("hi")
    t.wait_for("ok")
    t.prompt()
    t.say("/context")
    t.wait_for(r"instructions: AGENTS\.md \(~\d+ tokens\)")
    assert "WORK-RULES" in system_sent(server)


def test_they_count_in_the_context_fit(
    env: dict[str, str], server: WireServer, repo: Path, home: Path
) -> None:
    """A 3,000-token window cannot hold 12 KB of instructions: goshi says so before sending
    (exit 7); without them the same question goes."""
    (repo / "AGENTS.md").write_text("ROOT-RULES " + "word " * 2400 + "\n")
    cfg = home / "window.yaml"
    cfg.write_text((home / "fast.yaml").read_text() + "context: {windows: {gpt-4o-mini: 3000}}\n")
    r = ask_in(env, repo, "--no-tools", "hi", GOSHI_CONFIG=str(cfg))
    assert r.code == 7 and "does not fit" in r.stderr and "nothing was sent" in r.stderr
    assert server.chat_requests() == []
    server.openai.push(openai_stream("ok"))
    r = ask_in(env, repo, "--no-tools", "--no-instructions", "hi", GOSHI_CONFIG=str(cfg))
    assert (r.code, r.stdout) == (0, "ok\n"), r.stderr


def test_a_hostile_folder_name_is_shown_not_obeyed(
    env: dict[str, str], server: WireServer, repo: Path
) -> None:
    evil = repo / "x\x1b[2Jy"
    evil.mkdir()
    os.mkfifo(evil / "AGENTS.md")
    server.openai.push(openai_stream("ok"))
    r = ask_in(env, evil, "hi")
    assert r.code == 0, r.stderr
    assert r.stderr == "goshi: x^[[2Jy/AGENTS.md left out: it is not a regular file\n"


def test_a_home_that_is_a_repository_is_not_the_jail_for_a_projects_link(
    env: dict[str, str], server: WireServer, home: Path
) -> None:
    """Dotfiles kept with `git init` in $HOME make every folder under it part of one repository:
    an unpacked project's AGENTS.md linking to ~/.ssh/id_ed25519 was "inside the repository" and
    the key went to the server. A repository root that is $HOME (or holds it) is no root: the
    working folder alone is."""
    me = home / "me"
    (me / ".git").mkdir(parents=True)
    (me / ".ssh").mkdir()
    (me / ".ssh" / "id_ed25519").write_text("PRIVATE-KEY\n")
    project = me / "Downloads" / "project"
    project.mkdir(parents=True)
    (project / "AGENTS.md").symlink_to("../../.ssh/id_ed25519")
    server.openai.push(openai_stream("ok"))
    r = ask_in(env, project, "hi", HOME=str(me))
    assert r.code == 0, r.stderr
    assert "PRIVATE-KEY" not in json.dumps(server.chat_requests()[0].body)
    assert r.stderr.splitlines() == ["goshi: AGENTS.md left out: it links outside the repository"]
