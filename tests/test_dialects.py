"""The dialect corpus: every file in tests/dialects/ is one server's recorded-shape transcript,
replayed byte for byte by the test server, streamed and not. Adding a dialect is adding a file.

Each is checked twice: the backend's events in process (text, reasoning, usage, finish reason,
tool calls, or the error's exit code), and `goshi ask` as a user runs it (exit code, the --json
object, the pipe's stdout, a stderr line that says why an answer is cut or missing).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from goshi.config import HttpSettings, OllamaSettings, OpenAISettings
from goshi.errors import GoshiError
from goshi.llm import http
from goshi.llm.ollama import OllamaBackend
from goshi.llm.openai import OpenAIBackend
from goshi.llm.params import InProcess
from goshi.llm.types import (
    ChatRequest,
    Done,
    Event,
    Message,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    UsageReport,
)
from tests.conftest import FAST_CONFIG
from tests.wire_server import Dialect, WireServer, load_dialect

CORPUS = sorted((Path(__file__).parent / "dialects").glob("*.txt"))
MODES = ("stream", "whole")
CASES = [pytest.param(path, mode, id=f"{path.stem}-{mode}") for path in CORPUS for mode in MODES]
# `goshi ask` end to end: every transcript by default, streamed or not in turn (the backend
# test above reads each both ways); both ways with --slow
ASK_CASES = [
    pytest.param(
        path,
        mode,
        id=f"{path.stem}-{mode}",
        marks=[pytest.mark.slow] if (n + m) % 2 else [],
    )
    for n, path in enumerate(CORPUS)
    for m, mode in enumerate(MODES)
]


def test_the_corpus_covers_every_server_family() -> None:
    names = " ".join(p.stem for p in CORPUS)
    for family in (
        "openai",
        "azure",
        "vllm",
        "llamacpp",
        "ollama",
        "mistral",
        "deepseek",
        "gateway",
    ):
        assert family in names, family


def backend_events(server: WireServer, dialect: Dialect, stream: bool) -> list[Event]:
    http.close()
    request = ChatRequest([Message("user", "hi")], "gpt-4o-mini", stream=stream, max_tokens=64)
    if dialect.route == "ollama":
        return list(OllamaBackend(OllamaSettings(host=server.url), HttpSettings()).chat(request))
    api = "responses" if dialect.route == "responses" else "chat"
    settings = OpenAISettings(base_url=f"{server.url}/v1", api=api)
    return list(OpenAIBackend(settings, HttpSettings(), "sk-x", InProcess()).chat(request))


@pytest.mark.parametrize(("path", "mode"), CASES)
def test_backend_reads_the_dialect(server: WireServer, path: Path, mode: str) -> None:
    dialect = load_dialect(path)
    expect = dialect.expect
    dialect.serve(server, mode)
    if expect["exit"] not in (0, 8):
        with pytest.raises(GoshiError) as caught:
            backend_events(server, dialect, mode == "stream")
        assert caught.value.exit_code == expect["exit"]
        assert expect["stderr"] in str(caught.value)
        return
    events = backend_events(server, dialect, mode == "stream")
    text = "".join(e.text for e in events if isinstance(e, TextDelta | RefusalDelta))
    assert text == expect.get("text", "")
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    assert reasoning == expect.get("reasoning", "")
    usage = [
        (e.usage.prompt_tokens, e.usage.completion_tokens)
        for e in events
        if isinstance(e, UsageReport)
    ]
    assert usage == ([tuple(expect["usage"])] if expect.get("usage") else [])
    done = events[-1]
    assert isinstance(done, Done) and done.finish_reason == expect["finish"]
    calls = [(c.name, json.loads(c.arguments)) for c in done.tool_calls]
    assert calls == [tuple(c) for c in expect.get("tools", [])]
    assert len({c.id for c in done.tool_calls}) == len(done.tool_calls)


def ask(goshi: Any, dialect: Dialect, *extra: str) -> Any:
    """`goshi ask` against the dialect: its route, its `args`, its `config` (YAML added to the
    test's own config file)."""
    args = dialect.headers.get("args", "").split()
    route = ["-b", "ollama"] if dialect.route == "ollama" else []
    env = {"GOSHI_OPENAI_API": "responses"} if dialect.route == "responses" else {}
    if config := dialect.headers.get("config"):
        path = Path(tempfile.mkdtemp()) / "goshi.yaml"
        path.write_text(FAST_CONFIG + yaml.safe_dump(yaml.safe_load(config)))
        env["GOSHI_CONFIG"] = str(path)
    return goshi("ask", *route, *args, *extra, "hi", **env)


@pytest.mark.parametrize(("path", "mode"), ASK_CASES)
def test_goshi_ask_against_the_dialect(
    goshi: Any, server: WireServer, path: Path, mode: str
) -> None:
    dialect = load_dialect(path)
    expect = dialect.expect
    tools = expect.get("tools")
    dialect.serve(server, mode, then_default=bool(tools))
    flags = ["--json"] + ([] if mode == "stream" else ["--no-stream"])
    r = ask(goshi, dialect, *flags)
    assert "Traceback" not in r.stderr
    assert r.code == expect["exit"], r.stderr
    # `ask_*` keys: what goshi makes of it where it differs from the backend's own view (a
    # context-exceeded 400 is compacted and asked again once, then said with the overshoot)
    if stderr := expect.get("ask_stderr", expect.get("stderr")):
        assert stderr in r.stderr
    if requests := expect.get("ask_requests", expect.get("requests")):
        assert len(server.chat_requests()) == requests[mode]
    if expect["exit"] not in (0, 8):
        assert r.stdout == ""
        return
    got = json.loads(r.stdout)
    if tools:  # the calls ran, each result went back, and the model answered after them
        sent = server.chat_requests()[1].body
        results = [m for m in sent.get("messages", ()) if m["role"] == "tool"] + [
            i for i in sent.get("input", ()) if i.get("type") == "function_call_output"
        ]
        assert len(results) == len(tools)
        assert got["text"] == "Hello from the test server."
        return
    assert got["text"] == expect.get("text", "")
    assert got["finish_reason"] == expect["finish"]
    assert got["refusal"] is expect.get("refusal", False)
    assert got["reasoning"] == (expect.get("reasoning") or None)
    if expect.get("usage"):
        assert [got["usage"]["prompt_tokens"], got["usage"]["completion_tokens"]] == expect["usage"]
        assert got["cost_estimated"] is False
    else:
        assert got["cost_estimated"] is True  # no sane usage: estimated, and said so
    if "model" in expect:
        assert got["model"] == expect["model"]
    if not got["text"]:
        assert r.stderr.strip(), "an empty answer must come with a line saying why"


@pytest.mark.parametrize(
    "path",
    [
        p
        for p in CORPUS
        if load_dialect(p).expect["exit"] in (0, 8) and not load_dialect(p).expect.get("tools")
    ],
    ids=lambda p: p.stem,
)
def test_a_pipe_gets_the_answer_and_never_the_reasoning(
    goshi: Any, server: WireServer, path: Path
) -> None:
    dialect = load_dialect(path)
    dialect.serve(server, "stream")
    r = ask(goshi, dialect)
    text = dialect.expect.get("text", "")
    assert r.stdout == (text + "\n" if text else "")
    reasoning = dialect.expect.get("reasoning")
    if reasoning:
        assert reasoning not in r.stdout and reasoning not in r.stderr
        verbose = ask(goshi, dialect, "-v")
        assert reasoning in verbose.stderr and verbose.stdout == r.stdout


def test_an_adapted_field_is_remembered_across_runs(goshi: Any, server: WireServer) -> None:
    dialect = load_dialect(Path(__file__).parent / "dialects" / "azure-foundry-stream-options.txt")
    dialect.serve(server, "stream")
    first = goshi("ask", "hi")
    assert first.code == 0 and "without it from now on" in first.stderr
    second = goshi("ask", "hi")  # a new process: the store remembers this server's choice
    assert second.code == 0 and "stream_options" not in second.stderr
    sent = ["stream_options" in r.body for r in server.chat_requests()]
    assert sent == [True, False, False]


def test_how_an_answer_ended_and_its_reasoning_are_stored(goshi: Any, server: WireServer) -> None:
    for name in ("openai-refusal", "deepseek-reasoner", "openai-length"):
        load_dialect(Path(__file__).parent / "dialects" / f"{name}.txt").serve(server, "stream")
        goshi("ask", "-c", "hi")
    shown = goshi("history", "show", "1").stdout
    assert "[refusal]" in shown and "[cut: length]" in shown
    exported = json.loads(goshi("history", "export", "1", "--format", "json").stdout)
    answers = [m for m in exported["messages"] if m["role"] == "assistant"]
    assert [(m["refusal"], m["finish_reason"]) for m in answers] == [
        (True, "stop"),
        (False, "stop"),
        (False, "length"),
    ]
    assert answers[1]["reasoning"] == "Compare 9.11 and 9.9 digit by digit."
    assert "digit by digit" not in answers[1]["content"]
