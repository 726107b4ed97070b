"""The public Python API: a look request becomes a tool chain, a tool chain becomes pixels.

Three functions cover the product, a fourth takes the look from a reference image (all re-exported by
:mod:`vibegrade`)::

    chain = vibegrade.predict("golden hour")     # request -> ToolChain (the shipped student)
    out = vibegrade.render(image, chain)         # image + ToolChain -> graded image
    out = vibegrade.grade(image, "golden hour")  # both at once
    chain = vibegrade.match(image, reference)    # the chain that gives image the reference's look

``image`` is a NumPy array, a PIL image or a path, and the result is of the same kind (a path gives an
array; write it with :func:`vibegrade.media.image.write_image`, or grade a file into a file, metadata and
videos included, with ``vibegrade edit`` / :func:`vibegrade.media.pipeline.render_file`). See
``docs/api.md`` for examples.

Nothing here needs torch: the shipped student runs on NumPy, so this works in the lean serving install.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union, overload

import numpy as np

if TYPE_CHECKING:
    from PIL import Image

    from vibegrade.schema import ToolChain
    from vibegrade.students import Student
    from vibegrade.tools.match import MatchResult

__all__ = ["predict", "render", "grade", "match", "match_fit", "load_model", "ChainLike", "ModelLike"]

#: A tool chain, its wire form as a dict, or that dict as JSON text.
ChainLike = Union["ToolChain", Mapping[str, Any], str]
#: A model folder (``None``: the shipped default student) or an already loaded student.
ModelLike = Union[str, "os.PathLike[str]", "Student", None]

#: Pixel types :func:`render` accepts in a NumPy array.
ARRAY_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.float32), np.dtype(np.float64))

_load_lock = threading.Lock()


# ------------------------------------------------------------------------------------------------- models


_CACHE_SIZE = 4
_cache: OrderedDict[tuple[str, int, int], Student] = OrderedDict()


def load_model(model: str | os.PathLike[str] | None = None) -> Student:
    """The student in model folder ``model`` (``None``: the shipped default student), loaded once.

    Loaded students are cached per folder (the four most recently used), so repeated calls are fast; a
    folder whose ``config.json`` changed since (a retrained model) is loaded again.

    Raises:
        vibegrade.students.StudentLoadError: (a ``ValueError``) the folder is missing, incomplete or of an
            unknown kind.
    """
    from vibegrade.students import DEFAULT_MODEL_DIR, load_student

    if model is not None and not isinstance(model, (str, os.PathLike)):
        raise TypeError(f"model must be a model folder path or None, got {type(model).__name__}")
    folder = Path(model) if model is not None else DEFAULT_MODEL_DIR
    try:
        st = (folder / "config.json").stat()
    except OSError:
        return load_student(folder)  # raises StudentLoadError naming the folder
    key = (str(folder.resolve()), st.st_mtime_ns, st.st_size)
    with _load_lock:
        student = _cache.get(key)
        if student is None:
            student = load_student(folder)
            _cache[key] = student
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
        _cache.move_to_end(key)
        return student


def _student(model: ModelLike) -> Student:
    if model is None or isinstance(model, (str, os.PathLike)):
        return load_model(model)
    if callable(getattr(model, "predict", None)):
        return model  # any object with predict(list[str]) -> list[ToolChain]
    raise TypeError(
        f"model must be a model folder path, a loaded student or None, got {type(model).__name__}")


def predict(request: str, *, model: ModelLike = None) -> ToolChain:
    """The tool chain for a look request such as ``"golden hour"`` or ``"moody, faded film"``.

    Args:
        request: the look, 1..300 characters after whitespace is collapsed (control characters count as
            spaces). Any language or wording is accepted; the result is always a valid chain.
        model: a model folder (``vibegrade train`` output), an already loaded student (anything with
            ``predict(list[str]) -> list[ToolChain]``), or ``None`` for the shipped default student.
            Folders are loaded once (see :func:`load_model`).

    Returns:
        A :class:`~vibegrade.schema.ToolChain`: integer slider values, ``-100..100`` for signed sliders and
        ``0..100`` for strengths and the filter intensity (percent).

    Raises:
        TypeError: ``request`` is not a string, or ``model`` is of the wrong type.
        ValueError: the request is empty or too long; the model folder cannot be loaded.
    """
    from vibegrade.data.rows import clean_intent

    if not isinstance(request, str):
        raise TypeError(f"request must be a string, got {type(request).__name__}")
    text = clean_intent(request)
    return _student(model).predict([text])[0]


# ------------------------------------------------------------------------------------------------- render


def _as_chain(chain: ChainLike) -> ToolChain:
    from vibegrade.schema import ToolChain, parse_chain
    from vibegrade.tools.filters import preset_names

    names = preset_names()
    if isinstance(chain, ToolChain):
        if chain.filter.name != "none" and chain.filter.name not in names:
            raise ValueError(
                f"unknown filter preset {chain.filter.name!r} (vibegrade.preset_names() lists them)")
        return chain
    if isinstance(chain, str):
        return parse_chain(chain, presets=names)
    if isinstance(chain, Mapping):
        return parse_chain(dict(chain), presets=names)
    raise TypeError(f"chain must be a ToolChain, a dict or JSON text, got {type(chain).__name__}")


def _render_array(a: np.ndarray, chain: ToolChain, lut_size: int | None) -> np.ndarray:
    from vibegrade.tools.chain import DEFAULT_LUT_SIZE, Renderer

    if a.dtype not in ARRAY_DTYPES:
        raise TypeError(f"unsupported pixel type {a.dtype}: use uint8, uint16, float32 or float64 "
                        "(floats in [0, 1])")
    if a.ndim != 3 or a.shape[2] not in (3, 4):
        raise ValueError(f"expected an (H, W, 3) RGB or (H, W, 4) RGBA array, got shape {a.shape}"
                         + (" (greyscale: stack it to three channels)" if a.ndim == 2 else ""))
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"the image is empty (shape {a.shape})")
    renderer = Renderer(chain, lut_size=DEFAULT_LUT_SIZE if lut_size is None else lut_size)
    rgb = renderer(np.ascontiguousarray(a[..., :3]))
    if a.shape[2] == 3:
        return rgb
    out = np.empty_like(a)
    out[..., :3] = rgb
    out[..., 3] = a[..., 3]  # alpha untouched
    return out


# Pillow modes converted to RGB(A) before rendering; 16-bit and float modes have no RGB form in Pillow.
_PIL_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
_PIL_COLOUR_MODES = frozenset({"RGB", "L", "P", "1", "CMYK", "YCbCr",
                               "RGBX", "LAB", "HSV"}) | _PIL_ALPHA_MODES
_PIL_KEPT_INFO = ("dpi", "icc_profile", "exif")


def _render_pil(im: Image.Image, chain: ToolChain, lut_size: int | None) -> Image.Image:
    from PIL import Image

    mode = im.mode
    if mode not in _PIL_COLOUR_MODES:
        raise ValueError(f"PIL images in mode {mode!r} (16-bit or float) are not supported: pass a NumPy "
                         "array (uint16 or float) or the file path instead")
    alpha = mode in _PIL_ALPHA_MODES or "transparency" in im.info
    target = "RGBA" if alpha else "RGB"
    src = im if mode == target else im.convert(target)
    out = Image.fromarray(_render_array(np.asarray(src), chain, lut_size))
    out.info.update({k: im.info[k] for k in _PIL_KEPT_INFO if k in im.info})
    return out


def _is_pil(image: object) -> bool:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is a core dependency
        return False
    return isinstance(image, Image.Image)


@overload
def render(image: np.ndarray, chain: ChainLike, *, lut_size: int | None = None) -> np.ndarray: ...
@overload
def render(image: Image.Image, chain: ChainLike, *, lut_size: int | None = None) -> Image.Image: ...
@overload
def render(image: str | os.PathLike[str], chain: ChainLike, *, lut_size: int | None = None) -> np.ndarray: ...


def render(image: np.ndarray | Image.Image | str | os.PathLike[str], chain: ChainLike, *,
           lut_size: int | None = None) -> np.ndarray | Image.Image:
    """Render ``chain`` on ``image``; the input is never modified.

    Args:
        image: one of

            * a NumPy array of shape ``(H, W, 3)`` (RGB) or ``(H, W, 4)`` (RGBA), dtype ``uint8``
              (0..255), ``uint16`` (0..65535) or ``float32`` / ``float64`` (0.0..1.0), sRGB-encoded;
            * a PIL image (mode ``RGB``, ``RGBA``, ``L``, ``LA``, ``P``, ``CMYK``, ...; 16-bit and float
              modes are refused, pass an array instead);
            * a path (``str`` or ``os.PathLike``) to a JPEG, PNG, WebP, TIFF, HEIC/HEIF or camera RAW file.
              It is decoded the way the CLI does: EXIF orientation applied, an embedded ICC profile
              converted to sRGB, 16-bit kept (RAW: developed at 16 bits, see ``docs/formats.md``), at most
              ``VIBEGRADE_MAX_PIXELS`` (default 100 million) pixels.

        chain: a :class:`~vibegrade.schema.ToolChain`, its wire form as a dict, or that dict as JSON.
        lut_size: grid size of the baked 3D LUT, 2..256 (``None``: 33, see ``docs/tools.md``).

    Returns:
        The same kind as ``image``:

        * array in, array out: same shape and dtype; the alpha channel is copied unchanged;
        * PIL in, PIL out: mode ``RGB``, or ``RGBA`` when the input had alpha (transparency), with the
          input's ``dpi``, ``icc_profile`` and ``exif`` info kept (pixel values are treated as sRGB);
        * path in, array out: ``(H, W, 3)`` or ``(H, W, 4)`` ``uint8`` (``uint16`` for 16-bit files) in
          display orientation.

        Float results are clipped to [0, 1] (except for a chain that changes nothing, which returns a copy).

    Raises:
        TypeError: ``image`` is not an array, a PIL image or a path; an unsupported dtype; ``chain`` is
            not a chain, dict or string.
        ValueError: a wrong array shape or PIL mode; an invalid chain (the message names the field); an
            unreadable file (:class:`vibegrade.media.image.MediaError`).
    """
    c = _as_chain(chain)
    if isinstance(image, np.ndarray):
        return _render_array(image, c, lut_size)
    if isinstance(image, (str, os.PathLike)):
        from vibegrade.media.image import read_image

        img = read_image(image)
        a = img.rgb if img.alpha is None else np.concatenate([img.rgb, img.alpha[..., None]], axis=2)
        return _render_array(a, c, lut_size)
    if _is_pil(image):
        return _render_pil(image, c, lut_size)
    raise TypeError(f"image must be a NumPy array, a PIL image or a path, got {type(image).__name__}")


@overload
def grade(image: np.ndarray, request: str, *, model: ModelLike = None,
          lut_size: int | None = None) -> np.ndarray: ...
@overload
def grade(image: Image.Image, request: str, *, model: ModelLike = None,
          lut_size: int | None = None) -> Image.Image: ...
@overload
def grade(image: str | os.PathLike[str], request: str, *, model: ModelLike = None,
          lut_size: int | None = None) -> np.ndarray: ...


def grade(image: np.ndarray | Image.Image | str | os.PathLike[str], request: str, *,
          model: ModelLike = None, lut_size: int | None = None) -> np.ndarray | Image.Image:
    """Grade ``image`` from a look request: :func:`predict` then :func:`render`.

    Takes and returns images as :func:`render` does (array -> array, PIL -> PIL, path -> array); ``request``
    and ``model`` are as for :func:`predict`. To know which settings were used, call the two steps
    yourself.
    """
    if not (isinstance(image, (np.ndarray, str, os.PathLike)) or _is_pil(image)):
        raise TypeError(f"image must be a NumPy array, a PIL image or a path, got {type(image).__name__}")
    return render(image, predict(request, model=model), lut_size=lut_size)


# -------------------------------------------------------------------------------------------------- match


def _match_rgb(image: object, what: str) -> np.ndarray:
    """``image`` (array, PIL image or path) as an ``(H, W, 3)`` array for the look matcher."""
    if isinstance(image, np.ndarray):
        if image.dtype not in ARRAY_DTYPES:
            raise TypeError(f"{what}: unsupported pixel type {image.dtype}: use uint8, uint16, float32 or "
                            "float64 (floats in [0, 1])")
        if image.ndim != 3 or image.shape[2] not in (3, 4):
            raise ValueError(f"{what}: expected an (H, W, 3) RGB or (H, W, 4) RGBA array, got shape "
                             f"{image.shape}")
        if image.shape[0] == 0 or image.shape[1] == 0:
            raise ValueError(f"{what}: the image is empty (shape {image.shape})")
        return image[..., :3]
    if isinstance(image, (str, os.PathLike)):
        from vibegrade.media.image import read_image

        return read_image(image).rgb
    if _is_pil(image):
        from PIL import Image

        assert isinstance(image, Image.Image)
        if image.mode not in _PIL_COLOUR_MODES:
            raise ValueError(f"{what}: PIL images in mode {image.mode!r} (16-bit or float) are not "
                             "supported: pass a NumPy array (uint16 or float) or the file path instead")
        if image.width == 0 or image.height == 0:
            raise ValueError(f"{what}: the image is empty ({image.width}x{image.height})")
        return np.asarray(image.convert("RGB"))
    raise TypeError(f"{what} must be a NumPy array, a PIL image or a path, got {type(image).__name__}")


def match_fit(image: np.ndarray | Image.Image | str | os.PathLike[str],
              reference: np.ndarray | Image.Image | str | os.PathLike[str], *,
              filters: bool | Iterable[str] = True) -> MatchResult:
    """Fit the tool chain that gives ``image`` the colour and tone of ``reference``, with how well it fits.

    Takes the images as :func:`match` does. Returns a :class:`vibegrade.tools.match.MatchResult`: ``chain``,
    the statistics distances ``before`` and ``after`` (CIELAB units, see ``docs/match.md``), ``seconds`` and
    ``filters_tried``; ``report()`` gives them as a JSON-ready dict.
    """
    from vibegrade.tools.match import match_look

    if isinstance(filters, str):
        raise TypeError("filters must be True, False or a list of preset names, not a single string")
    return match_look(_match_rgb(image, "image"), _match_rgb(reference, "reference"), filters=filters)


def match(image: np.ndarray | Image.Image | str | os.PathLike[str],
          reference: np.ndarray | Image.Image | str | os.PathLike[str], *,
          filters: bool | Iterable[str] = True) -> ToolChain:
    """The tool chain that gives ``image`` the colour and tone of ``reference`` (a *reference look*).

    The chain's sliders (exposure, contrast, brightness, highlights, shadows, saturation, vibrance,
    temperature, tint, linearOffset and the selective saturation and luminance of six colour ranges) are
    optimised so that the colour statistics of ``image`` rendered with the chain approach those of
    ``reference``: tone percentiles, the colour cast and colour of shadows, mid-tones and highlights, and the
    chroma and lightness of each colour range. Filter presets are tried as candidates. ``hue``, bloom,
    sharpen and structure stay 0. The result is an editable chain: render it with :func:`render`, change a
    slider, store it. It takes a second or a few (both images are measured on copies about 100 px wide).

    Args:
        image: the photo to grade, and ``reference`` the photo whose look it should take on; each a NumPy
            array ``(H, W, 3)`` or ``(H, W, 4)`` (alpha ignored; uint8, uint16 or float in 0..1), a PIL
            image, or a path to a JPEG, PNG, WebP or TIFF file (decoded as :func:`render` decodes it).
        filters: ``True`` to try every installed filter preset, ``False`` for sliders only, or a list of
            preset names to try.

    Returns:
        A :class:`~vibegrade.schema.ToolChain`; identical images give the identity chain.

    Raises:
        TypeError: an image is not an array, a PIL image or a path; an unsupported dtype.
        ValueError: a wrong array shape or PIL mode, an empty image, an unknown preset name; an unreadable
            file (:class:`vibegrade.media.image.MediaError`).
    """
    return match_fit(image, reference, filters=filters).chain
