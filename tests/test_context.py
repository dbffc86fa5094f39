"""Long conversations: goshi knows the model's context window and keeps a conversation going
past it (goshi/context/), over loopback against a server that enforces a window."""

from __future__ import annotations

import io
import json
import random
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from goshi.context.count import Counter
from goshi.context.fit import TooBig, fit
from goshi.context.overflow import overflow
from goshi.llm.types import Message, ToolCall
from goshi.store.engine import sqlite3
from tests.conftest import GOSHI
from tests.test_chat import chat as _pty_chat  # noqa: F401  (registers the `chat` fixture)
from tests.wire_server import (
    CONTEXT_DIALECTS,
    ContextServer,
    OllamaContextServer,
    WireServer,
    llamacpp_models,
    llamacpp_props,
    ollama_show,
    openai_stream,
    server_tokens,
)

PAGE = "The quick brown fox jumps over the lazy dog. " * 40  # ~1.8 KB: a pasted page


def config(home: Path, text: str) -> dict[str, str]:
    cfg = home / "ctx.yaml"
    cfg.write_text(
        "backend: openai\nretry: {attempts: 1}\nhttp: {connect_timeout_s: 2, read_timeout_s: 5}\n"
        + text
    )
    return {"GOSHI_CONFIG": str(cfg)}


def db(home: Path) -> sqlite3.Connection:
    return sqlite3.connect(home / "data" / "goshi" / "goshi.db")


def ask_json(goshi, env: dict[str, str], *words: str, cont: bool = True) -> dict:  # type: ignore[no-untyped-def, type-arg]
    r = goshi("ask", "--json", *(["-c"] if cont else []), *words, **env)
    assert r.code == 0, r.stderr
    return json.loads(r.stdout)  # type: ignore[no-any-return]


# --- what a server says -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "window", "asked"),
    [
        (
            "This model's maximum context length is 128000 tokens. However, your messages "
            "resulted in 130015 tokens. Please reduce the length of the messages.",
            128000,
            130015,
        ),
        (
            "request (4476 tokens) exceeds the available context size (4096 tokens), try "
            "increasing it",
            4096,
            4476,
        ),
        ("the request exceeds the available context size, try increasing it", None, None),
        (
            "'max_tokens' or 'max_completion_tokens' is too large: 8000. This model's maximum "
            "context length is 4096 tokens and your request has 2778 input tokens "
            "(8000 > 4096 - 2778). None",
            4096,
            2778,
        ),
        (
            "The decoder prompt (length 8825) is longer than the maximum model length of 8192. "
            "Make sure that `max_model_len` is no smaller than the number of text tokens.",
            8192,
            8825,
        ),
        ("openai: HTTP 400: context_length_exceeded", None, None),
    ],
)
def test_each_servers_context_exceeded_wording_is_read(
    text: str, window: int | None, asked: int | None
) -> None:
    said = overflow(text)
    assert said is not None and (said.window, said.asked) == (window, asked)


def test_other_rejections_are_not_overflows() -> None:
    assert overflow("model 'x' not found") is None
    assert overflow("Unsupported parameter: 'max_tokens'") is None


# --- fitting keeps every tool call with its result ----------------------------------------


def random_conversation(rng: random.Random, turns: int) -> list[Message]:
    messages = [Message("system", "be brief")]
    row = 0
    for t in range(turns):
        row += 1
        messages.append(Message("user", f"q{t} " + "x" * rng.randint(10, 3000), stored_id=row))
        for r in range(rng.randint(0, 3)):
            calls = [
                ToolCall(f"c{t}_{r}_{k}", "read_file", json.dumps({"path": f"f{t}_{k}.py"}))
                for k in range(rng.randint(1, 3))
            ]
            row += 1
            messages.append(Message("assistant", "", calls, stored_id=row))
            for call in calls:
                row += 1
                body = "y" * rng.randint(10, 20000)
                messages.append(Message("tool", body, tool_call_id=call.id, stored_id=row))
        row += 1
        messages.append(Message("assistant", f"a{t}", stored_id=row))
    return messages


def assert_pairs_valid(sent: list[Message]) -> None:
    """Every tool result follows the assistant message that called it, and every call has its
    result: what OpenAI requires, or it answers 400."""
    open_calls: set[str] = set()
    for m in sent:
        if m.role == "tool":
            assert m.tool_call_id in open_calls, f"orphan tool result {m.tool_call_id}"
            open_calls.discard(m.tool_call_id)
        else:
            assert not open_calls, f"calls without results: {open_calls}"
            open_calls = {c.id for c in m.tool_calls}
    assert not open_calls


def test_the_questions_own_tool_results_are_kept_while_older_turns_can_go() -> None:
    """Folding the older turn makes room: the result the model is working from stays whole."""
    call = ToolCall("c1", "read_file", json.dumps({"path": "big.py"}))
    messages = [
        Message("system", "be brief"),
        Message("user", "an older question " + "o" * 3000, stored_id=1),
        Message("assistant", "its answer " + "a" * 3000, stored_id=2),
        Message("user", "the question", stored_id=3),
        Message("assistant", "", [call], stored_id=4),
        Message("tool", "y" * 9000, tool_call_id="c1", stored_id=5),
    ]
    plan = fit(messages, 4000, Counter().count, keep=0, fold_reserve=200)
    assert plan.folded == [messages[1:3]] and plan.shortened == 0
    assert plan.messages == [messages[0], *messages[3:]]


def fuzz_case(seed: int) -> tuple[list[Message], int, int]:
    """A conversation ending in a question of any size, a budget and how many turns to keep."""
    rng = random.Random(seed)
    messages = random_conversation(rng, rng.randint(1, 30))
    messages.append(Message("user", "the question " + "z" * rng.choice([0, 8000, 30000, 400000])))
    return messages, rng.choice([2000, 5000, 20000, 100000]), rng.randint(0, 3)


def must_be_too_big(messages: list[Message], budget: int) -> bool:
    """Only when the system prompt and the question alone, with the summary of everything
    before, do not fit (the question here has no tool results to shorten)."""
    return Counter().count([messages[0], messages[-1]]) + 200 > budget


def test_the_fitting_fuzz_has_questions_that_fit_and_questions_that_cannot() -> None:
    too_big = [must_be_too_big(*fuzz_case(seed)[:2]) for seed in range(30)]
    assert 5 <= too_big.count(True) <= 25, too_big


@pytest.mark.parametrize("seed", range(30))
def test_fitting_never_sends_an_orphan_tool_message(seed: int) -> None:
    messages, budget, keep = fuzz_case(seed)
    count = Counter().count
    if must_be_too_big(messages, budget):
        with pytest.raises(TooBig):
            fit(messages, budget, count, keep=keep, fold_reserve=200)
        return
    plan = fit(messages, budget, count, keep=keep, fold_reserve=200)
    sent = plan.messages
    assert_pairs_valid(sent)
    assert sent[0].role == "system" and sent[-1] == messages[-1]
    assert count(sent) + (200 if plan.folded else 0) <= budget
    for m in sent:
        if m.role == "tool" and m.content.startswith("[goshi:"):
            assert "read_file f" in m.content  # the path stays beside the marker


# --- knowing the window ---------------------------------------------------------------------


def test_prices_shows_each_models_window_and_the_override(goshi, home: Path) -> None:
    env = config(home, "context: {windows: {my-finetune: 32768}}\n")
    out = goshi("prices", **env).stdout
    assert "128,000" in next(line for line in out.splitlines() if "gpt-4o-mini " in line)
    assert "32,768" in next(line for line in out.splitlines() if "my-finetune" in line)


def test_a_llamacpp_server_says_its_window_in_props(goshi, server, home: Path) -> None:
    server.files["/props"] = llamacpp_props(4096)
    env = config(home, "openai: {model: local-model}\n")
    result = ask_json(goshi, env, "hi", cont=False)
    assert result["context_window"] == 4096 and result["context_tokens"] > 0
    assert result["compacted"] is False


def test_without_props_the_model_lists_slot_context_is_the_window(
    goshi, server, home: Path
) -> None:
    """The window `goshi models` shows is the one a turn uses: llama.cpp's meta.n_ctx when /props
    has none (a proxy that serves only /v1), never its meta.n_ctx_train."""
    server.models.push(llamacpp_models("local-model", n_ctx=6144, n_ctx_train=131072))
    env = config(home, "openai: {model: local-model}\n")
    assert ask_json(goshi, env, "hi", cont=False)["context_window"] == 6144


@pytest.mark.parametrize(
    "n_ctx",
    [float("nan"), float("inf"), 1e400, 8192.5, 10**8, -1, "8192", True],
    ids=["nan", "inf", "1e400", "fraction", "1e8", "negative", "text", "true"],
)
def test_a_window_no_window_can_be_is_unknown(goshi, server, home: Path, n_ctx: object) -> None:
    """/props is the server's word: NaN, Infinity, a fraction, 10^8 or more is no window."""
    server.files["/props"] = llamacpp_props(n_ctx)
    env = config(home, "openai: {model: local-model}\n")
    result = ask_json(goshi, env, "hi", cont=False)
    assert result["context_window"] is None and result["text"]


def test_ollama_says_the_num_ctx_in_use(goshi, server, home: Path) -> None:
    server.files["/api/show"] = ollama_show(2048)
    env = config(home, "backend: ollama\n")
    assert ask_json(goshi, env, "hi", cont=False)["context_window"] == 2048
    env = config(home, "backend: ollama\nollama: {num_ctx: 8192}\n")
    assert ask_json(goshi, env, "hi", cont=False)["context_window"] == 8192


def test_an_unknown_window_stays_unknown(goshi, home: Path) -> None:
    env = config(home, "openai: {model: local-model}\n")
    result = ask_json(goshi, env, "hi", cont=False)
    assert result["context_window"] is None and result["compacted"] is False


# --- recovering when the server says no -----------------------------------------------------


@pytest.mark.parametrize("dialect", CONTEXT_DIALECTS)
def test_a_context_exceeded_400_compacts_once_and_is_sent_again(
    goshi, server, home: Path, dialect: str
) -> None:
    model = ContextServer(window=3000, dialect=dialect)
    server.openai.default = model
    env = config(home, "openai: {model: local-model}\ncontext: {keep_turns: 1}\n")
    for i in range(6):
        result = ask_json(goshi, env, f"page {i}: {PAGE}", cont=i > 0)
        assert result["text"].startswith("answer")
    assert model.rejected == 1  # once learned, the window is known to every later process
    assert model.summaries >= 1
    assert result["context_window"] == 3000
    requests = server.chat_requests()
    assert all(server_tokens(r.body) <= 3000 for r in requests[-2:])
    shown = goshi("history", "show", "1", **env).stdout
    assert all(f"page {i}:" in shown for i in range(6))  # the stored conversation is whole
    assert "context compacted" in shown
    # the rejected request's ledger row, opened before it was sent, is gone; no row stays open
    spent = json.loads(goshi("cost", "--json", "--since", "2000-01-01", **env).stdout)
    assert spent["open_answers"] == 0
    assert spent["answers"] == len(requests) - model.rejected


def test_ollama_never_gets_more_than_its_num_ctx(goshi, server, home: Path) -> None:
    """Ollama cuts an overlong prompt from the front without a word (the system prompt and the
    first turns go first), so goshi must fit the conversation before sending: it never learns
    of an overflow from an error."""
    model = OllamaContextServer(window=3000)
    server.ollama.default = model
    env = config(home, "backend: ollama\nollama: {num_ctx: 3000}\ncontext: {keep_turns: 1}\n")
    for i in range(6):
        result = ask_json(goshi, env, f"page {i}: {PAGE}", cont=i > 0)
        assert result["text"] == f"answer {i + 1}"
    assert model.truncated == 0 and model.summaries >= 1
    assert result["context_window"] == 3000
    chats = [r for r in server.requests if r.path == "/api/chat"]
    assert all(server_tokens(r.body) <= 3000 for r in chats)
    assert all(r.body["options"]["num_ctx"] == 3000 for r in chats)
    shown = goshi("history", "show", "1", **env).stdout
    assert all(f"page {i}:" in shown for i in range(6)) and "context compacted" in shown


def test_a_question_too_big_alone_exits_7_saying_by_how_much(goshi, server, home: Path) -> None:
    server.openai.default = ContextServer(window=1000)
    env = config(home, "openai: {model: local-model}\n")
    r = goshi("ask", PAGE * 4, **env)
    assert r.code == 7
    assert "does not fit local-model's context window" in r.stderr
    assert "tokens over" in r.stderr and "Traceback" not in r.stderr


# --- fitting before sending -------------------------------------------------------------------


def test_old_tool_results_are_shortened_first_and_pairs_stay_valid(
    goshi, server, home: Path
) -> None:
    (home / "work" / "big.txt").write_text("line of a big file\n" * 1500)  # ~28 KB
    model = ContextServer(window=10000)
    model.tool_calls = [("call_big", "read_file", '{"path": "big.txt"}')]
    server.openai.default = model
    env = config(
        home,
        "openai: {model: local-model}\ncontext: {windows: {local-model: 10000}, keep_turns: 1}\n",
    )
    ask_json(goshi, env, "read big.txt", cont=False)
    for i in range(3):
        result = ask_json(goshi, env, f"question {i}")
    sent = [
        Message(
            m["role"],
            m.get("content") or "",
            [
                ToolCall(c["id"], c["function"]["name"], c["function"]["arguments"])
                for c in m.get("tool_calls") or ()
            ],
            m.get("tool_call_id"),
        )
        for m in server.chat_requests()[-1].body["messages"]
    ]
    assert_pairs_valid(sent)
    tool = next(m for m in sent if m.role == "tool")
    assert tool.content.startswith("[goshi: the result of read_file big.txt")
    assert result["compacted"] is True and model.summaries == 0 and model.rejected == 0


def test_the_summary_is_charged_and_goshi_cost_counts_it(goshi, server, home: Path) -> None:
    model = ContextServer(window=3000)
    server.openai.default = model
    env = config(home, "context: {windows: {gpt-4o-mini: 3000}, keep_turns: 1}\n")
    for i in range(5):
        ask_json(goshi, env, f"page {i}: {PAGE}", cont=i > 0)
    assert model.summaries >= 1 and model.rejected == 0
    cost = json.loads(goshi("cost", "--json", "--since", "2000-01-01", **env).stdout)
    assert cost["answers"] == 5 + model.summaries
    rows = db(home).execute("SELECT cost_pico FROM compactions").fetchall()
    assert rows and all(c and c > 0 for (c,) in rows)
    # an export says where the model's view was folded, and what it was sent instead
    exported = json.loads(goshi("history", "export", "1", "--format", "json", **env).stdout)
    (first, *_) = exported["compactions"]
    assert first["strategy"] == "summarize" and first["summary"] and first["cost_usd"] > 0
    ids = [m["id"] for m in exported["messages"]]
    assert ids[0] <= first["after_message_id"] < ids[-1]
    md = goshi("history", "export", "1", **env).stdout
    assert md.count("> *Context compacted: the ") == len(rows)
    assert md.index("page 0:") < md.index("> *Context compacted") < md.index("page 4:")


def test_a_summary_that_would_break_a_limit_is_refused_and_nothing_is_sent(
    goshi, server, home: Path
) -> None:
    model = ContextServer(window=3000)
    server.openai.default = model
    env = config(home, "context: {windows: {gpt-4o-mini: 2600}, keep_turns: 1}\n")
    for i in range(3):
        ask_json(goshi, env, "--no-tools", f"page {i}: {PAGE}", cont=i > 0)
    assert model.summaries == 0  # three pages fit; the fourth needs a summary
    sent_before = len(server.chat_requests())
    r = goshi("ask", "-c", "--no-tools", "--max-cost", "0.0000001", f"page 3: {PAGE}", **env)
    assert r.code == 6 and "nothing was sent" in r.stderr
    assert "the summary that would fit" in r.stderr and "context.strategy: drop" in r.stderr
    assert len(server.chat_requests()) == sent_before and model.summaries == 0


def test_the_answers_cap_is_lowered_to_what_the_window_can_hold(goshi, server, home: Path) -> None:
    model = ContextServer(window=3000, dialect="vllm")
    server.openai.default = model
    env = config(home, "context: {windows: {gpt-4o-mini: 3000}}\n")
    result = ask_json(goshi, env, "--max-cost", "1", f"page: {PAGE}", cont=False)
    body = server.chat_requests()[-1].body
    assert result["text"] == "answer 1" and model.rejected == 0
    assert 0 < body["max_tokens"] <= 3000 - server_tokens(body)


def test_drop_leaves_old_turns_out_without_a_request(goshi, server, home: Path) -> None:
    model = ContextServer(window=3000)
    server.openai.default = model
    env = config(
        home,
        "openai: {model: local-model}\ncontext: {strategy: drop, windows: {local-model: 3000}}\n",
    )
    for i in range(6):
        result = ask_json(goshi, env, f"page {i}: {PAGE}", cont=i > 0)
    assert model.summaries == 0 and model.rejected == 0 and result["text"] == "answer 6"
    system = server.chat_requests()[-1].body["messages"][0]
    assert system["role"] == "system" and "were left out" in system["content"]


def test_ctrl_c_during_a_summary_leaves_the_conversation_as_it_was(
    env, server: WireServer, home: Path
) -> None:
    model = ContextServer(window=3000)
    server.openai.default = model
    cfg = config(home, "context: {windows: {gpt-4o-mini: 2600}, keep_turns: 1}\n")
    run = {**env, **cfg}
    for i in range(3):
        subprocess.run(
            [GOSHI, "ask", "-c", "--no-tools", f"page {i}: {PAGE}"],
            env=run,
            cwd=home / "work",
            capture_output=True,
            check=True,
            timeout=30,
            start_new_session=True,
        )
    before = db(home).execute("SELECT id, role, content, status FROM messages").fetchall()
    slow = openai_stream([f" w{i}" for i in range(200)], delay_s=0.05)
    server.openai.push(slow)
    proc = subprocess.Popen(
        [GOSHI, "ask", "-c", "--no-tools", f"page 3: {PAGE}"],
        env=run,
        cwd=home / "work",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while len(server.chat_requests()) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 130, err
    assert "interrupted while summarizing" in err and out == ""
    assert db(home).execute("SELECT count(*) FROM compactions").fetchone()[0] == 0
    after = db(home).execute("SELECT id, role, content, status FROM messages").fetchall()
    assert after[: len(before)] == before
    question = f"page 3: {PAGE}".strip()
    assert [row[1:] for row in after[len(before) :]] == [("user", question, "failed")]


# --- a long conversation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("turns", "folds"),
    [(70, 2), pytest.param(200, 5, marks=pytest.mark.slow)],
    ids=["70-turns", "200-turns"],
)
def test_a_200_turn_conversation_keeps_answering(
    env, server: WireServer, home: Path, monkeypatch, turns: int, folds: int
) -> None:
    """A conversation far past its window keeps answering, folded as it goes (70 turns by
    default, the 200 with --slow)."""
    from goshi.turn.session import Session, SessionOptions
    from goshi.ui.approve import Approval
    from goshi.ui.output import PipeOutput

    model = ContextServer(window=4096)
    server.openai.default = model
    for name, value in {**env, **config(home, "context: {windows: {gpt-4o-mini: 4096}}\n")}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(home / "work")
    session = Session.start(SessionOptions(), Approval(False))
    for i in range(turns):
        outcome = session.ask(
            f"turn {i}: " + PAGE[: 200 + (i * 37) % 900], PipeOutput(io.StringIO())
        )
        assert outcome.answer.text == f"answer {i + 1}"
    assert model.answered == turns and model.rejected == 0 and model.summaries > folds
    assert all(server_tokens(r.body) <= 4096 for r in server.chat_requests())
    transcript = session.store.transcript(session.cid)
    assert [m.content.split(":")[0] for m in transcript if m.role == "user"] == [
        f"turn {i}" for i in range(turns)
    ]


# --- the chat: the footer's ctx figure, /context and /compact ----------------------------------


def test_the_chat_footer_shows_the_context_filling_and_being_folded(
    request: pytest.FixtureRequest, env, server, home: Path
) -> None:
    chat = request.getfixturevalue("_pty_chat")
    model = ContextServer(window=3000)
    server.openai.default = model
    env.update(config(home, "context: {windows: {gpt-4o-mini: 3000}, keep_turns: 1}\n"))
    t = chat("--no-tools")
    seen = []
    for i in range(5):
        t.send(f"\x1b[200~page {i}: {PAGE}\x1b[201~\r")
        t.wait_for(f"answer {model.answered + 1}")
        t.prompt()
        seen.append(int(re.findall(r"ctx (\d+)% of 3k", t.text())[-1]))
    assert seen[0] < seen[1] < seen[2]  # filling
    assert min(seen[3:]) < max(seen)  # and folded
    t.wait_for(r"context \d+% of 3k: folded \d+ old turns? into a summary")
    t.say("/context")
    t.wait_for(r"window: 3,000 tokens \(goshi.yaml\)")
    t.wait_for(r"summary: \d+ earlier turns?")
    t.prompt()
    t.say("/compact")
    t.wait_for(r"sent: 1 turn, ")
    t.prompt()
    assert model.rejected == 0


def test_the_summary_transcript_keeps_the_earlier_summary_and_the_newest_turns() -> None:
    from goshi.turn.summary import transcript

    turns = [
        [Message("user", f"q{i} " + "x" * 300), Message("assistant", f"a{i}")] for i in range(50)
    ]
    text = transcript("the earlier summary", turns, 1000)
    assert text.startswith("Summary of what came before:\nthe earlier summary")
    assert "User: q49" in text and "Assistant: a49" in text and "q0 " not in text
    assert len(text.encode()) // 3 <= 1000
