"""`goshi models`: what each backend offers, priced from goshi's table, over the real wire."""

from __future__ import annotations

import json

from tests.wire_server import (
    llamacpp_models,
    llamacpp_props,
    ollama_show,
    ollama_tags,
    openai_models,
    refused_port,
)


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
        "context_trained": None,
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


QWEN = "qwen2.5-coder-7b-instruct-q4_k_m.gguf"


def listed(goshi, server, reply) -> tuple[list[str], dict]:  # type: ignore[no-untyped-def]
    """The row `goshi models` shows for QWEN, and its entry in `--json`."""
    server.models.push(reply, reply)
    r = goshi("models")
    assert r.code == 0, r.stderr
    row = next(line.split()[1:] for line in r.stdout.splitlines() if QWEN in line)
    data = json.loads(goshi("models", "--json").stdout)
    return row, next(m for m in data[0]["models"] if m["id"] == QWEN)


def test_a_llamacpp_server_shows_the_context_its_slot_runs(goshi, server) -> None:
    """llama.cpp's model list says the slot's context (meta.n_ctx): the window a turn uses,
    not the model's trained one (meta.n_ctx_train), and no other request is made for it."""
    row, entry = listed(goshi, server, llamacpp_models(QWEN, n_ctx=8192, n_ctx_train=32768))
    assert row == ["-", "-", "8.2k", "chat"]
    assert (entry["context_window"], entry["context_trained"]) == (8192, 32768)
    assert all(req.path != "/props" for req in server.requests)


def test_an_older_llamacpp_says_the_slots_context_in_props(goshi, server) -> None:
    server.files["/props"] = llamacpp_props(4096)
    row, entry = listed(goshi, server, llamacpp_models(QWEN, n_ctx_train=131072))
    assert row == ["-", "-", "4.1k", "chat"]
    assert (entry["context_window"], entry["context_trained"]) == (4096, 131072)


def test_a_context_no_window_can_be_is_shown_unknown(goshi, server) -> None:
    server.files["/props"] = llamacpp_props(float("inf"))
    reply = llamacpp_models(QWEN, n_ctx=float("nan"), n_ctx_train=10**8)
    row, entry = listed(goshi, server, reply)
    assert row == ["-", "-", "-", "chat"]
    assert (entry["context_window"], entry["context_trained"]) == (None, None)


def test_ollama_models_show_the_context_ollama_runs_them_with(goshi, server, home) -> None:
    """The num_ctx each model was made with (POST /api/show), as a turn finds it; the user's
    `ollama.num_ctx` when set. The trained length (131,072 here) is never shown as the window."""
    server.tags.push(ollama_tags(["llama3.2:latest"]), ollama_tags(["llama3.2:latest"]))
    server.files["/api/show"] = ollama_show(8192)
    row = next(ln.split()[1:] for ln in goshi("models").stdout.splitlines() if "llama3.2" in ln)
    assert row == ["free", "free", "8.2k", "default"]
    shown = [req.body for req in server.requests if req.path == "/api/show"]
    assert shown == [{"model": "llama3.2:latest"}]
    (home / "fast.yaml").write_text((home / "fast.yaml").read_text() + "ollama: {num_ctx: 16384}\n")
    row = next(ln.split()[1:] for ln in goshi("models").stdout.splitlines() if "llama3.2" in ln)
    assert row == ["free", "free", "16k", "default"]
