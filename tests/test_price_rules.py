"""Honest accounting: the rate the provider applied — long-context tier, service tier, region —
priced from what the response proves, exactly, and kept in the ledger by rule."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from goshi.config import LongContextPrice, Price, TierPrice
from goshi.cost.meter import cost_of, usd
from goshi.cost.prices import load_table, parse_table, region_of, resolve
from goshi.llm.types import Usage
from tests.wire_server import openai_stream

# gpt-5.4: $2.50 in, $0.25 cached, $15 out per 1M; past 272K prompt tokens 2x in, 1.5x out.


def ask_json(goshi, *args: str, stdin: str | None = None) -> dict:
    r = goshi("ask", "--json", *args, stdin=stdin)
    assert r.code == 0, r.stderr
    return json.loads(r.stdout)


def test_a_long_prompt_is_billed_at_the_long_context_rate(goshi, server) -> None:
    server.openai.push(openai_stream("ok", usage=(300_000, 1_000, 0), model="gpt-5.4"))
    result = ask_json(goshi, "-m", "gpt-5.4", "hi")
    assert result["cost_usd"] == pytest.approx(300_000 * 5.0 / 1e6 + 1_000 * 22.5 / 1e6, abs=1e-9)


@pytest.mark.parametrize(
    ("prompt", "per_in", "per_out"), [(272_000, 2.5, 15.0), (272_001, 5.0, 22.5)]
)
def test_the_threshold_itself_is_standard(goshi, server, prompt, per_in, per_out) -> None:
    server.openai.push(openai_stream("ok", usage=(prompt, 100, 0), model="gpt-5.4"))
    result = ask_json(goshi, "-m", "gpt-5.4", "hi")
    assert result["cost_usd"] == pytest.approx((prompt * per_in + 100 * per_out) / 1e6, abs=1e-12)


@pytest.mark.parametrize(("tier", "factor"), [("priority", 2), ("flex", 0.5), ("default", 1)])
@pytest.mark.parametrize("stream", [True, False])
def test_the_tier_the_response_names_sets_the_price(goshi, server, tier, factor, stream) -> None:
    reply = openai_stream(
        "ok", usage=(10_000, 2_000, 4_000), model="gpt-4o-mini", extra={"service_tier": tier}
    )
    server.openai.push(reply)
    result = ask_json(goshi, "hi", *([] if stream else ["--no-stream"]))
    standard = (6_000 * 0.15 + 4_000 * 0.075 + 2_000 * 0.60) / 1e6
    assert result["cost_usd"] == pytest.approx(standard * factor, abs=1e-12)


def test_priority_and_long_context_combine(goshi, server) -> None:
    reply = openai_stream(
        "ok", usage=(400_000, 1_000, 0), model="gpt-5.4", extra={"service_tier": "priority"}
    )
    server.openai.push(reply)
    result = ask_json(goshi, "-m", "gpt-5.4", "hi")
    assert result["cost_usd"] == pytest.approx((400_000 * 10.0 + 1_000 * 45.0) / 1e6, abs=1e-9)


def test_the_requested_tier_is_sent_and_used_when_the_server_says_nothing(
    goshi, server, home
) -> None:
    (home / "tier.yaml").write_text(
        "backend: openai\nopenai: {service_tier: flex}\nhttp: {read_timeout_s: 2}\n"
    )
    server.openai.push(openai_stream("ok", usage=(1_000_000, 0, 0)))
    result = ask_json(goshi, "--config", str(home / "tier.yaml"), "hi")
    assert server.chat_requests()[-1].body["service_tier"] == "flex"
    assert result["cost_usd"] == pytest.approx(0.075, abs=1e-12)


def test_the_limit_estimate_uses_the_long_context_rate(goshi, server) -> None:
    # ~300K estimated prompt tokens: $0.81 at the standard rate, $1.59 at the long-context one
    big = "word " * 180_000
    r = goshi("ask", "-m", "gpt-5.4", "--max-cost", "1.0", "summarize", stdin=big)
    assert r.code == 6, r.stderr
    assert "nothing was sent" in r.stderr and server.chat_requests() == []


def test_cost_json_breaks_spend_down_by_rule(goshi, server) -> None:
    server.openai.push(
        openai_stream("a", usage=(300_000, 0, 0), model="gpt-5.4"),
        openai_stream("b", usage=(1_000_000, 0, 0), extra={"service_tier": "priority"}),
        openai_stream("c", usage=(1_000_000, 0, 0)),
    )
    ask_json(goshi, "-m", "gpt-5.4", "one")
    ask_json(goshi, "two")
    ask_json(goshi, "three")
    report = json.loads(goshi("cost", "--json", "--since", "2000-01-01").stdout)
    rules = report["by_rule"]
    assert rules["long_context"]["yes"] == pytest.approx(1.5)
    assert rules["service_tier"]["priority"] == pytest.approx(0.30)
    assert rules["service_tier"]["standard"] == pytest.approx(1.5 + 0.15)
    assert report["total_usd"] == pytest.approx(1.5 + 0.30 + 0.15)
    assert "service_tier priority" in goshi("cost", "--since", "2000-01-01").stdout


def test_a_goshi_yaml_override_can_carry_the_rules(goshi, server, home) -> None:
    (home / "rules.yaml").write_text(
        "backend: openai\n"
        "cost:\n"
        "  prices:\n"
        "    house-model:\n"
        "      input_per_mtok: 1\n"
        "      output_per_mtok: 2\n"
        "      long_context: {threshold_tokens: 1000, input_multiplier: 3, output_multiplier: 2}\n"
        "      service_tiers: {priority: {input_per_mtok: 7, output_per_mtok: 9}}\n"
    )
    cfg = ("--config", str(home / "rules.yaml"))
    server.openai.push(openai_stream("ok", usage=(2_000, 1_000, 0), model="house-model"))
    assert ask_json(goshi, *cfg, "-m", "house-model", "hi")["cost_usd"] == pytest.approx(
        (2_000 * 3 + 1_000 * 4) / 1e6, abs=1e-12
    )
    priority = openai_stream(
        "ok", usage=(500, 1_000, 0), model="house-model", extra={"service_tier": "priority"}
    )
    server.openai.push(priority)
    assert ask_json(goshi, *cfg, "-m", "house-model", "hi")["cost_usd"] == pytest.approx(
        (500 * 7 + 1_000 * 9) / 1e6, abs=1e-12
    )
    listing = goshi("prices", *cfg).stdout
    assert "house-model" in listing and ">1,000 in: 3x in 2x out" in listing


def test_a_regional_host_adds_the_uplift_to_the_models_that_document_it() -> None:
    table = load_table()
    assert region_of("https://eu.api.openai.com/v1", table) == "eu"
    assert region_of("https://api.openai.com/v1", table) is None
    usage = Usage(100_000, 1_000_000, 0)
    gpt54 = resolve("gpt-5.4", "openai", table, {})
    mini = resolve("gpt-4o-mini", "openai", table, {})
    assert gpt54 is not None and mini is not None
    eu = gpt54.rate(usage.prompt_tokens, None, "eu")
    assert usd(cost_of(usage, eu)) == pytest.approx((0.25 + 15.0) * 1.1, abs=1e-12)
    assert eu.applied.region == "eu"
    assert mini.rate(1, None, "eu").applied.region is None  # no uplift documented: none applied


def test_an_old_flat_table_still_loads_and_a_bad_rule_is_refused() -> None:
    old = {"as_of": "2026-01-01", "models": {"m": {"input": 1, "output": 2}}}
    table = parse_table(json.dumps(old), "old")
    assert table.models["m"].base.input == Decimal(1) and table.models["m"].long_context is None
    bad = {**old, "models": {"m": {"input": 1, "output": 2, "long_context": {"threshold": -5}}}}
    with pytest.raises(ValueError, match=r"long_context\.threshold"):
        parse_table(json.dumps(bad), "bad")
    absurd = {**old, "models": {"m": {"input": 1e300, "output": 2}}}
    with pytest.raises(ValueError, match=r"models\.m\.input: .* is past"):
        parse_table(json.dumps(absurd), "absurd")


def test_an_override_keeps_the_shared_tiers() -> None:
    table = load_table()
    override = {"x": Price(1.0, 2.0, long_context=LongContextPrice(None))}
    pricing = resolve("x", "openai", table, override)
    assert pricing is not None and "priority" in pricing.tiers
    own = {"x": Price(1.0, 2.0, service_tiers={"flex": TierPrice(multiplier=0.25)})}
    pricing = resolve("x", "openai", table, own)
    assert pricing is not None
    assert pricing.rate(10, "flex").input == 250_000
