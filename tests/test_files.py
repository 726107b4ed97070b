"""The app's folders (vibegrade.files): XDG base directories, with $VIBEGRADE_DATA_DIR for the data."""

from __future__ import annotations

from pathlib import Path

from vibegrade.files import cache_dir, config_dir, data_dir


def test_data_dir_prefers_vibegrade_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("VIBEGRADE_DATA_DIR", f"  {tmp_path / 'mine'}  ")
    assert data_dir() == tmp_path / "mine"


def test_data_dir_follows_xdg_data_home(monkeypatch, tmp_path):
    monkeypatch.setenv("VIBEGRADE_DATA_DIR", "   ")  # blank counts as unset
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "vibegrade"


def test_data_dir_default_is_local_share(monkeypatch, tmp_path):
    monkeypatch.delenv("VIBEGRADE_DATA_DIR", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_dir() == tmp_path / ".local" / "share" / "vibegrade"
    monkeypatch.setenv("VIBEGRADE_DATA_DIR", "~/elsewhere")
    assert data_dir() == tmp_path / "elsewhere"


def test_folders_are_separate(monkeypatch, tmp_path):
    for var in ("VIBEGRADE_DATA_DIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert len({data_dir(), config_dir(), cache_dir()}) == 3
    assert all(Path(p).name == "vibegrade" for p in (data_dir(), config_dir(), cache_dir()))
