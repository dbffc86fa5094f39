"""When an allow-listed command asks after all: a change written unseen earlier in the chat (not
only in this turn), and a repository whose git config names something git would run
(goshi/agent/gitconfig.py); its hooks never run for a command goshi runs. Real `git`, real
HTTP on loopback, a real pseudo-terminal where a question is asked."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from goshi.agent.gitconfig import inert, pushes_to_a_folder
from tests.test_approve_screen import on_screen
from tests.test_approve_tty import ASK_CHANGE, ASK_COMMAND, spawn
from tests.test_chat import chat  # noqa: F401  (the pseudo-terminal chat fixture)
from tests.test_tools import call, results, tool_round
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


def git(work: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=work,
        check=True,
        capture_output=True,
        text=True,
        start_new_session=True,
    ).stdout


@pytest.fixture
def repo(home: Path) -> Path:
    """A repository as a tarball brings it: its own .git/config, its own .git/hooks."""
    work = home / "work"
    git(work, "init", "-q", ".")
    (work / "app.py").write_text("print('hi')\n")
    git(work, "add", "app.py")
    return work


def marker_script(home: Path, name: str) -> Path:
    """A program git may be told to run: it leaves MARK-name in the home folder."""
    script = home / f"{name}.sh"
    script.write_text(f"#!/bin/sh\ntouch '{home}/MARK-{name}'\nexit 1\n")
    script.chmod(0o755)
    return script


def test_a_plain_repositorys_allowlisted_git_status_runs_unasked(
    goshi, server: WireServer, home: Path, repo: Path
) -> None:
    git(repo, "remote", "add", "origin", "https://github.com/acme/app.git")
    server.openai.push(tool_round(call("run_command", command="git status")), openai_stream("ok"))
    r = goshi("ask", "status?", GOSHI_CONFIG=str(allow(home, "git status")))
    assert (r.code, r.stderr) == (0, "")
    (said,) = results(server)
    assert said.startswith("$ git status\nexit code 0") and "new file:   app.py" in said, said


@pytest.mark.parametrize(
    ("key", "where"),
    [
        ("core.fsmonitor", ".git/config"),  # the case: `git status` runs it
        ("core.sshCommand", ".git/config"),
        ("diff.external", "included"),  # include.path: what it names is read too
        ("core.fsmonitor", ".git/config.worktree"),
    ],
)
def test_a_repositorys_git_config_that_names_a_program_makes_the_allowlisted_git_ask(
    goshi, server: WireServer, home: Path, repo: Path, key: str, where: str
) -> None:
    program = str(marker_script(home, "config"))
    if where == "included":
        (repo / "tools").mkdir()
        (repo / "tools" / "git.cfg").write_text(f"[{key.split('.')[0]}]\n\texternal = {program}\n")
        git(repo, "config", "include.path", "../tools/git.cfg")
    elif where == ".git/config.worktree":
        git(repo, "config", "extensions.worktreeConfig", "true")
        git(repo, "config", "--worktree", key, program)
    else:
        git(repo, "config", key, program)
    (repo / "app.py").write_text("print('changed')\n")
    server.openai.push(
        tool_round(
            call("run_command", command="git status"), call("run_command", command="git diff")
        ),
        openai_stream("refused"),
    )
    r = goshi("ask", "status?", GOSHI_CONFIG=str(allow(home, "git status", "git diff")))
    assert r.code == 0, r.stderr
    assert not (home / "MARK-config").exists()  # never run unasked
    lines = r.stderr.splitlines()
    shown = ".git/../tools/git.cfg" if where == "included" else where
    named = f"the repository's git config sets {key.lower()} ({shown})"  # git: lower-case
    assert len(lines) == 2 and all(named in line and "was not run" in line for line in lines), lines
    assert results(server)[0].startswith("the user did not approve")


def test_a_repositorys_hooks_never_run_for_an_allowlisted_command(
    goshi, server: WireServer, home: Path, repo: Path
) -> None:
    hook = repo / ".git" / "hooks" / "post-index-change"  # `git status` writes the index: runs it
    hook.write_bytes(marker_script(home, "hook").read_bytes())
    hook.chmod(0o755)
    os.utime(repo / "app.py", (0, 0))  # stat changed: status refreshes the index and writes it
    server.openai.push(tool_round(call("run_command", command="git status")), openai_stream("ok"))
    r = goshi("ask", "status?", GOSHI_CONFIG=str(allow(home, "git status")))
    assert (r.code, r.stderr) == (0, "")
    assert "exit code 0" in results(server)[0]
    assert not (home / "MARK-hook").exists()


def test_the_fsmonitor_of_a_tarballs_repository_is_asked_about_and_never_run(
    env: dict[str, str], server: WireServer, home: Path, repo: Path
) -> None:
    git(repo, "config", "core.fsmonitor", str(marker_script(home, "fsmonitor")))
    env["GOSHI_CONFIG"] = str(allow(home, "git status"))
    server.openai.push(
        tool_round(call("run_command", command="git status")),
        tool_round(call("run_command", command="git status")),
        openai_stream("done"),
    )
    t = spawn(env, repo, "ask", "status twice")
    t.wait_for(ASK_COMMAND)
    said = "allow-listed, but asked: the repository's git config sets core.fsmonitor"
    assert said in on_screen(t).replace("\n", " "), on_screen(t)
    t.send("n")
    t.wait_for(r"not approved(.|\n)*" + ASK_COMMAND)
    assert not (home / "MARK-fsmonitor").exists()
    t.send("y")  # git status runs; its fsmonitor is off for every command goshi runs
    assert t.wait_exit() == 0
    assert "run_command git status  exit 0" in t.text()
    assert not (home / "MARK-fsmonitor").exists()


def test_a_submodules_git_config_is_checked_too(
    goshi, server: WireServer, home: Path, repo: Path
) -> None:
    inner = home / "inner"  # a repository the tarball's index names as a submodule
    inner.mkdir()
    git(inner, "init", "-q", ".")
    (inner / "x").write_text("x\n")
    git(inner, "add", "x")
    git(inner, "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "x")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(inner), "sub")
    git(repo / "sub", "remote", "set-url", "origin", "https://github.com/acme/lib.git")
    git(repo / "sub", "config", "filter.x.clean", str(marker_script(home, "filter")))
    (repo / "sub" / ".gitattributes").write_text("* filter=x\n")
    server.openai.push(tool_round(call("run_command", command="git status")), openai_stream("no"))
    r = goshi("ask", "status?", GOSHI_CONFIG=str(allow(home, "git status")))
    assert r.code == 0, r.stderr
    assert "the submodule's git config sets filter.x.clean (" in r.stderr, r.stderr
    assert not (home / "MARK-filter").exists()


@pytest.mark.parametrize(
    ("key", "value", "runs"),
    [
        ("remote.origin.url", "https://github.com/acme/app.git", False),
        ("remote.origin.url", "git@github.com:acme/app.git", False),
        ("remote.origin.url", "ext::sh -c touch% /tmp/pwned", True),  # a command
        ("remote.origin.url", "../elsewhere", True),  # a folder: a push runs its hooks
        ("remote.origin.uploadpack", "touch /tmp/pwned; git-upload-pack", True),
        ("branch.main.vscode-merge-base", "origin/main", False),
        ("submodule.lib.update", "!touch /tmp/pwned", True),
        ("filter.lfs.process", "git-lfs filter-process", False),
        ("filter.lfs.process", "sh evil.sh", True),
        ("core.fsmonitor", "true", False),  # git's own daemon
        ("core.fsmonitor", ".git/fsmonitor-watchman", True),
        ("core.hookspath", ".husky/_", False),  # off for every command goshi runs
        ("hook.lint.command", "touch /tmp/pwned", True),  # git 2.46: unknown keys ask
    ],
)
def test_which_keys_of_a_repositorys_config_are_inert(key: str, value: str, runs: bool) -> None:
    assert inert(key, value) is not runs


def test_a_command_asked_about_anyway_notes_what_the_repositorys_git_config_names(
    env: dict[str, str], server: WireServer, home: Path, repo: Path
) -> None:
    git(repo, "config", "diff.external", str(marker_script(home, "external")))
    server.openai.push(tool_round(call("run_command", command="git diff")), openai_stream("no"))
    t = spawn(env, repo, "ask", "what changed?")  # git diff is not allow-listed: asked anyway
    t.wait_for(ASK_COMMAND)
    said = "note: the repository's git config sets diff.external (.git/config), which goshi"
    assert said in on_screen(t).replace("\n", " "), on_screen(t)
    t.send("n")
    assert t.wait_exit() == 0
    assert not (home / "MARK-external").exists()


def test_a_repository_the_users_safe_directory_trusts_is_checked_as_git_reads_it(
    goshi, server: WireServer, home: Path, repo: Path
) -> None:
    """A tarball unpacked by another user (or by root, keeping the archive's owner) is one git
    refuses until the user's own config lists it in safe.directory, as git's message advises:
    then the command's git reads the repository's config, so the check must read it too."""
    (home / ".gitconfig").write_text(f"[safe]\n\tdirectory = {repo}\n")
    git(repo, "config", "diff.external", str(marker_script(home, "external")))
    (repo / "app.py").write_text("print('changed')\n")
    cfg = home / "owner.yaml"
    cfg.write_text(
        (home / "fast.yaml").read_text()
        + "tools: {allow_commands: ['git diff'], command_env: [GIT_TEST_ASSUME_DIFFERENT_OWNER]}\n"
    )
    server.openai.push(tool_round(call("run_command", command="git diff")), openai_stream("no"))
    r = goshi("ask", "what changed?", GOSHI_CONFIG=str(cfg), GIT_TEST_ASSUME_DIFFERENT_OWNER="1")
    assert r.code == 0, r.stderr
    assert not (home / "MARK-external").exists()  # never run unasked
    assert "the repository's git config sets diff.external (.git/config)" in r.stderr, r.stderr


def committed(repo: Path) -> None:
    git(repo, "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "x")


@pytest.mark.parametrize(
    "command",
    [
        "git push vendor/mirror.git HEAD:refs/heads/copy",  # a bare repository the tarball ships
        "git push vendor/mirror HEAD:refs/heads/copy",  # git tries mirror.git too
        "git push . HEAD:refs/heads/copy",  # the workspace's own .git/hooks
        "git push",  # the branch's upstream is a folder (branch.NAME.remote)
    ],
)
def test_an_allowlisted_push_to_a_folder_asks_git_runs_that_repositorys_hooks(
    goshi, server: WireServer, home: Path, repo: Path, command: str
) -> None:
    """git clears GIT_CONFIG_PARAMETERS and GIT_CONFIG_COUNT for the receive-pack of a push to
    a folder: goshi's hooks setting does not reach it, and that repository's hooks run."""
    committed(repo)
    mirror = repo / "vendor" / "mirror.git"
    git(repo, "init", "-q", "--bare", str(mirror))
    for hooks in (mirror / "hooks", repo / ".git" / "hooks"):
        (hooks / "pre-receive").write_bytes(marker_script(home, "receive").read_bytes())
        (hooks / "pre-receive").chmod(0o755)
    branch = git(repo, "branch", "--show-current").strip()
    if command == "git push":
        git(repo, "config", f"branch.{branch}.remote", "vendor/mirror.git")
        git(repo, "config", f"branch.{branch}.merge", f"refs/heads/{branch}")
        said = f"the repository's git config sets branch.{branch}.remote (.git/config)"
    else:
        said = f"it pushes to the repository {command.split()[2]} on this machine"
    server.openai.push(tool_round(call("run_command", command=command)), openai_stream("no"))
    r = goshi("ask", "push", GOSHI_CONFIG=str(allow(home, "git push", "git push *")))
    assert r.code == 0, r.stderr
    assert not (home / "MARK-receive").exists()  # never run unasked
    assert f"`{command}` is allow-listed but was not run: {said}" in r.stderr, r.stderr


def test_a_branch_tracking_a_named_remote_is_inert() -> None:
    assert inert("branch.main.remote", "origin", frozenset({"origin"}))
    assert not inert("branch.main.remote", "vendor", frozenset({"origin"}))  # a folder, a URL
    assert not inert("branch.main.pushremote", ".", frozenset({"origin"}))


def test_a_folder_git_takes_for_a_repository_whatever_its_objects(home: Path) -> None:
    """git's own test is a HEAD (a file, or an old symbolic link, even to nothing yet); the
    objects may be a linked worktree's common directory's."""
    bare = home / "work" / "mirror.git"
    bare.mkdir()
    (bare / "HEAD").symlink_to("refs/heads/main")
    (bare / "commondir").write_text("../elsewhere\n")
    assert "pushes to the repository mirror" in pushes_to_a_folder(
        "git push mirror x", str(bare.parent)
    )
    assert pushes_to_a_folder("git push origin main", str(bare.parent)) == ""
    assert pushes_to_a_folder("git log mirror.git", str(bare.parent)) == ""  # no push
