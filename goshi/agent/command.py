"""run_command: a shell command the user approved (or allow-listed), run in the workspace root.

    {command, timeout_s?} -> tools.allow_commands matches it? (a prefix or a glob; never a
    command with ; & | < > ` $( or a line break, which could hide a second command)
    -> else the approver asks on the terminal: y / n / e(dit); -y never approves a command, and
    with no terminal the command is refused -> bash -c (sh without bash) in the workspace root
    with the environment minus secrets (`child_environment`) -> goshi/agent/process.py runs it
    as its own process group (timeout, Ctrl-C) -> exit code, duration, bounded output

The environment rule: the variable named by openai.api_key_env, every variable whose name
contains KEY, TOKEN, SECRET, PASS, CREDENTIAL, AUTH, COOKIE or PRIVATE (any case), and any
variable holding the API key's value are removed; everything else is inherited.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from goshi.agent.calls import Approver, ToolResult, size_text
from goshi.agent.process import Ran, run_group

SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASS|CREDENTIAL|AUTH|COOKIE|PRIVATE", re.IGNORECASE)
COMPOUND = re.compile(r"[;&|<>`\n\r]|\$\(")
GLOB = re.compile(r"[*?\[]")
TAIL_LINES = 5


def child_environment(api_key_env: str, environ: dict[str, str] | None = None) -> dict[str, str]:
    environ = dict(os.environ if environ is None else environ)
    key = environ.get(api_key_env)
    return {
        name: value
        for name, value in environ.items()
        if name != api_key_env and not SECRET_NAME.search(name) and not (key and value == key)
    }


def allowed(command: str, patterns: list[str]) -> bool:
    """Does the user's allow-list let this command run without asking?"""
    command = command.strip()
    if not command or COMPOUND.search(command):
        return False
    for pattern in (p.strip() for p in patterns):
        if not pattern:
            continue
        if GLOB.search(pattern):
            if fnmatch.fnmatchcase(command, pattern):
                return True
        elif command == pattern or command.startswith(pattern + " "):
            return True
    return False


def shell() -> list[str]:
    return [shutil.which("bash") or "/bin/sh", "-c"]


@dataclass
class Commands:
    """run_command's rules, from the user's own settings."""

    root: str
    allow: list[str] = field(default_factory=list)
    timeout_s: float = 120.0
    api_key_env: str = "OPENAI_API_KEY"

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
        if not allowed(command, self.allow):
            asked = time.monotonic()
            answer = approve.command(command, self.root, limit)
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
        ran = run_group(
            [*shell(), ran_command], self.root, child_environment(self.api_key_env), limit, watch
        )
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
