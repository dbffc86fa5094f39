"""run_command over the real wire, without a terminal: what runs without asking (the user's
allow-list), what is refused, what the child gets (no secrets), and how it ends (exit code,
bounded output, a timeout that takes the whole process group down)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from goshi.store.engine import sqlite3
from tests.conftest import FAST_CONFIG, TEST_KEY
from tests.processes import gone
from tests.test_tools import call, results, tool_round
from tests.wire_server import WireServer, openai_stream


def run(command: str, **more: object) -> tuple[str, str, str]:
    return call("run_command", command=command, **more)


@pytest.fixture
def work(home: Path) -> Path:
    root = home / "work"
    (root / "check.sh").write_text("echo out\necho err >&2\necho out2\nexit 3\n")
    (root / "big.sh").write_text("i=0; while [ $i -lt 50000 ]; do i=$((i+1)); echo line $i; done\n")
    (root / "bg.sh").write_text("sleep 60 &\necho $! > bg.pid\nsleep 60\n")
    return root


@pytest.fixture
def allow(home: Path) -> dict[str, str]:
    """A user config allowing `sh check.sh`, `sh big.sh`, `sh bg.sh` and `env`."""
    cfg = home / "allow.yaml"
    cfg.write_text(
        FAST_CONFIG + "tools: {allow_commands: ['sh check.sh', 'sh big.sh', 'sh bg.sh', env], "
        "command_timeout_s: 30}\n"
    )
    return {"GOSHI_CONFIG": str(cfg)}


def test_an_allowed_command_runs_and_reports_exit_code_and_output(
    goshi, server: WireServer, work, allow
) -> None:
    server.openai.push(tool_round(run("sh check.sh")), openai_stream("it failed"))
    r = goshi("ask", "-v", "run the check", **allow)
    assert (r.code, r.stdout) == (0, "it failed\n")
    (result,) = results(server)
    head, status, rest = result.split("\n", 2)
    assert head == "$ sh check.sh"
    assert status.startswith("exit code 3, ") and status.endswith(" s")
    assert rest == "output (stdout and stderr):\nout\nerr\nout2\n"  # interleaved as written
    assert "-> run_command sh check.sh  exit 3 · 13 B" in r.stderr


def test_without_a_terminal_other_commands_are_refused_even_with_yes(
    goshi, server: WireServer, work, allow
) -> None:
    server.openai.push(
        tool_round(
            run("touch made-by-model"),
            run("sh check.sh; touch pwned"),  # an allowed prefix does not cover a second command
            run("sh check.sh && touch pwned"),
            run("sh check.sh $(touch pwned)"),
        ),
        openai_stream("refused"),
    )
    r = goshi("ask", "-y", "go", **allow)
    assert r.code == 0
    assert results(server) == ["the user did not approve running this command; it was not run"] * 4
    assert not (work / "made-by-model").exists() and not (work / "pwned").exists()


def test_an_allowed_command_covers_whole_words_never_a_longer_name(
    goshi, server: WireServer, work, allow
) -> None:
    """`env` allowed is not `envx`, `sh check.sh` is not `sh check.sh2`, and an entry without
    ` *` approves no more arguments (#22: `git log` is not `git log --output=FILE`)."""
    (work / "check.sh2").write_text("touch ran-check2\n")
    server.openai.push(
        tool_round(run("envx"), run("sh check.sh2"), run("sh check.sh --again"), run("env -0")),
        openai_stream("done"),
    )
    r = goshi("ask", "go", **allow)
    assert r.code == 0
    envx, check2, again, env0 = results(server)
    refused = "the user did not approve running this command; it was not run"
    assert envx == check2 == again == env0 == refused
    assert not (work / "ran-check2").exists()


def test_the_child_gets_only_the_allowed_environment(goshi, server: WireServer, work, home) -> None:
    """An allow-list, not a denylist: secrets under names no list would guess stay home, and
    a URL's credentials are taken out even of a variable the user passes on."""
    cfg = home / "env.yaml"
    cfg.write_text(
        FAST_CONFIG + "openai: {api_key_env: LLM}\n"
        "tools: {allow_commands: [env],"
        " command_env: [PROXY_FOR_TESTS, LLM, PROJECT_MODE, COPY_OF_IT]}\n"
    )
    secrets = {
        "LLM": TEST_KEY,  # the configured key variable, even when the user lists it
        "COPY_OF_IT": f"Bearer {TEST_KEY}",  # its value inside another, even one listed
        "GITHUB_TOKEN": "ghp_x",
        "DATABASE_URL": "postgres://app:hunter2@db/app",
        "MYSQL_PWD": "mysql-secret",
        "BW_SESSION": "bitwarden-session",
        "HTTPS_PROXY": "http://me:proxy-pass@proxy:3128",
        "HARMLESS_SETTING": "not listed either",
        "LC_GIT_TOKEN": "ghp_over_ssh",  # `SendEnv LC_*`: sshd accepts LC_* by default
    }
    passed = {
        "PROXY_FOR_TESTS": "http://me:proxy@pass@proxy:3128/x",  # an @ in the password too
        "PROJECT_MODE": "dev",
        "LC_TIME": "C",
        "TMPDIR": "/tmp",
    }
    server.openai.push(tool_round(run("env")), openai_stream("ok"))
    r = goshi("ask", "env", GOSHI_CONFIG=str(cfg), **secrets, **passed)
    assert r.code == 0, r.stderr
    (result,) = results(server)
    got = dict(line.split("=", 1) for line in result.splitlines() if "=" in line)
    assert not set(got) & set(secrets), set(got) & set(secrets)
    for secret in (TEST_KEY, "ghp_x", "hunter2", "mysql-secret", "bitwarden", "pass@", "ghp_o"):
        assert secret not in result
    assert got["PROXY_FOR_TESTS"] == "http://proxy:3128/x"
    assert (got["PROJECT_MODE"], got["LC_TIME"], got["TMPDIR"]) == ("dev", "C", "/tmp")
    assert {"PATH", "HOME"} <= set(got)


def test_long_output_keeps_head_and_tail_and_says_what_was_cut(
    goshi, server: WireServer, work, allow
) -> None:
    server.openai.push(tool_round(run("sh big.sh")), openai_stream("long"))
    assert goshi("ask", "run", **allow).code == 0
    (result,) = results(server)
    assert len(result) < 17_000
    assert "output (stdout and stderr):\nline 1\nline 2\n" in result
    assert result.endswith("line 49999\nline 50000\n")
    assert "characters (" in result and "lines) cut from the middle ...]" in result


def test_a_timeout_kills_the_whole_process_group(goshi, server: WireServer, work, allow) -> None:
    server.openai.push(tool_round(run("sh bg.sh", timeout_s=1)), openai_stream("slow"))
    r = goshi("ask", "-v", "run", **allow)  # bg.sh's sleeps would outlast the fixture's 30 s
    assert r.code == 0
    (result,) = results(server)
    assert "timed out after 1 s; the command and its children were killed" in result
    pid = int((work / "bg.pid").read_text())
    deadline = time.monotonic() + 5
    while not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(pid), f"the background child {pid} outlived its command"
    assert "-> run_command sh bg.sh  timed out 1 s" in r.stderr


def test_commands_off_offers_no_run_command(goshi, server: WireServer, work, home) -> None:
    cfg = home / "off.yaml"
    cfg.write_text(FAST_CONFIG + "tools: {commands: false, allow_commands: [env]}\n")
    server.openai.push(tool_round(run("env")), openai_stream("ok"))
    assert goshi("ask", "go", GOSHI_CONFIG=str(cfg)).code == 0
    offered = [t["function"]["name"] for t in server.chat_requests()[0].body["tools"]]
    assert "run_command" not in offered and "edit_file" in offered
    assert results(server) == ["error: run_command is turned off (tools.commands: false)"]


def test_the_audit_records_command_exit_code_and_output_size(
    goshi, server: WireServer, work, allow, home
) -> None:
    server.openai.push(tool_round(run("sh check.sh")), openai_stream("done"))
    cid = json.loads(goshi("ask", "--json", "run", **allow).stdout)["conversation_id"]
    db = sqlite3.connect(home / "data" / "goshi" / "goshi.db")
    arguments, status, summary, ms = db.execute(
        "SELECT arguments, status, summary, duration_ms FROM tool_calls"
    ).fetchone()
    assert json.loads(arguments) == {"command": "sh check.sh", "exit_code": 3, "output_bytes": 13}
    assert (status, summary) == ("error", "exit 3 · 13 B") and ms > 0
    shown = goshi("history", "show", str(cid), **allow).stdout
    assert '-> run_command {"command": "sh check.sh", "exit_code": 3' in shown


def test_an_untrusted_project_file_cannot_allow_commands(
    goshi, server: WireServer, work, home
) -> None:
    (work / "goshi.yaml").write_text("tools: {allow_commands: ['*'], command_timeout_s: 9999}\n")
    env = {k: v for k, v in os.environ.items() if k == "PATH"}
    server.openai.push(tool_round(run("touch pwned")), openai_stream("no"))
    r = goshi("ask", "go", GOSHI_CONFIG="", **env)
    assert r.code == 0, r.stderr
    assert not (work / "pwned").exists()
    assert results(server) == ["the user did not approve running this command; it was not run"]
    assert "goshi.yaml untrusted: ignored 2 settings" in r.stderr  # one 80-column line
    shown = goshi("config", "show", GOSHI_CONFIG="", **env).stdout
    assert "ignored until trusted: tools.allow_commands, tools.command_timeout_s" in shown


@pytest.mark.parametrize(
    ("command", "runs"),
    [
        ("git log", True),  # exactly the entry
        ("git log --oneline", False),  # `git log` is not a prefix
        ("git log --output=../owned", False),
        ("git diff HEAD~1 src/app.py", True),  # `git diff *`: more plain words
        ("git diff --no-index /dev/null ../secret", False),  # an option, and paths outside
        ("git diff ../../.ssh/id_ed25519", False),  # a path that resolves outside
        ("git diff /etc/passwd", False),
        ("git diff link-out", False),  # a link in the workspace that points out
        ("git diff ~/x", False),
        ("git diff $HOME", False),
        ("git diff HEAD; touch pwned", False),
        ("git diff HEAD\ntouch pwned", False),
        ("git log\n", False),  # a line break is not the entry's, even at the end
        (" git log ", True),
        ("git diff 'HEAD'", False),  # quotes are not plain
        ("git diff", True),  # ` *`: no more words is fine too
        ("git diffstat", False),
        ("git -C .. diff HEAD", False),
        ("git diff src/twin", False),  # a file with another name (a hard link): maybe outside
    ],
)
def test_an_allowlist_entry_approves_exactly_its_command_or_plain_words_after_it(
    tmp_path: Path, command: str, runs: bool
) -> None:
    from goshi.agent.command import allowed

    (tmp_path / "src").mkdir()
    (tmp_path / "link-out").symlink_to("/etc")
    (tmp_path / "key").write_text("PRIVATE KEY\n")
    os.link(tmp_path / "key", tmp_path / "src" / "twin")
    assert allowed(command, ["git log", "git diff *"], tmp_path) is runs


def test_the_issues_allowlist_bends_no_more(goshi, server: WireServer, work, home) -> None:
    """`git log --output=FILE` writes outside the workspace and `git diff --no-index` reads
    outside it: an allow-list of `git log` and `git diff` approves neither."""
    cfg = home / "git.yaml"
    cfg.write_text(FAST_CONFIG + "tools: {allow_commands: ['git log', 'git diff *']}\n")
    outside = home / "owned.txt"
    server.openai.push(
        tool_round(
            run(f"git log --output={outside} --format=%x41"),
            run(f"git diff --no-index /dev/null {home / 'fast.yaml'}"),
        ),
        openai_stream("refused"),
    )
    r = goshi("ask", "look", GOSHI_CONFIG=str(cfg))
    assert r.code == 0, r.stderr
    assert results(server) == ["the user did not approve running this command; it was not run"] * 2
    assert not outside.exists()


def test_with_yes_and_no_terminal_an_allowlisted_command_is_refused_and_said(
    goshi, server: WireServer, work, allow
) -> None:
    server.openai.push(tool_round(run("sh check.sh")), openai_stream("refused"))
    r = goshi("ask", "-y", "check", **allow)
    assert r.code == 0
    assert results(server) == ["the user did not approve running this command; it was not run"]
    assert (
        "goshi: `sh check.sh` is allow-listed but was not run: -y approves no command, "
        "allow-listed or not, and there is no terminal to ask"
    ) in r.stderr


DAEMON = (
    "setsid -f sh -c 'echo $$ > daemon.pid; exec sleep 1000' >/dev/null 2>&1\n"
    "while [ ! -s daemon.pid ]; do sleep 0.05; done\n"
    "echo started\n"
)


def _ends(pid_file: Path) -> bool:
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    try:
        while not gone(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        return gone(pid)
    finally:
        if not gone(pid):
            os.kill(pid, 9)  # do not leave the test's daemon behind, whatever happened


@pytest.mark.parametrize(
    ("tail", "timeout_s", "said"), [("", None, "started\n"), ("sleep 60\n", 1, "")]
)
def test_a_process_that_leaves_the_group_ends_with_its_command(
    goshi, server: WireServer, work, home, tail: str, timeout_s: int | None, said: str
) -> None:
    """At the command's end, and at its timeout."""
    (work / "daemon.sh").write_text(DAEMON + tail)
    cfg = home / "d.yaml"
    cfg.write_text(FAST_CONFIG + "tools: {allow_commands: ['sh daemon.sh']}\n")
    server.openai.push(tool_round(run("sh daemon.sh", timeout_s=timeout_s)), openai_stream("ok"))
    r = goshi("ask", "start it", GOSHI_CONFIG=str(cfg))
    assert r.code == 0, r.stderr
    assert said in results(server)[0]
    assert _ends(work / "daemon.pid"), "the setsid'd process outlived its command"


@pytest.mark.parametrize(("sig", "code"), [(15, 143), (1, 129)])
def test_sigterm_or_sighup_to_goshi_ends_what_a_command_left_outside_its_group(
    env, server: WireServer, work, home, sig: int, code: int
) -> None:
    import subprocess

    from tests.conftest import GOSHI

    (work / "daemon.sh").write_text(DAEMON + "sleep 60\n")
    cfg = home / "d.yaml"
    cfg.write_text(FAST_CONFIG + "tools: {allow_commands: ['sh daemon.sh']}\n")
    server.openai.push(tool_round(run("sh daemon.sh")), openai_stream("done"))
    proc = subprocess.Popen(
        [GOSHI, "ask", "start it"],
        env={**env, "GOSHI_CONFIG": str(cfg)},
        cwd=work,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 20
    while not (work / "daemon.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    proc.send_signal(sig)
    assert proc.wait(20) == code
    assert _ends(work / "daemon.pid"), f"the setsid'd process outlived goshi's {sig}"


def test_ending_what_a_command_left_never_touches_an_mcp_server(goshi, server, work, home) -> None:
    """goshi's own children from before the command (an MCP server) are not the command's."""
    import yaml

    from tests.test_mcp import SERVER, mcp_call

    (work / "daemon.sh").write_text(DAEMON)
    spec = {"t": {"command": sys.executable, "args": [SERVER], "allow": ["echo"]}}
    cfg = home / "both.yaml"
    cfg.write_text(
        FAST_CONFIG
        + "tools: {allow_commands: ['sh daemon.sh']}\n"
        + yaml.safe_dump({"mcp": {"servers": spec}})
    )
    server.openai.push(
        tool_round(mcp_call("t__echo", text="before")),
        tool_round(run("sh daemon.sh")),
        tool_round(mcp_call("t__echo", text="after")),
        openai_stream("done"),
    )
    r = goshi("ask", "go", GOSHI_CONFIG=str(cfg))
    assert r.code == 0, r.stderr
    assert results(server, 1) == ["before"] and results(server, 3) == ["after"]
    assert "restarted" not in r.stderr and "stopped" not in r.stderr, r.stderr
    assert _ends(work / "daemon.pid")


@pytest.mark.parametrize("path", [":{path}", "{path}:", "{path}::/bin", ".:{path}", "bin:{path}"])
def test_a_path_entry_that_names_the_workspace_is_not_passed(
    goshi, server: WireServer, work, home, path: str
) -> None:
    """An empty PATH entry (`PATH=":$PATH"`, from `export PATH="$UNSET:$PATH"`), `.` or a
    relative one is the working folder: the repository's own `./lint` or `bin/lint` ran for
    the allow-listed `lint --check`, unasked (and would shadow git or make the same way)."""
    hostile = "#!/bin/sh\ntouch pwned\necho hostile\n"
    for where in (work / "lint", work / "bin" / "lint"):
        where.parent.mkdir(exist_ok=True)
        where.write_text(hostile)
        where.chmod(0o755)
    cfg = home / "lint.yaml"
    cfg.write_text(FAST_CONFIG + "tools: {allow_commands: ['lint --check']}\n")
    server.openai.push(tool_round(run("lint --check")), openai_stream("ok"))
    mine = path.format(path=os.environ["PATH"])
    r = goshi("ask", "lint it", GOSHI_CONFIG=str(cfg), PATH=mine)
    assert r.code == 0, r.stderr
    (result,) = results(server)
    assert "hostile" not in result and not (work / "pwned").exists(), result
    assert "exit code 127" in result  # not found: the workspace is not on the command's PATH


def test_a_home_relative_path_entry_is_kept_expanded() -> None:
    from goshi.agent.command import child_environment

    env = child_environment("KEY", [], {"PATH": "~/bin::.:/usr/bin:bin", "HOME": "/home/me"})
    assert env["PATH"] == os.path.expanduser("~/bin") + ":/usr/bin"
