"""The one mapping from media error kinds to exit codes (cli.errors), and its use by every command."""

from __future__ import annotations

import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

from vibegrade.cli.errors import MEDIA_EXIT_CODES, friendly_errors, media_exit_code
from vibegrade.cli.main import app
from vibegrade.media.errors import Corrupt, MediaError, TooLarge, UnsupportedFormat, WriteError


@pytest.mark.parametrize("cls", [TooLarge, UnsupportedFormat, Corrupt, WriteError, MediaError])
def test_every_media_error_kind_exits_2_with_one_line(cls, capsys):
    assert cls in MEDIA_EXIT_CODES and media_exit_code(cls("x")) == 2  # docs/formats.md: exit code 2

    @friendly_errors
    def command():
        raise cls("photo.png: what went wrong\nsecond line")

    with pytest.raises(typer.Exit) as e:
        command()
    assert e.value.exit_code == 2
    assert capsys.readouterr().err == "error: photo.png: what went wrong\n"


def test_a_subclass_takes_its_parents_code(monkeypatch):
    class Huge(TooLarge):
        pass

    monkeypatch.setitem(MEDIA_EXIT_CODES, TooLarge, 7)
    assert media_exit_code(Huge("h")) == 7 and media_exit_code(Corrupt("c")) == 2


def test_render_over_the_pixel_limit_exits_2(tmp_path):
    src = tmp_path / "a.png"
    Image.new("RGB", (40, 30)).save(src)
    res = CliRunner().invoke(app, ["render", str(src), str(tmp_path / "b.png"), "--tools", "{}",
                                   "--max-pixels", "100"])
    assert res.exit_code == 2 and "over the limit" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "b.png").exists()
