"""Load a script of ``scripts/`` as a module, for tests of the eval scripts' own functions."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def load_script(name: str) -> ModuleType:
    """``scripts/<name>.py`` as a module (its folder on the path, for the modules it shares)."""
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def assert_rejects_bad_row(mod: ModuleType, folder: Path, good: str, line: str, why: str) -> list[dict]:
    """``mod.read_rows`` on an author file of ``good`` then ``line`` exits naming the file, line 2 and
    ``why``; on ``good`` alone it reads one row of author ``x``, returned."""
    import pytest

    (folder / "author_x.jsonl").write_text(f"{good}\n{line}\n", encoding="utf-8")
    with pytest.raises(SystemExit) as e:
        mod.read_rows(None, data=folder)
    assert "author_x.jsonl:2" in str(e.value) and why in str(e.value)
    (folder / "author_x.jsonl").write_text(f"{good}\n", encoding="utf-8")
    rows: list[dict] = mod.read_rows(None, data=folder)
    assert len(rows) == 1 and rows[0]["author"] == "x"
    return rows
