"""Constants and helpers shared by the teacher tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vibegrade.llm.client import ClientConfig, Price
from vibegrade.schema import ADJUST_KEYS, SELECTIVE_COLORS, TOOL_NAMES, ToolChain

FIXTURES = Path(__file__).parent / "fixtures"
ANSWERS = FIXTURES / "teacher_answers.jsonl"

#: Preset names the recorded answers refer to, plus one user-only preset.
TEST_PRESETS = ("north", "winter", "faded_Retro", "faded_Terra", "teal_and_orange_2", "duotone_red",
                "cyberpunk", "night_vision", "negative", "my_film_look")

#: Intents with recorded answers in the fixtures.
RECORDED_INTENTS = ("golden hour", "the matrix", "x-ray", "Morocco", "winter", "cool morning", "neon nights")

PRICES = {"gpt-4o": Price(2.50, 10.00), "test-model": Price(1.00, 4.00)}


def fast_config(base_url: str, tmp_path: Path, **kw: Any) -> ClientConfig:
    """A client config with short timeouts and backoff, suited to tests."""
    defaults: dict[str, Any] = {"model": "test-model", "base_url": base_url, "api_key": "sk-test",
                                "timeout": 2.0,
                                "max_retries": 3, "backoff_base": 0.01, "backoff_max": 0.2, "concurrency": 12,
                                "cache_dir": tmp_path / "cache", "prices": dict(PRICES)}
    defaults.update(kw)
    return ClientConfig(**defaults)


def read_rows(path: Path) -> list[dict[str, Any]]:
    """All rows of a JSONL file (every line must be valid JSON)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


ROW_KEYS = {"intent", "rationale", "adjust", "selective_adjust", "filter", "flags", "usage",
            "latency_ms", "model"}


def check_row(row: dict[str, Any]) -> None:
    """A teacher row follows the dataset row format."""
    assert ROW_KEYS <= set(row) <= ROW_KEYS | {"category"}
    chain = ToolChain.model_validate({t: row[t] for t in TOOL_NAMES})
    assert chain.to_wire() == {t: row[t] for t in TOOL_NAMES}
    assert row["adjust"] == {} or list(row["adjust"]) == list(ADJUST_KEYS)
    assert row["selective_adjust"] == {} or list(row["selective_adjust"]) == list(SELECTIVE_COLORS)
    assert set(row["rationale"]) == set(TOOL_NAMES)
    assert isinstance(row["flags"], list) and all(isinstance(f, str) for f in row["flags"])
    assert {"prompt_tokens", "completion_tokens", "cost_usd"} <= set(row["usage"])
    assert isinstance(row["latency_ms"], int) and isinstance(row["model"], str)
