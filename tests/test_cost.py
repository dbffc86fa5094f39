"""Costs: exact per-answer figures, the ledger, limits enforced before sending, the price table."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from goshi.config import Price
from goshi.cost.meter import cost_of, usd
from goshi.cost.prices import load_table, resolve
from goshi.llm.types import Usage
from goshi.store import Store
from goshi.store.engine import sqlite3
from tests.conftest import GOSHI, start
from tests.faults import EVER, Day, mini_pico
from tests.wire_server import ollama_stream, openai_stream, static

# gpt-4o-mini: $0.15 in, $0.075 cached in, $0.60 out per 1M tokens
MINI_1000_200_500 = (800 * 0.15 + 200 * 0.075 + 500 * 0.60) / 1e6  # 0.000435


def ask_json(goshi, *args: str, **env: str) -> dict:
    r = goshi("ask", "--json", *args, **env)
    assert r.code == 0, r.stderr
    return json.loads(r.stdout)


def test_cost_is_exact_and_cached_tokens_are_not_counted_twice(goshi, server) -> None:
    server.openai.push(openai_stream("ok", usage=(1000, 500, 200)))
    result = ask_json(goshi, "hi")
    assert result["cost_usd"] == pytest.approx(MINI_1000_200_500, abs=1e-15)
    assert result["cost_estimated"] is False


def test_a_dated_snapshot_is_priced_as_its_family_unless_listed(goshi, server) -> None:
    server.openai.push(openai_stream("a", usage=(1_000_000, 0, 0), model="gpt-4o-2024-08-06"))
    assert ask_json(goshi, "hi")["cost_usd"] == pytest.approx(2.50)
    server.openai.push(openai_stream("b", usage=(1_000_000, 0, 0), model="gpt-4o-2024-05-13"))
    assert ask_json(goshi, "hi")["cost_usd"] == pytest.approx(5.00)


def test_goshi_yaml_prices_override_the_table(goshi, server, home: Path) -> None:
    (home / "p.yaml").write_text(
        "backend: openai\ncost:\n  prices:\n"
        "    gpt-4o-mini: {input_per_mtok: 1.0, output_per_mtok: 2.0}\n"
        "    my-finetune: {input_per_mtok: 3.0, cached_input_per_mtok: 1.0, output_per_mtok: 4.0}\n"
    )
    env = {"GOSHI_CONFIG": str(home / "p.yaml")}
    server.openai.push(openai_stream("a", usage=(1000, 1000, 0), model="gpt-4o-mini"))
    assert ask_json(goshi, "hi", **env)["cost_usd"] == pytest.approx(0.003, abs=1e-15)
    server.openai.push(openai_stream("b", usage=(1000, 1000, 400), model="my-finetune"))
    expected = (600 * 3.0 + 400 * 1.0 + 1000 * 4.0) / 1e6
    assert ask_json(goshi, "-m", "my-finetune", "hi", **env)["cost_usd"] == pytest.approx(
        expected, abs=1e-15
    )


def test_an_unknown_model_gets_no_guessed_price(goshi, server) -> None:
    server.openai.push(openai_stream("still answered", model="mystery-model-7b"))
    r = goshi("ask", "--json", "-m", "mystery-model-7b", "hi")
    assert r.code == 0
    assert json.loads(r.stdout)["cost_usd"] is None
    (line,) = r.stderr.splitlines()
    assert "no price for model 'mystery-model-7b'" in line
    assert 'cost: {prices: {"mystery-model-7b": {input_per_mtok: USD' in line


def test_a_model_with_no_price_is_said_once_a_day(goshi, server) -> None:
    """Every answer of an unpriced model used to warn; now the first of the day does, and each
    new model once (the rest go to the log)."""
    for _ in range(3):
        server.openai.push(openai_stream("ok", model="mystery-model-7b"))
    server.openai.push(openai_stream("ok", model="another-model"))
    said = [goshi("ask", "-m", "mystery-model-7b", "hi").stderr for _ in range(3)]
    assert "no price for model 'mystery-model-7b'" in said[0]
    assert said[1] == said[2] == ""
    other = goshi("ask", "-m", "another-model", "hi").stderr
    assert "no price for model 'another-model'" in other


def test_ollama_costs_nothing(goshi, server) -> None:
    server.ollama.push(ollama_stream("free", counts=(5000, 5000)))
    assert ask_json(goshi, "-b", "ollama", "hi")["cost_usd"] == 0.0


def test_no_usage_from_the_server_is_estimated_and_marked(goshi, server) -> None:
    server.openai.push(openai_stream("an answer of some length", include_usage=False))
    result = ask_json(goshi, "hi")
    assert result["cost_estimated"] is True
    assert result["cost_usd"] > 0


def test_a_session_limit_refuses_before_sending(goshi, server, home: Path) -> None:
    (home / "l.yaml").write_text("backend: openai\ncost: {session_limit_usd: 0.0001}\n")
    r = goshi("ask", "hi", GOSHI_CONFIG=str(home / "l.yaml"))
    assert r.code == 6
    assert server.chat_requests() == []
    assert "could cost up to $0.00" in r.stderr and "cost.session_limit_usd is $0.0001" in r.stderr
    assert "$0.000000 spent" in r.stderr and "nothing was sent" in r.stderr


def test_max_cost_refuses_before_sending(goshi, server) -> None:
    r = goshi("ask", "--max-cost", "0.000001", "hi")
    assert r.code == 6 and server.chat_requests() == []
    assert "--max-cost is $1e-06" in r.stderr


def test_under_a_limit_the_output_cap_is_sent(goshi, server) -> None:
    assert goshi("ask", "--max-cost", "1", "hi").code == 0
    assert server.chat_requests()[0].body["max_tokens"] == 32_768  # the ceiling: $1 buys more


def test_the_output_cap_is_sized_from_what_the_limit_leaves(goshi, server) -> None:
    # gpt-4o-mini: $0.15 in, $0.60 out per Mtok; $0.003 leaves room for about 5,000 tokens
    assert goshi("ask", "--max-cost", "0.003", "hi").code == 0
    cap = server.chat_requests()[0].body["max_tokens"]
    assert 4_500 < cap < 5_000  # the prompt and the tool schemas take the rest
    r = goshi("ask", "--max-cost", "0.0005", "hi")  # about 830 tokens: less than the floor
    assert r.code == 6 and len(server.chat_requests()) == 1


def test_the_daily_limit_counts_what_earlier_processes_spent(goshi, server, home) -> None:
    day = Day()
    server.openai.push(openai_stream("x", usage=(1_000_000, 0, 0)))  # $0.15
    assert goshi("ask", "hi").code == 0
    (home / "d.yaml").write_text("backend: openai\ncost: {daily_limit_usd: 0.1501}\n")
    r = goshi("ask", "hi again", GOSHI_CONFIG=str(home / "d.yaml"))
    if day.same:  # past midnight a new day's limit starts empty
        assert r.code == 6 and len(server.chat_requests()) == 1
        assert "cost.daily_limit_usd is $0.1501 with $0.1500 spent" in r.stderr


def test_crossing_warn_usd_warns_once(goshi, server, home: Path) -> None:
    (home / "w.yaml").write_text("backend: openai\ncost: {warn_usd: 0.0002}\n")
    env = {"GOSHI_CONFIG": str(home / "w.yaml")}
    for _ in range(3):
        server.openai.push(openai_stream("x", usage=(1000, 100, 0)))  # $0.00021 each
    first = goshi("ask", "hi", **env)
    assert "past cost.warn_usd ($0.0002)" in first.stderr
    second = goshi("ask", "-c", "more", **env)
    assert second.code == 0 and second.stderr == ""
    new_conversation = goshi("ask", "other", **env)
    assert "past cost.warn_usd" in new_conversation.stderr


def test_parallel_processes_ledger_equals_the_sum_of_answers(env, home, server) -> None:
    for i in range(6):
        server.openai.push(openai_stream("x", usage=(1000 + i * 7, 300 + i * 3, 100)))
    procs = [start(env, home, "ask", "--json", f"q{i}") for i in range(6)]
    costs = [json.loads(p.communicate(timeout=30)[0])["cost_usd"] for p in procs]
    report = subprocess.run(
        [GOSHI, "cost", "--json", *EVER],
        env=env,
        cwd=home / "work",
        capture_output=True,
        text=True,
        check=True,
        start_new_session=True,
    )
    total = json.loads(report.stdout)["total_usd"]
    assert total == pytest.approx(sum(costs), abs=1e-9)
    assert json.loads(report.stdout)["answers"] == 6


def test_sums_of_many_answers_do_not_drift(tmp_path: Path) -> None:
    pricing = resolve("gpt-4o-mini", "openai", load_table(), {})
    assert pricing is not None
    rate = pricing.rate()
    store = Store(tmp_path / "g.db")
    usages = [Usage(1000 + i, 333 + i % 7, i % 50) for i in range(2000)]
    for u in usages:
        store.record_spend(1, "openai", "gpt-4o-mini", u, cost_of(u, rate), False)
    exact = (
        sum(
            (
                (u.prompt_tokens - u.cached_tokens) * 0.15
                + u.cached_tokens * 0.075
                + u.completion_tokens * 0.60
            )
            for u in usages
        )
        / 1e6
    )
    assert usd(store.spent(cid=1)) == pytest.approx(exact, abs=1e-9)
    assert store.spent(cid=1) == sum(mini_pico(u) for u in usages)  # to the pico-dollar


def test_overrides_resolve_dated_names_too() -> None:
    rate = resolve("ft-2024-01-02", "openai", load_table(), {"ft": Price(1.0, 2.0)})
    assert rate is not None and rate.name == "ft" and rate.source == "goshi.yaml"


def test_goshi_cost_reports_today_by_model_and_conversation(goshi, server) -> None:
    day = Day()
    server.openai.push(openai_stream("a", usage=(1_000_000, 0, 0)))
    server.ollama.push(ollama_stream("b"))
    goshi("ask", "first question about money")
    goshi("ask", "-b", "ollama", "second")
    r = goshi("cost")
    assert r.code == 0
    if day.same:  # the asks and the report on one day (and so in one month)
        assert "today       $0.1500" in r.stdout and "this month  $0.1500" in r.stdout
    r = goshi("cost", *EVER)
    assert "gpt-4o-mini-2024-07-18" in r.stdout and "llama3.2" in r.stdout
    assert "first question about money" in r.stdout
    report = json.loads(goshi("cost", "--json", *EVER).stdout)
    assert report["total_usd"] == pytest.approx(0.15)
    assert report["by_backend"]["ollama"]["usd"] == 0
    assert list(report["by_day"].values()) == [pytest.approx(0.15)]
    assert report["top_conversations"][0]["first_line"] == "first question about money"
    assert goshi("cost", "--since", "soon").code == 2


NEW_TABLE = {
    "as_of": "2026-11-20",
    "source": "test",
    "models": {"gpt-4o-mini": {"input": 1.0, "cached_input": 0.5, "output": 2.0}},
}


def test_prices_update_from_a_file_and_a_url(goshi, server, home: Path) -> None:
    before = goshi("prices").stdout
    assert "prices as of 2026-06-30" in before and "gpt-4o-mini" in before
    (home / "new.json").write_text(json.dumps(NEW_TABLE))
    r = goshi("prices", "update", "--from", str(home / "new.json"))
    assert r.code == 0 and "as of 2026-11-20" in r.stdout
    assert "prices as of 2026-11-20" in goshi("prices").stdout
    server.openai.push(openai_stream("x", usage=(1_000_000, 0, 0)))
    assert ask_json(goshi, "hi")["cost_usd"] == pytest.approx(1.0)

    table = dict(NEW_TABLE, as_of="2026-11-21")
    server.files["/prices.json"] = static(json.dumps(table).encode())
    r = goshi("prices", "update", "--from", f"{server.url}/prices.json")
    assert r.code == 0 and "2026-11-21" in goshi("prices").stdout


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        '{"as_of": "yesterday", "models": {"m": {"input": 1, "output": 1}}}',
        '{"as_of": "2026-01-01", "models": {}}',
        '{"as_of": "2026-01-01", "models": {"m": {"input": -1, "output": 1}}}',
        '{"as_of": "2026-01-01", "models": {"m": {"input": "cheap", "output": 1}}}',
    ],
)
def test_a_corrupt_table_is_rejected_and_the_old_one_kept(goshi, home: Path, text: str) -> None:
    (home / "new.json").write_text(json.dumps(NEW_TABLE))
    assert goshi("prices", "update", "--from", str(home / "new.json")).code == 0
    (home / "bad.json").write_text(text)
    r = goshi("prices", "update", "--from", str(home / "bad.json"))
    assert r.code == 3 and "not a valid price table" in r.stderr and "kept" in r.stderr
    assert "prices as of 2026-11-20" in goshi("prices").stdout


def test_the_ledger_keeps_time_conversation_backend_and_model(goshi, server, home) -> None:
    server.openai.push(openai_stream("x", usage=(10, 5, 0)))
    cid = ask_json(goshi, "hi")["conversation_id"]
    db = sqlite3.connect(home / "data" / "goshi" / "goshi.db")
    ((at, conv, backend, model, p, c),) = db.execute(
        "SELECT at, conversation_id, backend, model, prompt_tokens, completion_tokens FROM ledger"
    ).fetchall()
    assert (conv, backend, model, p, c) == (cid, "openai", "gpt-4o-mini-2024-07-18", 10, 5)
    assert at > 1.7e9


# Anthropic's models behind an OpenAI-compatible proxy: cache writes cost 1.25x input there
CLAUDE = "claude-sonnet-4-5"
CACHE_PRICES = f"""\
backend: openai
cost:
  prices:
    {CLAUDE}: {{input_per_mtok: 3.0, cached_input_per_mtok: 0.30, cache_write_per_mtok: 3.75,
               output_per_mtok: 15.0}}
"""


def openrouter_usage(prompt: int, completion: int, cached: int, written: int) -> dict:
    """OpenRouter's usage accounting: both cache counts are parts of prompt_tokens."""
    details = {"cached_tokens": cached, "cache_write_tokens": written, "audio_tokens": 0}
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": details,
        "cost": 0.5,
    }


def litellm_usage(prompt: int, completion: int, cached: int, written: int) -> dict:
    """LiteLLM's proxy for an Anthropic model (anthropic/chat/transformation.py: the cache
    counts are added to prompt_tokens, and repeated in Anthropic's own names beside them)."""
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached, "cache_creation_tokens": written},
        "cache_creation_input_tokens": written,
        "cache_read_input_tokens": cached,
    }


def test_cache_writes_cost_the_rows_cache_write_price_else_the_input_price(
    goshi, server, home: Path
) -> None:
    (home / "cache.yaml").write_text(CACHE_PRICES)
    env = {"GOSHI_CONFIG": str(home / "cache.yaml")}
    answers = [
        (CLAUDE, openrouter_usage(10_000, 500, 2_000, 3_000)),
        # gpt-4o-mini's row has no cache-write price: the input price, never zero
        ("gpt-4o-mini", litellm_usage(10_000, 500, 2_000, 3_000)),
        # an older LiteLLM: the writes only in Anthropic's name, and more than the prompt leaves
        (
            CLAUDE,
            {
                **litellm_usage(1_000, 0, 800, 5_000),
                "prompt_tokens_details": {"cached_tokens": 800},
            },
        ),
    ]
    for model, usage in answers:
        server.openai.push(openai_stream("ok", model=model, raw_usage=usage))
        assert ask_json(goshi, "-m", model, "hi", **env)["cost_estimated"] is False
    db = sqlite3.connect(home / "data" / "goshi" / "goshi.db")
    costs = [c for (c,) in db.execute("SELECT cost_pico FROM ledger ORDER BY id")]
    assert costs == [
        # 5,000 x $3 + 2,000 x $0.30 + 3,000 x $3.75 + 500 x $15, per 1M tokens
        34_350_000_000,
        # 5,000 x $0.15 + 2,000 x $0.075 + 3,000 x $0.15 + 500 x $0.60
        1_650_000_000,
        # cut to what the prompt leaves: 800 x $0.30 + 200 x $3.75
        990_000_000,
    ]
    assert json.loads(goshi("cost", "--json", **env).stdout)["total_usd"] == 0.03699
    listed = goshi("prices", **env).stdout.splitlines()
    assert "cache writes 3.75" in next(line for line in listed if CLAUDE in line)


def test_a_limit_prices_the_prompt_as_cache_writes_when_they_cost_more(goshi, server, home) -> None:
    """Any prompt token may come back as a cache write: the estimate that guards a limit takes
    the dearer of the two prices, so it still bounds what the answer can cost."""
    (home / "w.yaml").write_text(
        "backend: openai\ncost: {prices: {house: {input_per_mtok: 1, cache_write_per_mtok: 100,"
        " output_per_mtok: 0}}}\n"
    )
    env = {"GOSHI_CONFIG": str(home / "w.yaml")}
    r = goshi("ask", "--no-tools", "-m", "house", "--max-cost", "0.0001", "hi", **env)
    assert r.code == 6 and server.chat_requests() == [], r.stderr
    assert goshi("ask", "--no-tools", "-m", "house", "--max-cost", "0.01", "hi", **env).code == 0
