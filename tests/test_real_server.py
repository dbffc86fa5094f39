"""goshi against a REAL llama.cpp server, over chat completions and the Responses API.

Only with `pytest --real` (never in the default run). shared/tools/realserver.py, beside the
project root (CI lays shared/ beside the clone; a git worktree looks beside the clone it belongs
to), starts llama.cpp's HTTP server (PyPI xllamacpp) with Gemma 3 270M on 127.0.0.1: one server
for this module, its venv cached in ~/.cache/goshi-realserver (the first run installs a few
hundred MB from PyPI), stopped with SIGTERM at the end. Without the script the tests skip.

The model is a base model and the server's chat template is not Gemma's: it never stops by itself,
so every answer runs to the server's own cap (N_PREDICT tokens) unless goshi's cap is lower. The
tests assert the protocol (exit codes, what reaches stdout and stderr, usage, the ledger, the
stored conversation), never the content.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from goshi.config import HttpSettings, OpenAISettings
from goshi.llm import http
from goshi.llm.openai import OpenAIBackend
from goshi.llm.params import InProcess
from goshi.llm.responses import LEAST_OUTPUT
from goshi.llm.types import ChatRequest, Done, Message, TextDelta, ToolCall, UsageReport
from tests.conftest import GOSHI, Result

pytestmark = pytest.mark.real

MODEL = "gemma3-270m"
N_PREDICT = 64  # the server's own cap on every answer
CACHE = Path(os.environ.get("GOSHI_REALSERVER_CACHE", Path.home() / ".cache" / "goshi-realserver"))
INSTALL_S = 1200  # the first run installs from PyPI
CONFIG = """\
backend: openai
retry: {attempts: 2, base_delay_s: 0.5, max_delay_s: 2}
http: {connect_timeout_s: 5, read_timeout_s: 300}
"""
APIS = ["chat", "responses"]
MODES = [pytest.param((), id="stream"), pytest.param(("--no-stream",), id="no-stream")]
UNPRICED = f"no price for model '{MODEL}'"

Run = Callable[..., Result]


@dataclass
class RealServer:
    url: str  # the OpenAI base URL, .../v1
    props: dict[str, Any]  # llama.cpp's GET /props


def realserver_script() -> Path | None:
    """shared/tools/realserver.py beside the project root, or beside the clone a worktree
    belongs to."""
    root = Path(__file__).resolve().parents[1]
    roots = [root]
    git = root / ".git"
    if git.is_file():  # a worktree: `gitdir: <clone>/.git/worktrees/NAME`
        gitdir = Path(git.read_text().partition("gitdir:")[2].strip())
        if (common := gitdir / "commondir").is_file():
            roots.append((gitdir / common.read_text().strip()).resolve().parent)
    for r in roots:
        if (script := r.parent / "shared" / "tools" / "realserver.py").is_file():
            return script
    return None


def wait_for_port(proc: subprocess.Popen[bytes], portfile: Path, log: Path) -> int:
    end = time.monotonic() + INSTALL_S
    while time.monotonic() < end:
        if portfile.is_file() and (text := portfile.read_text().strip()):
            return int(text)
        if proc.poll() is not None:
            pytest.fail(f"realserver.py exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    pytest.fail(f"realserver.py was not ready within {INSTALL_S}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    script = realserver_script()
    if script is None:
        pytest.skip("no shared/tools/realserver.py beside the project root (or its clone)")
    where = tmp_path_factory.mktemp("realserver")
    portfile, log = where / "port", where / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(script), "--venv", str(CACHE / "venv"), "--portfile",
             str(portfile), "--alias", MODEL, "--n-predict", str(N_PREDICT)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )  # fmt: skip
    try:
        port = wait_for_port(proc, portfile, log)
        root = f"http://127.0.0.1:{port}"
        props = httpx.Client(trust_env=False).get(f"{root}/props", timeout=10).json()
        yield RealServer(f"{root}/v1", props)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, log.read_text()[-3000:]  # a clean stop


@pytest.fixture
def run(real: RealServer, home: Path) -> Run:
    """`goshi ARGS` as a script runs it against the real server: stdin closed, detached."""
    (home / "real.yaml").write_text(CONFIG)
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL")}
    env = {
        **keep,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "OPENAI_API_KEY": "sk-anything",
        "OPENAI_BASE_URL": real.url,
        "GOSHI_MODEL": MODEL,
        "GOSHI_CONFIG": str(home / "real.yaml"),
        "NO_COLOR": "1",
    }

    def go(*args: str, api: str = "chat") -> Result:
        proc = subprocess.run(
            [GOSHI, *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env={**env, "GOSHI_OPENAI_API": api},
            cwd=home / "work",
            timeout=600,
            start_new_session=True,
        )
        assert "Traceback" not in proc.stderr
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return go


def answers(run: Run, cid: int) -> list[dict[str, Any]]:
    """The stored answers of a conversation."""
    r = run("history", "export", str(cid), "--format", "json")
    assert r.code == 0, r.stderr
    return [m for m in json.loads(r.stdout)["messages"] if m["role"] == "assistant"]


def cut_line(r: Result, whose: str) -> None:
    (line,) = [ln for ln in r.stderr.splitlines() if "the answer was cut at" in ln]
    assert whose in line


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
def test_an_answer_into_a_pipe(run: Run, api: str, mode: tuple[str, ...]) -> None:
    r = run("ask", *mode, "Say hello", api=api)
    (answer,) = answers(run, 1)
    assert answer["content"] and r.stdout == answer["content"] + "\n"  # its bytes, one newline
    if answer["finish_reason"] == "length":  # the server's cap: goshi sent none
        assert r.code == 8, r.stderr
        cut_line(r, f"the server's own output limit ({N_PREDICT} tokens)")
    else:
        assert (r.code, answer["finish_reason"]) == (0, "stop"), r.stderr


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
def test_json_says_usage_model_finish_and_an_unknown_cost(
    run: Run, real: RealServer, api: str, mode: tuple[str, ...]
) -> None:
    r = run("ask", "--json", *mode, "Say hello", api=api)
    got = json.loads(r.stdout)
    usage = got["usage"]
    assert usage["prompt_tokens"] > 0 and 0 < usage["completion_tokens"] <= N_PREDICT
    assert (got["model"], got["backend"], got["fallback"]) == (MODEL, "openai", False)
    assert got["context_window"] == real.props["default_generation_settings"]["n_ctx"]
    assert got["text"] and got["conversation_id"] == 1 and got["refusal"] is False
    at_cap = usage["completion_tokens"] == N_PREDICT
    if api == "chat":  # finish_reason "length" at the server's own cap
        assert got["finish_reason"] == ("length" if at_cap else "stop")
    else:  # llama.cpp says "completed" even at its own cap: nothing on the wire says cut
        assert got["finish_reason"] == "stop"
    assert r.code == (8 if got["finish_reason"] == "length" else 0), r.stderr
    assert got["cost_usd"] is None and got["cost_estimated"] is False  # the alias has no price
    assert len([ln for ln in r.stderr.splitlines() if UNPRICED in ln]) == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
def test_goshis_cap_ends_a_cut_answer_and_says_whose(
    run: Run, api: str, mode: tuple[str, ...]
) -> None:
    r = run("ask", "--json", *mode, "-o", "max_tokens", "5", "Tell me a story", api=api)
    assert r.code == 8, r.stderr
    got = json.loads(r.stdout)
    sent = 5 if api == "chat" else LEAST_OUTPUT  # the Responses API takes no cap under 16
    assert got["usage"]["completion_tokens"] == sent and got["finish_reason"] == "length"
    cut_line(r, "goshi's output cap (5 tokens)")
    (answer,) = answers(run, got["conversation_id"])
    assert answer["finish_reason"] == "length" and answer["content"] == got["text"]


@pytest.mark.parametrize("api", APIS)
def test_continue_sends_the_conversation_and_keeps_it(run: Run, api: str) -> None:
    first = run("ask", "--json", "-o", "max_tokens", "4", "first question", api=api)
    second = run("ask", "--json", "-c", "-o", "max_tokens", "4", "second question", api=api)
    assert (first.code, second.code) == (8, 8), second.stderr
    one, two = json.loads(first.stdout), json.loads(second.stdout)
    assert one["conversation_id"] == two["conversation_id"]
    # the first question and answer went along: the second prompt is longer than both
    grew = one["usage"]["prompt_tokens"] + one["usage"]["completion_tokens"]
    assert two["usage"]["prompt_tokens"] > grew
    assert [a["content"] for a in answers(run, one["conversation_id"])] == [
        one["text"],
        two["text"],
    ]


def test_cost_counts_the_answers(run: Run) -> None:
    for api in APIS:
        assert run("ask", "-o", "max_tokens", "3", "hi", api=api).code == 8
    r = run("cost", "--json")
    assert r.code == 0, r.stderr
    got = json.loads(r.stdout)
    assert (got["answers"], got["unpriced_answers"], got["total_usd"]) == (2, 2, 0)
    assert got["by_model"][MODEL]["answers"] == 2
    assert got["by_model"][MODEL]["completion_tokens"] == 3 + LEAST_OUTPUT  # chat, responses


def test_status_and_models_read_the_servers_model_list(run: Run) -> None:
    """llama.cpp's GET /v1/models (an Ollama-like `models` list beside OpenAI's `data`)."""
    status = run("status")
    assert status.code == 0 and f"{MODEL} (present)" in status.stdout, status.stdout
    for api in APIS:
        listed = run("models", api=api)
        assert listed.code == 0, listed.stderr
        (row,) = [ln.split() for ln in listed.stdout.splitlines() if ln.split()[:1] == [MODEL]]
        assert api in row and "default" in row


READ_FILE = {
    "type": "function",
    "function": {
        "name": "read_file",
        "description": "Read a file of the workspace.",
        "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
    },
}
# an item of llama.cpp's own shape, as goshi carries it from a round to the next
REASONING = {
    "id": "rs_0123456789abcdef",
    "type": "reasoning",
    "summary": [],
    "content": [{"type": "reasoning_text", "text": "I should read the notes."}],
    "encrypted_content": "",
}


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
@pytest.mark.parametrize("api", APIS)
def test_the_request_after_a_tool_call_is_taken(real: RealServer, api: str, stream: bool) -> None:
    """The second request of a tool round (text, reasoning carried, the call, its result) as
    goshi's backend sends it: the server answers it (the model cannot make the call itself)."""
    http.close()
    settings = OpenAISettings(base_url=real.url, api=api)
    backend = OpenAIBackend(settings, HttpSettings(read_timeout_s=300), "sk-any", InProcess())
    carried = (REASONING, {"type": "message"}) if api == "responses" else ()
    call = ToolCall("fc_call_1", "read_file", json.dumps({"path": "notes.txt"}), carried)
    messages = [
        Message("system", "Answer briefly."),
        Message("user", "What do my notes say?"),
        Message("assistant", "Let me look.", [call]),
        Message("tool", "The word is heron.", tool_call_id="fc_call_1", tool_name="read_file"),
    ]
    events = list(backend.chat(ChatRequest(messages, MODEL, stream, [READ_FILE], 5)))
    assert "".join(e.text for e in events if isinstance(e, TextDelta))
    (usage,) = [e.usage for e in events if isinstance(e, UsageReport)]
    cap = 5 if api == "chat" else LEAST_OUTPUT  # the Responses API takes no cap under 16
    assert usage.prompt_tokens > 0 and usage.completion_tokens == cap
    done = events[-1]
    assert isinstance(done, Done) and done.finish_reason == "length" and done.model == MODEL


@pytest.mark.parametrize("api", APIS)
def test_a_tool_round(run: Run, real: RealServer, home: Path, api: str) -> None:
    """goshi offers its tools on every ask (the server takes them: the tests above pass with
    them); a round needs a chat template that can call one, and a model that does."""
    caps = real.props.get("chat_template_caps", {})
    if not caps.get("supports_tool_calls"):
        pytest.skip(
            "the server takes tools but its chat template cannot call one"
            " (/props chat_template_caps.supports_tool_calls is false): no round to run"
        )
    (home / "work" / "notes.txt").write_text("The word is heron.\n")
    r = run("ask", "--json", "Call read_file on notes.txt and say the word.", api=api)
    assert r.code in (0, 8), r.stderr
    exported = json.loads(run("history", "export", "1", "--format", "json").stdout)
    calls = [c for m in exported["messages"] for c in m["tool_calls"]]
    if not calls:
        pytest.skip("the model made no tool call")
    results = [m for m in exported["messages"] if m["role"] == "tool"]
    assert len(results) == len(calls) and exported["messages"][-1]["role"] == "assistant"
