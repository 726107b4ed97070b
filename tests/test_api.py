"""The public Python API (``vibegrade.predict / render / grade``) and the examples in docs/api.md."""

from __future__ import annotations

import doctest
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import vibegrade
from vibegrade.media.image import MediaError
from vibegrade.schema import ToolChain
from vibegrade.students import StudentLoadError, load_student
from vibegrade.tools.chain import Renderer

ROOT = Path(__file__).resolve().parents[1]
CHAIN = ToolChain.model_validate({"adjust": {"exposure": 15, "contrast": 20, "temperature": 25,
                                             "sharpen": 30},
                                  "selective_adjust": {"blue": {"saturation": -30, "luminance": 0}},
                                  "filter": {"name": "enchanted", "intensity": 60}})


def test_docs_examples_run():
    res = doctest.testfile(str(ROOT / "docs" / "api.md"), module_relative=False,
                           optionflags=doctest.ELLIPSIS, verbose=False)
    assert res.attempted >= 25
    assert res.failed == 0


def test_import_is_cheap_and_names_resolve():
    code = ("import sys, vibegrade\n"
            "heavy = [m for m in ('numpy', 'pydantic', 'PIL', 'cv2', 'torch') if m in sys.modules]\n"
            "assert not heavy, heavy\n"
            "assert vibegrade.ToolChain.__name__ == 'ToolChain'\n"
            "assert callable(vibegrade.grade) and 'predict' in dir(vibegrade)\n"
            "from vibegrade import render, Adjust, preset_names\n"
            "print('ok')\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "ok"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        vibegrade.nope  # noqa: B018
    assert set(vibegrade.__all__) >= {"predict", "render", "grade", "ToolChain", "load_model"}


def test_lean_install_grades_without_optional_packages():
    from tests.cli.test_lean_install import run

    res = run("import numpy as np, vibegrade\n"
              "out = vibegrade.grade(np.full((8, 8, 3), 100, np.uint8), 'golden hour')\n"
              "assert out.shape == (8, 8, 3) and out.dtype == np.uint8\n"
              "print('ok')\n")
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip().endswith("ok")


# ------------------------------------------------------------------------------------------------ predict


def test_predict_is_the_shipped_student():
    requests = ["golden hour", "cold winter morning", "  moody\tteal  and orange "]
    expected = load_student().predict(["golden hour", "cold winter morning", "moody teal and orange"])
    assert [vibegrade.predict(r) for r in requests] == expected


def test_predict_with_a_model_folder_and_a_loaded_student(tmp_path):
    chain = ToolChain.model_validate({"adjust": {"exposure": 42}})
    folder = tmp_path / "majority"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"kind": "majority", "chain": chain.to_wire()}))
    assert vibegrade.predict("anything", model=folder) == chain
    assert vibegrade.predict("anything", model=str(folder)) == chain
    assert vibegrade.predict("anything", model=load_student(folder)) == chain


def test_load_model_caches_and_reloads_a_changed_folder(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    cfg = folder / "config.json"
    cfg.write_text(json.dumps({"kind": "majority", "chain": {"adjust": {"exposure": 1}}}))
    first = vibegrade.load_model(folder)
    assert vibegrade.load_model(str(folder)) is first  # same folder, any spelling
    assert vibegrade.load_model() is vibegrade.load_model(None)
    cfg.write_text(json.dumps({"kind": "majority", "chain": {"adjust": {"exposure": 77}}}))
    os.utime(cfg, ns=(cfg.stat().st_atime_ns, cfg.stat().st_mtime_ns + 10**9))
    second = vibegrade.load_model(folder)
    assert second is not first
    assert vibegrade.predict("x", model=folder).adjust.exposure == 77


@pytest.mark.parametrize("request_, error",
                         [(123, TypeError), (None, TypeError), (["golden hour"], TypeError),
                                             ("", ValueError), ("\n\t ", ValueError),
                                             ("x" * 301, ValueError)])
def test_predict_bad_request(request_, error):
    with pytest.raises(error):
        vibegrade.predict(request_)


def test_predict_bad_model(tmp_path):
    with pytest.raises(TypeError, match="model must be"):
        vibegrade.predict("golden hour", model=123)
    with pytest.raises(StudentLoadError, match="not a vibegrade model folder"):
        vibegrade.predict("golden hour", model=tmp_path / "missing")
    assert issubclass(StudentLoadError, ValueError)


# ------------------------------------------------------------------------------------------------- render


def _image(dtype, channels, h=37, w=53, seed=0):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return rng.random((h, w, channels)).astype(dtype)
    return rng.integers(0, np.iinfo(dtype).max + 1, (h, w, channels)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
@pytest.mark.parametrize("channels", [3, 4])
def test_render_array_keeps_dtype_shape_and_alpha(dtype, channels):
    img = _image(dtype, channels)
    before = img.copy()
    out = vibegrade.render(img, CHAIN)
    assert out.dtype == img.dtype and out.shape == img.shape
    np.testing.assert_array_equal(img, before)  # input untouched
    # the colour channels are the renderer's output on the RGB part
    np.testing.assert_array_equal(out[..., :3], Renderer(CHAIN)(np.ascontiguousarray(img[..., :3])))
    assert not np.array_equal(out[..., :3], img[..., :3])
    if channels == 4:
        np.testing.assert_array_equal(out[..., 3], img[..., 3])


def test_render_accepts_dict_json_and_views():
    img = _image(np.uint8, 3)
    expected = vibegrade.render(img, CHAIN)
    np.testing.assert_array_equal(vibegrade.render(img, CHAIN.to_wire()), expected)
    np.testing.assert_array_equal(vibegrade.render(img, CHAIN.to_json()), expected)
    big = _image(np.uint8, 3, h=74, w=106)
    view = big[::2, ::2]  # not contiguous
    np.testing.assert_array_equal(vibegrade.render(view, CHAIN), vibegrade.render(view.copy(), CHAIN))
    assert vibegrade.render(img, CHAIN, lut_size=17).shape == img.shape


def test_identity_chain_returns_an_equal_copy():
    img = _image(np.uint16, 4)
    out = vibegrade.render(img, ToolChain())
    np.testing.assert_array_equal(out, img)
    assert out is not img and not np.shares_memory(out, img)


def test_render_pil_round_trip():
    arr = _image(np.uint8, 3)
    im = Image.fromarray(arr)
    im.info["dpi"] = (300, 300)
    out = vibegrade.render(im, CHAIN)
    assert isinstance(out, Image.Image)
    assert out.mode == "RGB" and out.size == im.size
    assert out.info["dpi"] == (300, 300)
    np.testing.assert_array_equal(np.asarray(out), vibegrade.render(arr, CHAIN))

    rgba = _image(np.uint8, 4)
    out = vibegrade.render(Image.fromarray(rgba), CHAIN)
    assert out.mode == "RGBA"
    np.testing.assert_array_equal(np.asarray(out)[..., 3], rgba[..., 3])
    np.testing.assert_array_equal(np.asarray(out), vibegrade.render(rgba, CHAIN))


@pytest.mark.parametrize("mode, out_mode", [("L", "RGB"), ("LA", "RGBA"), ("P", "RGB"), ("CMYK", "RGB"),
                                            ("1", "RGB")])
def test_render_pil_other_modes(mode, out_mode):
    im = Image.fromarray(_image(np.uint8, 3)).convert(mode)
    out = vibegrade.render(im, CHAIN)
    assert out.mode == out_mode and out.size == im.size
    np.testing.assert_array_equal(np.asarray(out), vibegrade.render(np.asarray(im.convert(out_mode)), CHAIN))


def test_render_pil_palette_with_transparency_keeps_alpha():
    im = Image.new("P", (8, 6), 0)
    im.putpalette([200, 100, 50] * 2 + [0, 0, 0] * 254)
    im.putpixel((0, 0), 1)
    im.info["transparency"] = 1
    out = vibegrade.render(im, CHAIN)
    assert out.mode == "RGBA"
    alpha = np.asarray(out)[..., 3]
    assert alpha[0, 0] == 0 and alpha[1, 1] == 255


@pytest.mark.parametrize("mode", ["I;16", "I", "F"])
def test_render_pil_wide_modes_are_refused(mode):
    im = Image.new(mode, (4, 4))
    with pytest.raises(ValueError, match="NumPy array"):
        vibegrade.render(im, CHAIN)


def test_render_path_gives_an_array(tmp_path):
    rgba = _image(np.uint8, 4)
    p = tmp_path / "in.png"
    Image.fromarray(rgba).save(p)
    for src in (p, str(p)):
        out = vibegrade.render(src, CHAIN)
        assert isinstance(out, np.ndarray) and out.dtype == np.uint8 and out.shape == rgba.shape
        np.testing.assert_array_equal(out, vibegrade.render(rgba, CHAIN))
    wide = _image(np.uint16, 3)
    p16 = tmp_path / "in16.png"
    import cv2

    assert cv2.imwrite(str(p16), wide[..., ::-1])
    out = vibegrade.render(p16, CHAIN)
    assert out.dtype == np.uint16 and out.shape == wide.shape
    np.testing.assert_array_equal(out, vibegrade.render(wide, CHAIN))


def test_render_path_applies_orientation(tmp_path):
    arr = _image(np.uint8, 3, h=10, w=20)
    im = Image.fromarray(arr)
    exif = im.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise for display
    p = tmp_path / "rot.jpg"
    im.save(p, exif=exif.tobytes(), quality=95)
    assert vibegrade.render(p, CHAIN).shape == (20, 10, 3)


def test_render_bad_input(tmp_path):
    with pytest.raises(TypeError, match="NumPy array, a PIL image or a path"):
        vibegrade.render([[1, 2, 3]], CHAIN)
    with pytest.raises(TypeError, match="NumPy array, a PIL image or a path"):
        vibegrade.render(b"\x89PNG", CHAIN)
    with pytest.raises(TypeError, match="unsupported pixel type int32"):
        vibegrade.render(np.zeros((4, 4, 3), np.int32), CHAIN)
    with pytest.raises(TypeError, match="unsupported pixel type bool"):
        vibegrade.render(np.zeros((4, 4, 3), bool), CHAIN)
    with pytest.raises(TypeError, match="float16"):
        vibegrade.render(np.zeros((4, 4, 3), np.float16), CHAIN)
    with pytest.raises(ValueError, match=r"greyscale"):
        vibegrade.render(np.zeros((4, 4), np.uint8), CHAIN)
    with pytest.raises(ValueError, match=r"got shape \(4, 4, 5\)"):
        vibegrade.render(np.zeros((4, 4, 5), np.uint8), CHAIN)
    with pytest.raises(ValueError, match="empty"):
        vibegrade.render(np.zeros((0, 4, 3), np.uint8), CHAIN)
    with pytest.raises(TypeError, match="chain must be"):
        vibegrade.render(np.zeros((4, 4, 3), np.uint8), 42)
    with pytest.raises(ValueError, match="adjust.exposure"):
        vibegrade.render(np.zeros((4, 4, 3), np.uint8), {"adjust": {"exposure": 500}})
    with pytest.raises(ValueError, match="unknown filter preset"):
        vibegrade.render(np.zeros((4, 4, 3), np.uint8), {"filter": {"name": "no-such-look", "intensity": 5}})
    with pytest.raises(MediaError, match="missing.png"):
        vibegrade.render(tmp_path / "missing.png", CHAIN)
    (tmp_path / "junk.jpg").write_bytes(b"not an image at all")
    with pytest.raises(ValueError, match="junk.jpg"):
        vibegrade.render(tmp_path / "junk.jpg", CHAIN)


# -------------------------------------------------------------------------------------------------- grade


def test_grade_is_predict_then_render():
    img = _image(np.uint8, 4)
    chain = vibegrade.predict("faded film look")
    np.testing.assert_array_equal(vibegrade.grade(img, "faded film look"), vibegrade.render(img, chain))
    out = vibegrade.grade(Image.fromarray(img[..., :3]), "faded film look")
    assert isinstance(out, Image.Image) and out.mode == "RGB"


def test_grade_checks_the_image_before_predicting():
    with pytest.raises(TypeError, match="NumPy array, a PIL image or a path"):
        vibegrade.grade(42, "golden hour")
    with pytest.raises(ValueError, match="empty request"):
        vibegrade.grade(np.zeros((2, 2, 3), np.uint8), "  ")


# -------------------------------------------------------------------------------------------------- match

def test_match_takes_arrays_pil_images_and_paths_alike(samples):
    from vibegrade.samples import sample_path

    coffee = samples["coffee"]
    graded = vibegrade.render(coffee, {"adjust": {"exposure": -30, "temperature": -40}})
    by_array = vibegrade.match(coffee, graded, filters=False)
    by_pil = vibegrade.match(Image.fromarray(coffee), Image.fromarray(graded), filters=False)
    rgba = np.dstack([coffee, np.full(coffee.shape[:2], 9, np.uint8)])  # alpha is ignored
    by_path_and_rgba = vibegrade.match(sample_path("coffee"), rgba, filters=False)
    assert by_array == by_pil
    assert by_array.adjust.exposure < -5 and by_array.adjust.temperature < -15
    assert by_path_and_rgba.is_identity or max(abs(v) for v in by_path_and_rgba.adjust.vector()) <= 3
    fit = vibegrade.match_fit(coffee.astype(np.float32) / 255, graded.astype(np.uint16) * 257, filters=False)
    assert fit.after.bands_de00 < fit.before.bands_de00 / 4


@pytest.mark.parametrize("image, reference, error, message", [
    ("not an image", np.zeros((4, 4, 3), np.uint8), MediaError, "not an image: file not found"),
    (np.zeros((4, 4, 3), np.uint8), 12, TypeError, "reference must be a NumPy array"),
    (np.zeros((4, 4, 3), np.int32), np.zeros((4, 4, 3), np.uint8), TypeError,
     "image: unsupported pixel type"),
    (np.zeros((0, 4, 3), np.uint8), np.zeros((4, 4, 3), np.uint8), ValueError, "image: the image is empty"),
    (np.zeros((4, 4, 3), np.uint8), Image.new("I;16", (4, 4)), ValueError, "reference: PIL images in mode"),
])
def test_match_bad_input(image, reference, error, message):
    with pytest.raises(error, match=message):
        vibegrade.match(image, reference)


def test_match_bad_filters():
    grey = np.full((8, 8, 3), 100, np.uint8)
    with pytest.raises(TypeError, match="single string"):
        vibegrade.match(grey, grey, filters="winter")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown filter preset 'nope'"):
        vibegrade.match(grey, grey, filters=["nope"])
