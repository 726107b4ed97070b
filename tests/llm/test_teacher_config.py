"""Config precedence: flags > environment > config file > defaults; price tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vibegrade.llm.client import DEFAULT_PRICES, Price, default_cache_dir, load_price_table
from vibegrade.llm.config import ConfigError, resolve_config


def write_toml(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_match_the_teacher_setup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = resolve_config(model="gpt-4o")
    assert (cfg.temperature, cfg.max_tokens, cfg.top_p) == (0.0, 1500, 1.0)
    assert cfg.base_url is None and cfg.api_key is None
    assert cfg.cache_dir == tmp_path / "cache"  # VIBEGRADE_CACHE_DIR (set by the test fixture)
    monkeypatch.delenv("VIBEGRADE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    assert default_cache_dir() == tmp_path / "xdg-cache" / "vibegrade" / "teacher"
    assert cfg.prices == DEFAULT_PRICES


def test_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write_toml(tmp_path / "xdg-config" / "vibegrade" / "teacher.toml",
               'base_url = "http://file/v1"\napi_key = "file-key"\nmodel = "file-model"\nmax_tokens = 900\n'
               'timeout = 7\n')
    cfg = resolve_config()
    assert (cfg.base_url, cfg.api_key, cfg.model, cfg.max_tokens, cfg.timeout) == \
        ("http://file/v1", "file-key", "file-model", 900, 7.0)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://openai-env/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "openai-key")
    cfg = resolve_config()
    assert (cfg.base_url, cfg.api_key) == ("http://openai-env/v1", "openai-key")
    monkeypatch.setenv("VIBEGRADE_TEACHER_BASE_URL", "http://vg-env/v1")
    monkeypatch.setenv("VIBEGRADE_TEACHER_API_KEY", "vg-key")
    monkeypatch.setenv("VIBEGRADE_TEACHER_MODEL", "vg-model")
    cfg = resolve_config()
    assert (cfg.base_url, cfg.api_key, cfg.model) == ("http://vg-env/v1", "vg-key", "vg-model")
    cfg = resolve_config(base_url="http://flag/v1", api_key="flag-key", model="flag-model", timeout=3.0)
    assert (cfg.base_url, cfg.api_key, cfg.model, cfg.timeout) == ("http://flag/v1", "flag-key",
                                                                   "flag-model", 3.0)
    assert cfg.max_tokens == 900  # not overridden anywhere else
    assert "flag-key" not in json.dumps(cfg.describe())


def test_explicit_config_file_and_prices(tmp_path: Path) -> None:
    write_toml(tmp_path / "prices.json", "")
    (tmp_path / "prices.json").write_text(json.dumps({"prices": {"my-model": {"input": 1, "output": 2}}}))
    cfg_file = write_toml(tmp_path / "conf" / "t.toml",
                          'model = "my-model"\nprices_file = "../prices.json"\ncache_dir = "~/c"\n'
                          '[prices]\n"gpt-4o" = { input = 3.0, output = 12.0 }\n"other" = [0.5, 1.5]\n')
    cfg = resolve_config(config_path=cfg_file, cache_dir=None)
    assert cfg.price == Price(1.0, 2.0)
    assert cfg.prices["gpt-4o"] == Price(3.0, 12.0) and cfg.prices["other"] == Price(0.5, 1.5)
    assert cfg.prices["gpt-4o-mini"] == DEFAULT_PRICES["gpt-4o-mini"]  # merged over the defaults
    toml_prices = write_toml(tmp_path / "p.toml", '"my-model" = { input = 9, output = 9 }\n')
    assert resolve_config(config_path=cfg_file, prices_path=toml_prices).price == Price(9.0, 9.0)
    assert load_price_table(toml_prices) == {"my-model": Price(9.0, 9.0)}


@pytest.mark.parametrize("text, message", [
    ('model = "m"\nbogus = 1\n', "unknown key"),
    ("model = \n", "not valid TOML"),
    ('model = "m"\ntop_p = 2\n', "top_p"),
    ('model = "m"\nmax_tokens = "many"\n', "max_tokens must be a number"),
    ('model = "m"\n[prices]\nx = "cheap"\n', "a price must be"),
    ('model = "m"\nprices_file = "nope.json"\n', "cannot read price file"),
])
def test_bad_config_files(tmp_path: Path, text: str, message: str) -> None:
    p = write_toml(tmp_path / "t.toml", text)
    with pytest.raises(ConfigError, match=message):
        resolve_config(config_path=p)


def test_missing_model_and_bad_url() -> None:
    with pytest.raises(ConfigError, match="no model"):
        resolve_config()
    with pytest.raises(ConfigError, match="http"):
        resolve_config(model="m", base_url="ftp://x")


def test_environment_via_pydantic_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from vibegrade.llm.config import TeacherEnv

    monkeypatch.setenv("VIBEGRADE_TEACHER_BASE_URL", "")  # empty counts as unset: the OpenAI name is next
    monkeypatch.setenv("OPENAI_BASE_URL", "http://openai-env/v1")
    monkeypatch.setenv("vibegrade_teacher_model", "lower-case-name")  # names are case-sensitive
    env = TeacherEnv()
    assert (env.base_url, env.model) == ("http://openai-env/v1", None)
    prices = write_toml(tmp_path / "p.toml", '"env-model" = { input = 4, output = 8 }\n')
    monkeypatch.setenv("VIBEGRADE_TEACHER_PRICES", str(prices))
    monkeypatch.setenv("VIBEGRADE_TEACHER_MODEL", "env-model")
    cfg = resolve_config()
    assert (cfg.base_url, cfg.model, cfg.price) == ("http://openai-env/v1", "env-model", Price(4.0, 8.0))
    monkeypatch.setenv("VIBEGRADE_TEACHER_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="config file not found"):
        resolve_config()
