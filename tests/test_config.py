"""goshi.yaml: search order, overrides, validation messages, and the config commands."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from goshi import config
from goshi.record import fields, is_record
from tests.conftest import TEST_KEY

ROOT = Path(__file__).resolve().parent.parent


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_search_order_flag_env_xdg_then_the_project_file_on_top(goshi, home: Path) -> None:
    xdg = write(home / "config" / "goshi" / "goshi.yaml", "openai: {model: from-xdg}\n")
    env = write(home / "env.yaml", "openai: {model: from-env}\n")
    flag = write(home / "flag.yaml", "openai: {model: from-flag}\n")

    def shown(*args: str, **extra: str) -> str:
        r = goshi("config", "show", *args, **extra)
        assert r.code == 0, r.stderr
        return next(line for line in r.stdout.splitlines() if line.startswith("openai.model"))

    assert "from-flag" in shown("--config", str(flag), GOSHI_CONFIG=str(env))
    assert "from-env" in shown(GOSHI_CONFIG=str(env))
    assert "from-xdg" in shown(GOSHI_CONFIG="")
    assert f"{xdg}:1" in shown(GOSHI_CONFIG="")
    cwd = write(home / "work" / "goshi.yaml", "openai: {model: from-cwd}\n")
    assert "from-xdg" in shown(GOSHI_CONFIG="")  # untrusted: the project cannot pick the model
    assert goshi("config", "trust").code == 0
    assert "from-cwd" in shown(GOSHI_CONFIG="")
    assert "from-cwd" in shown("--config", str(flag))  # the project file lies on top of any
    cwd.unlink()
    xdg.unlink()
    assert "gpt-4o-mini" in shown(GOSHI_CONFIG="") and "# default" in shown(GOSHI_CONFIG="")


def test_environment_overrides_the_file(goshi, home: Path) -> None:
    cfg = write(home / "c.yaml", "openai: {base_url: 'http://file:1/v1'}\nollama: {host: x}\n")
    r = goshi(
        "config",
        "show",
        "--config",
        str(cfg),
        OPENAI_BASE_URL="http://env:2/v1",
        OLLAMA_HOST="0.0.0.0:5555",
    )
    assert "openai.base_url: http://env:2/v1" in r.stdout
    assert "# env OPENAI_BASE_URL" in r.stdout
    assert "ollama.host: http://localhost:5555" in r.stdout


def test_show_never_prints_the_key(goshi) -> None:
    r = goshi("config", "show")
    assert TEST_KEY not in r.stdout + r.stderr
    assert "openai.api_key: set (hidden)" in r.stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("retry:\n  attempts: three\n", ":2: retry.attempts: expected an integer, got 'three'"),
        ("retyr: {attempts: 3}\n", ":1: retyr: unknown setting; did you mean 'retry'?"),
        ("backend: azure\n", ":1: backend: expected one of auto, openai, ollama, got 'azure'"),
        ("http:\n  read_timeout_s: -1\n", ":2: http.read_timeout_s: must be at least"),
        ("openai: [1, 2]\n", ":1: openai: expected a mapping"),
        ("openai:\n  model: [x\n", "invalid YAML"),
        ("tools: {enabled: 'yes'}\n", "tools.enabled: expected true or false, got 'yes'"),
        (
            "cost:\n  prices:\n    m1: {input_per_mtok: cheap}\n",
            ":3: cost.prices.m1.input_per_mtok: expected a number, got 'cheap'",
        ),
    ],
)
def test_validation_names_file_line_and_key(goshi, home: Path, text: str, message: str) -> None:
    bad = write(home / "bad.yaml", text)
    r = goshi("config", "validate", str(bad))
    assert r.code == 3
    assert f"goshi: {bad}" in r.stderr and message in r.stderr
    assert "Traceback" not in r.stderr


def test_missing_named_config_is_a_config_error(goshi, home: Path) -> None:
    r = goshi("ask", "--config", str(home / "nope.yaml"), "hi")
    assert r.code == 3 and "no such config file" in r.stderr and "config init" in r.stderr


def test_init_writes_the_example_and_refuses_to_overwrite(goshi, home: Path) -> None:
    target = home / "config" / "goshi" / "goshi.yaml"
    assert goshi("config", "path", GOSHI_CONFIG="").stdout.strip() == str(target)
    r = goshi("config", "init")
    assert r.code == 0 and target.read_text() == (ROOT / "goshi.yaml").read_text()
    target.write_text("backend: ollama\n")
    r = goshi("config", "init")
    assert r.code == 2 and "--force" in r.stderr
    assert target.read_text() == "backend: ollama\n"
    assert goshi("config", "init", "--force").code == 0
    assert "gpt-4o-mini" in target.read_text()


def _keys(obj: object, prefix: str = "") -> set[str]:
    out: set[str] = set()
    for fld in fields(obj):
        if fld.metadata.get("internal"):
            continue
        value = getattr(obj, fld.name)
        if is_record(value):
            out |= _keys(value, f"{prefix}{fld.name}.")
        else:
            out.add(f"{prefix}{fld.name}")
    return out


def _flatten(data: dict[str, object], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for key, value in data.items():
        if isinstance(value, dict) and key not in ("prices", "servers", "windows"):
            out |= _flatten(value, f"{prefix}{key}.")
        else:
            out.add(f"{prefix}{key}")
    return out


def test_example_goshi_yaml_documents_every_setting_with_its_default() -> None:
    example = ROOT / "goshi.yaml"
    assert _flatten(yaml.safe_load(example.read_text())) == _keys(config.Settings())
    loaded = config.load(example)
    loaded.file, loaded.sources = None, {}
    assert loaded == config.Settings()


def test_model_override_follows_the_chosen_backend(monkeypatch) -> None:
    monkeypatch.setenv("GOSHI_MODEL", "qwen3")
    monkeypatch.delenv("GOSHI_CONFIG", raising=False)
    monkeypatch.chdir(ROOT / "tests")
    settings = config.load(None, config.Overrides(backend="ollama"))
    assert settings.ollama.model == "qwen3" and settings.openai.model == "gpt-4o-mini"
    settings = config.load(None, config.Overrides(model="gpt-4.1"))
    assert settings.openai.model == "gpt-4.1"
