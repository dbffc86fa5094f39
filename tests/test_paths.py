"""goshi's files live where the XDG rules say (goshi/paths.py), the same places platformdirs
gives on Linux: $XDG_*_HOME when absolute, else the home directory's defaults."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from goshi import paths

VARIABLES = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME")


def _ours() -> tuple[Path, Path, Path]:
    return paths.config_dir(), paths.data_dir(), paths.state_dir()


def _platformdirs() -> tuple[Path, Path, Path]:
    return (
        platformdirs.user_config_path("goshi"),
        platformdirs.user_data_path("goshi"),
        platformdirs.user_state_path("goshi"),
    )


@pytest.mark.parametrize("given", ["absolute", "unset", "empty", "relative"])
def test_the_directories_are_the_ones_platformdirs_gives(
    given: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for n, variable in enumerate(VARIABLES):
        value = {"absolute": str(tmp_path / f"xdg{n}"), "empty": "", "relative": f"rel{n}"}
        if given == "unset":
            monkeypatch.delenv(variable, raising=False)
        else:
            monkeypatch.setenv(variable, value[given])
    assert _ours() == _platformdirs()
    if given == "absolute":
        assert paths.config_dir() == tmp_path / "xdg0" / "goshi"
    else:
        assert paths.state_dir() == tmp_path / "home" / ".local" / "state" / "goshi"
