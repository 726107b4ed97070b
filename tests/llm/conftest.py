"""Shared fixtures: an isolated environment, a small preset folder, and replay servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.replay import ReplayServer, load_fixtures
from vibegrade.tools.filters import preset_names, refresh_presets
from vibegrade.tools.lut import identity_grid, write_cube

from .helpers import ANSWERS, TEST_PRESETS

ENV_VARS = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "VIBEGRADE_TEACHER_BASE_URL", "VIBEGRADE_TEACHER_API_KEY",
            "VIBEGRADE_TEACHER_MODEL", "VIBEGRADE_TEACHER_CONFIG", "VIBEGRADE_TEACHER_PRICES")


@pytest.fixture(scope="module", autouse=True)
def preset_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """A user preset folder holding the presets the fixtures use (on top of any bundled ones)."""
    folder = tmp_path_factory.mktemp("presets")
    lut = identity_grid(2)
    for name in TEST_PRESETS:
        write_cube(folder / f"{name}.cube", lut, title=name)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VIBEGRADE_PRESETS_DIR", str(folder))
        refresh_presets()
        yield preset_names()
    refresh_presets()


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No real endpoint settings or config files leak into a test; the cache lives in tmp_path."""
    for v in ENV_VARS:
        monkeypatch.delenv(v, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("VIBEGRADE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture
def recorded() -> list[Any]:
    return load_fixtures(ANSWERS)


@pytest.fixture
def make_server(recorded: list[Any]) -> Iterator[Callable[..., ReplayServer]]:
    """``make_server(**knobs)`` -> a started replay server with the recorded answers (stopped afterwards)."""
    servers: list[ReplayServer] = []

    def make(**kwargs: Any) -> ReplayServer:
        answers = kwargs.pop("answers", recorded)
        srv = ReplayServer(answers, **kwargs).start()
        servers.append(srv)
        return srv

    yield make
    for s in servers:
        s.stop()


@pytest.fixture
def server(make_server: Callable[..., ReplayServer]) -> ReplayServer:
    return make_server()
