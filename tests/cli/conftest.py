from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from vibegrade.cli.main import app

LOOK = {
    "adjust": {"exposure": 10, "contrast": 20, "highlights": -20, "shadows": 15, "vibrance": 25,
               "temperature": 20},
    "selective_adjust": {"blue": {"saturation": -20, "luminance": -10}},
    "filter": {"name": "teal_and_orange_3", "intensity": 60},
}


@pytest.fixture
def cli():
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    return run


@pytest.fixture
def look_file(tmp_path):
    p = tmp_path / "look.json"
    p.write_text(json.dumps(LOOK))
    return p
