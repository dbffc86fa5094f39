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
        ("openai:\n  api: soap\n", ":2: openai.api: expected one of auto, chat, responses"),
        ("openai: {store: maybe}\n", ":1: openai.store: expected true or false, got 'maybe'"),
        (
            "openai:\n  reasoning_effort: extreme\n",
            ":2: openai.reasoning_effort: expected one of none, minimal, low, medium, high, xhigh",
        ),
        ("openai: {temperature: 2.5}\n", ":1: openai.temperature: must be at most 2, got 2.5"),
        ("ollama: {temperature: 3}\n", ":1: ollama.temperature: must be at most 2, got 3.0"),
        ("ollama:\n  num_ctx: 100\n", ":2: ollama.num_ctx: must be at least 256, got 100"),
        ("ollama: {num_ctx: 4194304}\n", "ollama.num_ctx: must be at most 2097152, got 4194304"),
        ("context: {instructions_max_kib: 0}\n", "instructions_max_kib: must be at least 1"),
        ("context: {instructions_max_kib: 2048}\n", "instructions_max_kib: must be at most 1024"),
        ("context: {project_instructions: 1}\n", "project_instructions: expected true or false"),
        (
            "tools:\n  command_env: [VIRTUAL_ENV, 'A B']\n",
            ":2: tools.command_env[1]: expected a variable name: letters, digits and _, got 'A B'",
        ),
        ("tools: {command_env: [9LIVES]}\n", "tools.command_env[0]: expected a variable name"),
        ("aliases:\n  fast: ''\n", ":2: aliases.fast: expected a name without spaces"),
        ("aliases:\n  fast: 'gpt 5'\n", ":2: aliases.fast: expected a name without spaces"),
        ('aliases:\n  "f\\e[2J": gpt-5\n', ":2: aliases.f^[[2J: a name without spaces"),
        ("aliases:\n  -m: gpt-5\n", ":2: aliases.-m: a name without spaces, not starting with -"),
        ("aliases: [fast]\n", ":1: aliases: expected a mapping"),
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
        if isinstance(value, dict) and key not in ("prices", "servers", "windows", "aliases"):
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
    monkeypatch.delenv("GOSHI_MODEL")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key")
    settings = config.load(None, config.Overrides(model="gpt-4.1"))  # auto, with a key: OpenAI
    assert settings.openai.model == "gpt-4.1" and settings.ollama.model == "llama3.2"
    monkeypatch.setenv("OPENAI_API_KEY", "")
    settings = config.load(None, config.Overrides(model="qwen3"))  # auto, no key: Ollama answers
    assert settings.ollama.model == "qwen3" and settings.openai.model == "gpt-4o-mini"


def test_the_dialect_comes_from_the_file_and_the_environment_beats_it(goshi, home: Path) -> None:
    cfg = write(home / "c.yaml", "openai: {api: chat, store: true, reasoning_effort: low}\n")

    def rows(**extra: str) -> dict[str, str]:
        r = goshi("config", "show", "--config", str(cfg), **extra)
        assert r.code == 0, r.stderr
        return {line.split(":", 1)[0]: line for line in r.stdout.splitlines()}

    shown = rows()
    assert "openai.api: chat" in shown["openai.api"] and "c.yaml:1" in shown["openai.api"]
    assert "openai.store: true" in shown["openai.store"]
    assert "openai.reasoning_effort: low" in shown["openai.reasoning_effort"]
    shown = rows(GOSHI_OPENAI_API="responses")
    assert "openai.api: responses" in shown["openai.api"]
    assert "# env GOSHI_OPENAI_API" in shown["openai.api"]
    for args in (["config", "show"], ["ask", "hi"]):
        r = goshi(*args, GOSHI_OPENAI_API="soap")
        assert r.code == 3 and "Traceback" not in r.stderr
        assert "GOSHI_OPENAI_API: expected one of auto, chat, responses, got 'soap'" in r.stderr


def test_defaults_of_the_new_settings() -> None:
    settings = config.Settings()
    assert (settings.openai.api, settings.openai.store, settings.openai.reasoning_effort) == (
        "auto",
        False,
        None,
    )
    assert settings.aliases == {} and settings.tools.command_env == []
    assert settings.context.project_instructions is True
    assert settings.context.instructions_max_kib == 32


def test_an_alias_names_a_model_for_m_and_goshi_model(goshi, home: Path, server) -> None:
    cfg = write(
        home / "c.yaml",
        "backend: openai\nretry: {attempts: 1}\naliases: {fast: gpt-4.1-nano, local: 'qwen3:8b'}\n",
    )
    r = goshi("ask", "--config", str(cfg), "-m", "fast", "hi")
    assert r.code == 0, r.stderr
    r = goshi("ask", "--config", str(cfg), "hi", GOSHI_MODEL="fast")
    assert r.code == 0, r.stderr
    r = goshi("ask", "--config", str(cfg), "-m", "gpt-4o", "hi")  # not an alias: as given
    assert r.code == 0, r.stderr
    assert [q.body["model"] for q in server.chat_requests()] == [
        "gpt-4.1-nano",
        "gpt-4.1-nano",
        "gpt-4o",
    ]
    shown = goshi("config", "show", "--config", str(cfg), GOSHI_MODEL="local").stdout
    assert "openai.model: qwen3:8b" in shown and "env GOSHI_MODEL (alias local)" in shown


def test_resolve_alias_is_one_step() -> None:
    settings = config.Settings(aliases={"a": "b", "b": "c"})
    assert config.resolve_alias(settings, "a") == "b"
    assert config.resolve_alias(settings, "zzz") == "zzz"


def laughs(levels: int = 9) -> str:
    """A "billion laughs": each level ten aliases of the one before, 10**levels nodes in all."""
    rows = ["a0: &a0 {" + ", ".join(f"k{j}: lol" for j in range(10)) + "}"]
    for i in range(1, levels):
        rows.append(f"a{i}: &a{i} {{" + ", ".join(f"k{j}: *a{i - 1}" for j in range(10)) + "}")
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (laughs(), ":4: YAML aliases expand past 10,000 values"),
        ("system: x\nopenai: &me {model: *me}\n", ":2: a YAML alias refers to itself"),
        ("system: x\nsystem2: &l [*l]\n", ":2: a YAML alias refers to itself"),
        ("openai: " + "[" * 100 + "]" * 100 + "\n", ":1: invalid YAML: nested deeper than 64"),
        ("openai: " + "[" * 50_000 + "]" * 50_000 + "\n", ":1: invalid YAML"),
    ],
)
def test_yaml_is_read_with_bounds_before_anything_else(
    goshi, home: Path, text: str, said: str
) -> None:
    """Alias bombs and self-references: a config error with the file and line, at once."""
    bad = write(home / "bomb.yaml", text)
    for args in (["config", "validate", str(bad)], ["ask", "--config", str(bad), "hi"]):
        r = goshi(*args, timeout=20)
        assert r.code == 3 and "Traceback" not in r.stderr, r.stderr
        assert f"goshi: {bad}:" in r.stderr and said in r.stderr, r.stderr


def test_aliases_within_bounds_still_work(goshi, home: Path) -> None:
    cfg = write(
        home / "a.yaml", "http: &h {connect_timeout_s: 3}\nretry: {attempts: 2}\ncost: {}\n"
    )
    assert goshi("config", "validate", str(cfg)).code == 0
    cfg = write(home / "b.yaml", "system: &s hello\nopenai: {model: *s}\n")
    r = goshi("config", "show", "--config", str(cfg))
    assert r.code == 0 and "openai.model: hello" in r.stdout, r.stderr


def test_validate_names_a_missing_file_as_missing(goshi, home: Path) -> None:
    r = goshi("config", "validate", str(home / "missing.yaml"))
    assert r.code == 3 and "Traceback" not in r.stderr
    assert f"{home / 'missing.yaml'}: no such file" in r.stderr
    assert "permission" not in r.stderr
    r = goshi("config", "validate", str(home))
    assert r.code == 3 and f"{home}: a folder, not a file" in r.stderr, r.stderr
