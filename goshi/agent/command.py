"""run_command: a shell command the user approved (or allow-listed), run in the workspace root.

    {command, timeout_s?} -> tools.allow_commands approves it (`allowed`) and the approver says
    the allow-list applies now (not under -y, nor after a change written unseen in this session)
    and the repository's git config sets only keys known inert (goshi/agent/gitconfig.py)?
    -> else the approver asks on the terminal (what the git config names, as a note): y / n /
    e(dit); -y never approves a command, and with no terminal the command is refused -> bash -c
    (sh without bash) in the workspace root with `child_environment`, git's hooks, fsmonitor and
    editors off (`git_neutral`) -> goshi/agent/process.py runs it to its end, and every process
    it started with it (timeout, Ctrl-C) -> exit code, duration, bounded output

The allow-list rule: an entry approves exactly that command line; an entry ending in ` *`
approves that command alone or followed by more plain words (letters, digits, `_ . / : @ % + ,`, and
after the first character `- ~ ^`), never an option (a word starting with `-`: `git log *` does
not approve `git log --output=FILE`) and never a word that, taken as a path, resolves outside
the workspace (`git diff *` does not approve `git diff ../../.ssh`), nor a file with other
names (hard links: they may be outside, as the jail says). Nothing else is a pattern.

The environment rule: the child gets only PATH, HOME, USER, LANG, the locale's LC_ variables
(LC_ALL, LC_CTYPE... not any LC_ name: ssh passes those on), TERM, SHELL, TMPDIR and
the names the user's own config lists in tools.command_env; never the variable named by
openai.api_key_env nor any holding the API key's value, and a URL's credentials (user:pass@)
are taken out of every value. PATH keeps only its absolute entries: an empty one, `.` or
`bin` is the workspace, whose own `./git` would run for an allow-listed `git log`.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from goshi.agent.calls import Approver, NotShown, ToolResult, not_shown, size_text
from goshi.agent.gitconfig import git_neutral, pushes_to_a_folder, why_ask
from goshi.agent.process import Ran, run_group
from goshi.agent.workspace import single_link

PASSED_ENV = frozenset(("PATH", "HOME", "USER", "LANG", "TERM", "SHELL", "TMPDIR"))
# the locale's own LC_ names (POSIX and glibc), not any LC_ name: sshd accepts LC_* from a
# client by default, so `SendEnv LC_*` is how tokens get smuggled to a server
LOCALE_ENV = frozenset(
    f"LC_{part}"
    for part in (
        *("ALL", "CTYPE", "COLLATE", "MESSAGES", "MONETARY", "NUMERIC", "TIME"),
        *("ADDRESS", "IDENTIFICATION", "MEASUREMENT", "NAME", "PAPER", "TELEPHONE"),
    )
)
URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s]*@")  # to the last @
MORE_WORDS = " *"
PLAIN_WORD = re.compile(r"[A-Za-z0-9_./:@%+,][A-Za-z0-9_./:@%+,~^-]*")  # ~ and ^: HEAD~1
BLANKS = re.compile(r"[ \t]+")
TAIL_LINES = 5


def child_environment(
    api_key_env: str, names: list[str] | None = None, environ: dict[str, str] | None = None
) -> dict[str, str]:
    """What a command may see of goshi's environment: an allow-list, not a denylist."""
    environ = dict(os.environ if environ is None else environ)
    wanted = PASSED_ENV | set(names or ())
    key = environ.get(api_key_env)
    env = {
        name: URL_CREDENTIALS.sub(r"\1", value)
        for name, value in environ.items()
        if (name in wanted or name in LOCALE_ENV)
        and name != api_key_env
        and not (key and key in value)
    }
    if "PATH" in env:
        env["PATH"] = absolute_path(env["PATH"])
    return env


def absolute_path(path: str) -> str:
    """PATH without its empty, `.` and relative entries: each is the working folder (the
    workspace), where the repository's own `./git` would shadow the real one. A `~/bin`
    (bash expands it when it looks a command up) is kept, expanded."""
    entries = (os.path.expanduser(d) for d in path.split(os.pathsep))
    return os.pathsep.join(d for d in entries if os.path.isabs(d))


def allowed(command: str, entries: list[str], root: str | Path) -> bool:
    """Does the user's allow-list approve exactly this command line?"""
    command = command.strip(" \t")  # a line break, even at the end, is not the entry
    if not command:
        return False
    for entry in (e.strip() for e in entries):
        if not entry:
            continue
        if command == entry:
            return True
        if entry.endswith(MORE_WORDS):
            base = entry.removesuffix(MORE_WORDS).rstrip()
            if command == base:  # none more
                return True
            rest = command[len(base) :]
            more = base and command.startswith(base) and rest[:1] in (" ", "\t")
            if more and _plain_words(rest, Path(root)):
                return True
    return False


def _plain_words(rest: str, root: Path) -> bool:
    """Only plain words, none an option, none a path outside the workspace."""
    root = root.resolve()
    for word in BLANKS.split(rest.strip(" \t")):
        if not PLAIN_WORD.fullmatch(word):
            return False
        try:
            real = (root / word).resolve()
            twins = real.exists() and not single_link(real.stat())
        except (OSError, RuntimeError):
            return False
        if (real != root and root not in real.parents) or twins:
            return False
    return True


def shell() -> list[str]:
    return [
        shutil.which("bash", path=absolute_path(os.environ.get("PATH", os.defpath))) or "/bin/sh",
        "-c",
    ]


@dataclass
class Commands:
    """run_command's rules, from the user's own settings."""

    root: str
    allow: list[str] = field(default_factory=list)
    timeout_s: float = 120.0
    api_key_env: str = "OPENAI_API_KEY"
    env_names: list[str] = field(default_factory=list)  # tools.command_env

    def run(
        self,
        command: str,
        timeout_s: float | None,
        approve: Approver,
        watch: Callable[[str], None] | None,
    ) -> ToolResult:
        if not isinstance(command, str) or not command.strip():
            raise TypeError("command must be a non-empty string")
        if timeout_s is not None and (
            isinstance(timeout_s, bool) or not isinstance(timeout_s, int | float)
        ):
            raise TypeError("timeout_s must be a number")
        limit = self.timeout_s if not timeout_s else max(1.0, min(timeout_s, self.timeout_s))
        waited = 0.0
        ran_command = command
        listed = allowed(command, self.allow, self.root)
        env = git_neutral(child_environment(self.api_key_env, self.env_names))
        # a program the repository's git config names, or hooks a push runs
        risk = why_ask(self.root, env) or pushes_to_a_folder(command, self.root)
        why = (approve.allowlist_applies() or risk) if listed else ""
        if not listed or why:
            asked = time.monotonic()
            try:
                note = risk if risk != why else ""  # said on the approval all the same
                answer = approve.command(command, self.root, limit, why, note)
            except NotShown as exc:
                return not_shown(exc)
            waited = time.monotonic() - asked
            if answer is None or not answer.strip():
                return ToolResult(
                    False,
                    "the user did not approve running this command; it was not run",
                    "not approved",
                    waited_s=waited,
                    audit={"approved": False},
                )
            ran_command = answer
        ran = run_group([*shell(), ran_command], self.root, env, limit, watch)
        return _result(command, ran_command, ran, limit, waited)


def settle_carriage_returns(text: str) -> str:
    """A progress bar redraws its line with CR: keep what the terminal would end up showing."""
    if "\r" not in text:
        return text
    out = []
    for line in text.split("\n"):
        body = line[:-1] if line.endswith("\r") else line
        out.append(body.rsplit("\r", 1)[-1])
    return "\n".join(out)


def _result(proposed: str, command: str, ran: Ran, limit: float, waited: float) -> ToolResult:
    output = settle_carriage_returns(ran.output)
    size = size_text(ran.size)
    if ran.timed_out:
        status = f"timed out after {limit:g} s; the command and its children were killed"
        summary = f"timed out {limit:g} s"
    elif ran.interrupted:
        status = f"interrupted by the user after {ran.seconds:.1f} s; it was killed"
        summary = "interrupted"
    else:
        status = f"exit code {ran.exit_code}, {ran.seconds:.2f} s"
        summary = f"exit {ran.exit_code} · {size}"
    head = f"$ {command}\n"
    if command != proposed:
        head = f"the user edited the command; what ran:\n{head}"
    body = output if output.strip() else "(no output)\n"
    if not body.endswith("\n"):
        body += "\n"
    facts: dict[str, object] = {"exit_code": ran.exit_code, "output_bytes": ran.size}
    if command != proposed:
        facts["ran"] = command
    if ran.timed_out or ran.interrupted:
        facts["killed"] = "timeout" if ran.timed_out else "ctrl-c"
    tail = "\n".join(output.rstrip("\n").splitlines()[-TAIL_LINES:]) if output.strip() else ""
    return ToolResult(
        ran.exit_code == 0 and not (ran.timed_out or ran.interrupted),
        f"{head}{status}\noutput (stdout and stderr):\n{body}",
        summary,
        waited_s=waited,
        tail=tail,
        audit=facts,
        stop=ran.interrupted,
    )
