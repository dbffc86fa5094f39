"""Shell completion, run the way a shell runs it: the completion variable and the words in the
environment, goshi as a subprocess, the offers on stdout."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import GOSHI
from tests.wire_server import WireServer, ollama_tags, openai_stream, refused_port


def bash_complete(env: dict[str, str], line: str) -> list[str]:
    """What bash's completion function would put in COMPREPLY for `line` (cursor at the end)."""
    words = line.split(" ")
    out = subprocess.run(
        [GOSHI],
        env={
            **env,
            "_GOSHI_COMPLETE": "complete_bash",
            "COMP_WORDS": line,
            "COMP_CWORD": str(len(words) - 1),
        },
        capture_output=True,
        text=True,
        timeout=30,
        start_new_session=True,
    )
    assert out.returncode == 0, out.stderr
    return [line for line in out.stdout.splitlines() if line]


def zsh_complete(env: dict[str, str], line: str) -> str:
    out = subprocess.run(
        [GOSHI],
        env={**env, "_GOSHI_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": line},
        capture_output=True,
        text=True,
        timeout=30,
        start_new_session=True,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_install_completion_then_tab_completes_a_model_in_a_real_bash(env, home) -> None:
    # goshi as bash's child, as a user's shell runs it, so bash is the shell Typer finds above it
    # (a lone `bash -c` command is exec'd, and whichever shell started pytest would be found)
    installed = subprocess.run(
        ["bash", "--norc", "-c", f"{GOSHI} --install-completion; exit $?"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        start_new_session=True,
    )
    assert installed.returncode == 0, installed.stderr
    assert "bash completion installed" in installed.stdout
    script = home / ".bash_completions" / "goshi.sh"
    assert f"source '{script}'" in (home / ".bashrc").read_text()
    # what Tab does: bash runs the installed function with the words typed so far
    tab = (
        f"source '{script}'; COMP_WORDS=(goshi ask -m gpt-4o-m); COMP_CWORD=3;"
        f" _goshi_completion {GOSHI}; printf '%s\\n' \"${{COMPREPLY[@]}}\""
    )
    r = subprocess.run(
        ["bash", "--norc", "-c", tab],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        start_new_session=True,
    )
    assert r.stdout.split() == ["gpt-4o-mini"], r.stderr


@pytest.mark.parametrize(
    ("shell", "marker", "check"),
    [
        ("bash", "complete -o default -F _goshi_completion goshi", ["bash", "--norc", "-n"]),
        ("zsh", "compdef _goshi_completion goshi", ["zsh", "--no-rcs", "-n"]),
        ("fish", "complete --command goshi", ["fish", "--no-execute"]),
    ],
)
def test_each_shells_completion_script_is_one_that_shell_reads(
    env, home: Path, shell: str, marker: str, check: list[str]
) -> None:
    r = subprocess.run(
        [GOSHI],
        env={**env, "_GOSHI_COMPLETE": f"source_{shell}"},
        capture_output=True,
        text=True,
        timeout=30,
        start_new_session=True,
    )
    assert r.returncode == 0 and marker in r.stdout, (r.stdout, r.stderr)
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed: its script was not parsed by {shell} itself")
    script = home / f"goshi.{shell}"
    script.write_text(r.stdout)
    parsed = subprocess.run(
        [*check, str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        start_new_session=True,
    )
    assert parsed.returncode == 0 and not parsed.stderr, parsed.stderr


def test_commands_subcommands_and_fixed_choices_complete(env) -> None:
    assert bash_complete(env, "goshi hist") == ["history"]
    assert bash_complete(env, "goshi history ") == ["list", "show", "rm", "export", "search"]
    assert set(bash_complete(env, "goshi config ")) >= {"show", "validate", "init", "path"}
    assert bash_complete(env, "goshi prices ") == ["update"]
    assert bash_complete(env, "goshi ask -b o") == ["openai", "ollama"]
    assert bash_complete(env, "goshi chat --backend ") == ["auto", "openai", "ollama"]
    assert bash_complete(env, "goshi history export 1 --format ") == ["md", "json"]


def test_models_come_from_the_price_table_and_the_ollama_cache(env, goshi, server) -> None:
    away = {**env, "OLLAMA_HOST": f"http://127.0.0.1:{refused_port()}"}
    assert "gpt-4.1-mini" in bash_complete(away, "goshi ask -m gpt-4.1")
    assert bash_complete(away, "goshi ask -m llama") == []
    server.tags.push(ollama_tags(["llama3.2:latest", "qwen2.5-coder:7b"]))
    assert goshi("models").code == 0  # listing the models refreshes the cache
    server.stop()  # and from now on Tab must not need the server
    assert bash_complete(env, "goshi ask -m llama") == ["llama3.2:latest"]
    assert bash_complete(env, "goshi chat -m qwen") == ["qwen2.5-coder:7b"]


def test_a_stale_cache_is_refreshed_from_a_local_ollama_in_passing(env, home, server) -> None:
    cache = home / "state" / "goshi" / "ollama_models.json"
    cache.parent.mkdir(parents=True)
    old = {"host": server.url, "at": time.time() - 3600, "models": ["old-model:1b"]}
    cache.write_text(json.dumps(old))
    server.tags.push(ollama_tags(["new-model:3b"]))
    assert bash_complete(env, "goshi ask -m new") == ["new-model:3b"]
    assert json.loads(cache.read_text())["models"] == ["new-model:3b"]


def test_a_stale_cache_is_used_as_it_is_when_ollama_is_away(env, home) -> None:
    cache = home / "state" / "goshi" / "ollama_models.json"
    cache.parent.mkdir(parents=True)
    away = f"http://127.0.0.1:{refused_port()}"
    cache.write_text(json.dumps({"host": away, "at": 0, "models": ["old-model:1b"]}))
    assert bash_complete({**env, "OLLAMA_HOST": away}, "goshi ask -m old") == ["old-model:1b"]


def test_ollama_names_that_are_not_model_names_are_never_offered(env, home) -> None:
    cache = home / "state" / "goshi" / "ollama_models.json"
    cache.parent.mkdir(parents=True)
    names = ["ok:1b", "bad name", "x$(touch pwned)", "esc\x1b[31m", "`id`", 7]
    cache.write_text(json.dumps({"host": "http://127.0.0.1:9", "at": time.time(), "models": names}))
    offered = bash_complete(env, "goshi ask -m ")
    assert "ok:1b" in offered
    assert not [o for o in offered if any(c in o for c in " $`\x1b")]


def test_cid_offers_recent_conversations_with_their_first_line(env, goshi, server) -> None:
    for question in ("how do I rebase onto main?", "what is a $(reflog) `entry`?\nsecond line"):
        server.openai.push(openai_stream("ok"))
        assert goshi("ask", question).code == 0
    assert bash_complete(env, "goshi ask --cid ") == ["2", "1"]
    assert bash_complete(env, "goshi history show ") == ["2", "1"]
    assert bash_complete(env, "goshi history rm 1") == ["1"]
    zsh = zsh_complete(env, "goshi chat --cid ")
    assert '"1":"how do I rebase onto main?"' in zsh
    assert '"2":"what is a reflog entry?"' in zsh  # no shell syntax reaches zsh's eval
    assert "second line" not in zsh


def test_completion_never_creates_the_store(env, home) -> None:
    assert bash_complete(env, "goshi ask --cid ") == []
    assert not (home / "data" / "goshi").exists()


def test_templates_complete_after_t(env, goshi) -> None:
    assert bash_complete(env, "goshi ask -t ") == []
    assert goshi("templates", "init").code == 0
    assert bash_complete(env, "goshi ask -t ") == ["commit", "review"]
    assert bash_complete(env, "goshi ask --template re") == ["review"]


PROBE = (
    "import sys\nsys.argv = ['goshi']\nfrom goshi.cli import main\n"
    "try:\n    main()\nexcept SystemExit:\n    pass\n"
    "heavy = sorted(m for m in sys.modules if m.split('.')[0] in"
    " ('rich', 'httpx', 'httpcore', 'prompt_toolkit', 'yaml')"
    " or m.startswith(('goshi.turn', 'goshi.llm', 'goshi.cost', 'goshi.ui', 'goshi.agent',"
    " 'goshi.config')))\n"
    "print('HEAVY', heavy, file=sys.stderr)\n"
)


def test_a_tab_imports_nothing_heavy(env, server: WireServer, goshi) -> None:
    """A Tab costs what `goshi --version` costs: no Rich (Typer's zsh and fish formatters would
    pull it in), no httpx, YAML or prompt_toolkit, and none of goshi's turn machinery (building
    ask's or chat's parser must not load what answering loads)."""
    goshi("templates", "init")
    assert goshi("ask", "hello").code == 0  # a conversation for --cid
    python = str(Path(GOSHI).with_name("python"))
    cases = [
        {"_GOSHI_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "goshi ask -b "},
        {
            "_GOSHI_COMPLETE": "complete_fish",
            "_TYPER_COMPLETE_ARGS": "goshi ask -b ",
            "_TYPER_COMPLETE_FISH_ACTION": "get-args",
        },
        {"_GOSHI_COMPLETE": "complete_bash", "COMP_WORDS": "goshi ask -m gp", "COMP_CWORD": "3"},
        {"_GOSHI_COMPLETE": "complete_bash", "COMP_WORDS": "goshi ask --cid ", "COMP_CWORD": "3"},
        {"_GOSHI_COMPLETE": "complete_bash", "COMP_WORDS": "goshi ask -t ", "COMP_CWORD": "3"},
        {"_GOSHI_COMPLETE": "complete_bash", "COMP_WORDS": "goshi chat -m gp", "COMP_CWORD": "3"},
    ]
    for extra in cases:
        r = subprocess.run(
            [python, "-c", PROBE],
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=30,
            start_new_session=True,
        )
        assert r.stdout.strip(), (extra, r.stderr)
        assert "HEAVY []" in r.stderr, (extra, r.stderr)


def test_goshi_status_also_refreshes_the_list_tab_reads(env, goshi, server, home) -> None:
    server.tags.push(ollama_tags(["phi4:14b"]))
    assert goshi("status").code == 0
    cache = json.loads((home / "state" / "goshi" / "ollama_models.json").read_text())
    assert cache["models"] == ["phi4:14b"] and cache["host"] == server.url
