"""The image judge over real HTTP against the local replay server."""

from __future__ import annotations

import json

import numpy as np
from typer.testing import CliRunner

from tests.fakes.replay import ReplayServer
from vibegrade.evaluation.judge import parse_verdict
from vibegrade.schema import parse_chain
from vibegrade.students.baselines import MajorityStudent, save_baseline


def test_parse_verdict():
    assert parse_verdict("FIRST is warmer...\nWINNER: SECOND") == "SECOND"
    assert parse_verdict("winner - first") == "FIRST"
    assert parse_verdict("**WINNER:** TIE") == "TIE"
    assert parse_verdict("I like both") is None


def test_judge_counts_wins_and_undoes_the_random_order(tmp_path, monkeypatch):
    monkeypatch.setenv("VIBEGRADE_CACHE_DIR", str(tmp_path / "cache"))
    warm = parse_chain({"adjust": {"temperature": 60}})
    cold = parse_chain({"adjust": {"temperature": -60}})
    save_baseline(MajorityStudent(warm), tmp_path / "warm")
    save_baseline(MajorityStudent(cold), tmp_path / "cold")
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    from vibegrade.media.image import read_image, write_image
    from vibegrade.samples import sample_path
    write_image(imgs / "a.png", read_image(sample_path("coffee")).rgb[::4, ::4])
    (tmp_path / "req.txt").write_text("golden hour\nwarm sunset\nsummer afternoon\n")
    seen = []

    def responder(messages):
        # a judge that always prefers the warmer of the two results it is shown
        parts = messages[1]["content"]
        urls = [p["image_url"]["url"] for p in parts if p.get("type") == "image_url"]
        assert len(urls) == 3 and all(u.startswith("data:image/jpeg;base64,") for u in urls)
        from base64 import b64decode
        from io import BytesIO

        from PIL import Image
        first, second = (np.asarray(Image.open(BytesIO(b64decode(u.split(",", 1)[1]))), float)
                         for u in urls[1:])
        warmth = lambda x: x[..., 0].mean() - x[..., 2].mean()  # noqa: E731
        seen.append(messages[0]["content"])
        return "FIRST is warmer, SECOND cooler.\nWINNER: " + ("FIRST" if warmth(first) > warmth(second)
                                                              else "SECOND")

    with ReplayServer(responder=responder, fallback=None) as srv:
        from vibegrade.cli.main import app
        res = CliRunner().invoke(app, ["judge", "--a", str(tmp_path / "cold"), "--b", str(tmp_path / "warm"),
                                       "--data", str(tmp_path / "req.txt"), "--images", str(imgs),
                                       "--base-url", srv.base_url, "--model", "vision", "--api-key", "x",
                                       "--json", "--seed", "1"], catch_exceptions=False)
        assert res.exit_code == 0, res.output
        out = json.loads(res.output)
        assert out["wins"] == {"a": 0, "b": 3, "tie": 0, "invalid": 0}
        assert {d["shown_first"] for d in out["decisions"]} == {"a", "b"}  # order really was randomised
        assert srv.http_calls == 3 and "colourist" in seen[0]
