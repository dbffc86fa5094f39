"""`goshi models`: what each backend offers, priced from goshi's table, over the real wire."""

from __future__ import annotations

import json

from tests.wire_server import ollama_tags, openai_models, refused_port


def test_models_lists_both_backends_with_prices_and_the_default(goshi, server) -> None:
    server.models.push(openai_models(["gpt-4o-mini", "gpt-4.1", "my-finetune"]))
    server.tags.push(ollama_tags(["llama3.2:latest", "qwen2.5-coder:7b"]))
    r = goshi("models")
    assert r.code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == f"openai: {server.url}/v1"
    row = {line.split()[0]: line.split()[1:] for line in lines if line.startswith("  ")}
    # the window goshi knows; the endpoint it asks on (a local server: chat completions)
    assert row["gpt-4o-mini"] == ["0.15", "0.60", "128k", "chat", "default"]
    assert row["gpt-4.1"] == ["2.00", "8.00", "1M", "chat"]  # 1,047,576, as the footer says it
    assert row["my-finetune"] == ["-", "-", "-", "chat"]  # no price is guessed
    assert f"ollama: {server.url}" in lines
    assert row["llama3.2:latest"] == ["free", "free", "-", "default"]
    assert row["qwen2.5-coder:7b"] == ["free", "free", "-"]
    paths = [req.path for req in server.requests]
    assert "/v1/models" in paths and "/api/tags" in paths
    auth = next(req for req in server.requests if req.path == "/v1/models").headers
    assert auth["authorization"].startswith("Bearer sk-test")


def test_models_json(goshi, server) -> None:
    data = json.loads(goshi("models", "--json").stdout)
    assert [b["backend"] for b in data] == ["openai", "ollama"]
    openai = data[0]
    assert openai["reachable"] and openai["default_model"] == "gpt-4o-mini"
    mini = next(m for m in openai["models"] if m["id"] == "gpt-4o-mini")
    assert mini == {
        "id": "gpt-4o-mini",
        "default": True,
        "input_per_mtok": 0.15,
        "cached_input_per_mtok": 0.075,
        "output_per_mtok": 0.6,
        "price_source": "table",
        "context_window": 128000,
        "endpoint": "chat",
    }
    assert data[1]["models"][0]["price_source"] == "local"


def test_a_price_override_in_goshi_yaml_shows(goshi, server, home) -> None:
    (home / "fast.yaml").write_text(
        (home / "fast.yaml").read_text()
        + "cost: {prices: {gpt-4.1: {input_per_mtok: 1.5, output_per_mtok: 6}}}\n"
    )
    data = json.loads(goshi("models", "--json").stdout)
    row = next(m for m in data[0]["models"] if m["id"] == "gpt-4.1")
    assert (row["input_per_mtok"], row["price_source"]) == (1.5, "goshi.yaml")


def test_model_ids_from_a_server_are_sanitised_and_bounded(goshi, server) -> None:
    evil = ["\x1b]0;pwned\x07gpt", "x" * 5000, "ok"]
    server.models.push(openai_models(evil), openai_models(evil))
    server.tags.push(ollama_tags(["\x1b[2Jllama"]))
    r = goshi("models")
    assert r.code == 0
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout
    assert "^[]0;pwned^Ggpt" in r.stdout and "^[[2Jllama" in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) < 120
    ids = [m["id"] for m in json.loads(goshi("models", "--json").stdout)[0]["models"]]
    assert max(len(i) for i in ids) == 200


def test_one_backend_down_is_a_line_both_down_is_exit_5(goshi, server) -> None:
    away = f"http://127.0.0.1:{refused_port()}"
    r = goshi("models", OPENAI_BASE_URL=f"{away}/v1")
    assert r.code == 0
    assert "not listed: connection refused" in r.stdout and "llama3.2:latest" in r.stdout
    r = goshi("models", OPENAI_BASE_URL=f"{away}/v1", OLLAMA_HOST=away)
    assert r.code == 5 and "no backend listed its models" in r.stderr


def test_without_a_key_openai_is_not_asked(goshi, server) -> None:
    r = goshi("models", OPENAI_API_KEY="", OPENAI_BASE_URL="https://api.openai.com/v1")
    assert r.code == 0 and "not used: $OPENAI_API_KEY is not set" in r.stdout
    assert all(req.path != "/v1/models" for req in server.requests)
