"""Config and flags reject NaN, infinities and out-of-range integers with `file:line` or a usage
error, before anything is sent; `.inf` for a cost threshold means never."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults import assert_clean
from tests.wire_server import WireServer, openai_stream


@pytest.mark.parametrize(
    ("line", "said"),
    [
        (
            "retry: {base_delay_s: .nan}",
            "bad.yaml:2: retry.base_delay_s: expected a finite number, got nan",
        ),
        (
            "http: {read_timeout_s: .inf}",
            "bad.yaml:2: http.read_timeout_s: expected a finite number, got inf",
        ),
        (
            "cost: {warn_usd: -.inf}",
            "bad.yaml:2: cost.warn_usd: expected a finite number, got -inf",
        ),
        (
            "cost: {daily_limit_usd: .NaN}",
            "cost.daily_limit_usd: expected a finite number, got nan",
        ),
        ("retry: {attempts: 100000000000000000000000}", "retry.attempts: must be at most 1e+09"),
        ("breaker: {cooldown_s: 1.0e+300}", "breaker.cooldown_s: must be at most 1e+09"),
        ("tools: {max_steps: 0}", "tools.max_steps: must be at least 1"),
    ],
)
def test_config_rejects_nan_inf_and_huge_numbers_with_file_and_line(
    goshi, home: Path, server: WireServer, line: str, said: str
) -> None:
    (home / "bad.yaml").write_text(f"backend: openai\n{line}\n")
    for args in (
        ["config", "validate", str(home / "bad.yaml")],
        ["ask", "--config", str(home / "bad.yaml"), "hi"],
    ):
        assert_clean(goshi(*args), 3, said)
    assert server.chat_requests() == []


def test_inf_means_never_for_the_cost_thresholds(goshi, home: Path, server: WireServer) -> None:
    (home / "inf.yaml").write_text(
        "backend: openai\nretry: {base_delay_s: 0.01}\n"
        "cost: {warn_usd: .inf, session_limit_usd: .inf, daily_limit_usd: .inf}\n"
    )
    assert goshi("config", "validate", str(home / "inf.yaml")).code == 0
    server.openai.push(openai_stream("rich", usage=(10_000_000, 10_000_000, 0)))  # $7.50
    r = goshi("ask", "--config", str(home / "inf.yaml"), "hi")
    assert (r.code, r.stdout, r.stderr) == (0, "rich\n", "")
    assert "max_completion_tokens" not in server.chat_requests()[0].body  # no limit applies


def test_a_number_written_with_an_exponent_is_a_number(goshi, home: Path) -> None:
    """YAML 1.1 reads `1e-3` (no dot) as text; goshi takes it as the number it says."""
    (home / "exp.yaml").write_text("cost: {warn_usd: 1e-3, daily_limit_usd: 2E+1}\n")
    r = goshi("config", "show", "--config", str(home / "exp.yaml"))
    assert r.code == 0, r.stderr
    assert "cost.warn_usd: 0.001" in r.stdout and "cost.daily_limit_usd: 20.0" in r.stdout
    (home / "exp.yaml").write_text("cost: {warn_usd: 1e308}\n")
    r = goshi("config", "validate", str(home / "exp.yaml"))
    assert r.code == 3 and "exp.yaml:1: cost.warn_usd: must be at most 1e+09" in r.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["ask", "--max-cost", "nan", "hi"], "Invalid value for '--max-cost'"),
        (["ask", "--max-cost", "inf", "hi"], "Invalid value for '--max-cost'"),
        (["ask", "--max-cost", "-0.5", "hi"], "Invalid value for '--max-cost'"),
        (["ask", "--cid", "1" * 25, "hi"], "Invalid value for '--cid'"),
        (["ask", "--cid", "0", "hi"], "Invalid value for '--cid'"),
        (["history", "show", "9" * 25], "Invalid value for 'cid'"),
        (["history", "-n", "1" + "0" * 30], "Invalid value for '-n'"),
    ],
)
def test_flags_out_of_range_are_usage_errors(goshi, server, args: list[str], said: str) -> None:
    assert_clean(goshi(*args), 2, said)
    assert server.chat_requests() == []
