"""Apply LUT files with independent, third-party readers, to validate vibegrade's writers and readers.

* OpenColorIO (PyPI ``opencolorio``): ``.cube`` and ``.3dl`` through a ``FileTransform`` with tetrahedral
  interpolation, on float RGB.
* colour-science (PyPI ``colour-science``): ``.cube`` through ``colour.read_LUT`` and ``LUT3D.apply``
  (tetrahedral). colour-science 0.4 reads neither ``.3dl`` nor HaldCLUT images.
* ffmpeg's ``lut3d`` (``.cube``; ``.3dl`` fixed at 17 points, codes divided by 4096) and ``haldclut``
  filters through PyAV's libavfilter graph, on 8-bit RGB frames.

The first two are optional (``pip install vibegrade[formats]``); PyAV is a core dependency.
All functions take and return ``(H, W, 3)`` arrays: float32 in [0, 1] for OpenColorIO and colour-science,
uint8 for ffmpeg.
"""

from __future__ import annotations

import os
from fractions import Fraction

import numpy as np

__all__ = ["ocio_apply", "colour_apply", "ffmpeg_lut3d", "ffmpeg_haldclut"]


def ocio_apply(rgb: np.ndarray, path: str | os.PathLike[str]) -> np.ndarray:
    """Apply a ``.cube``/``.3dl`` with OpenColorIO (tetrahedral)."""
    import PyOpenColorIO as ocio

    cfg = ocio.Config.CreateRaw()
    ft = ocio.FileTransform(src=os.fspath(os.path.abspath(path)), interpolation=ocio.INTERP_TETRAHEDRAL)
    cpu = cfg.getProcessor(ft).getDefaultCPUProcessor()
    out = np.ascontiguousarray(rgb, dtype=np.float32).copy()
    cpu.applyRGB(out)
    return out


def colour_apply(rgb: np.ndarray, path: str | os.PathLike[str]) -> np.ndarray:
    """Apply a ``.cube`` with colour-science (tetrahedral)."""
    import colour
    from colour.algebra import table_interpolation_tetrahedral

    lut = colour.read_LUT(os.fspath(path))
    if isinstance(lut, colour.LUTSequence):
        lut = lut[0]
    return np.asarray(lut.apply(np.asarray(rgb, np.float64), interpolator=table_interpolation_tetrahedral),
                      np.float32)


def _run_graph(frames: list[tuple[np.ndarray, str]], name: str, args: str) -> np.ndarray:
    import av
    from av.video.format import VideoFormat

    graph = av.filter.Graph()
    node = graph.add(name, args)
    sources = []
    for k, (img, fmt) in enumerate(frames):
        h, w = img.shape[:2]
        src = graph.add_buffer(width=w, height=h, format=VideoFormat(fmt), time_base=Fraction(1, 25))
        src.link_to(node, 0, k)
        sources.append(src)
    sink = graph.add("buffersink")
    node.link_to(sink)
    graph.configure()
    for src, (img, fmt) in zip(sources, frames):
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format=fmt)
        frame.pts = 0
        frame.time_base = Fraction(1, 25)
        src.push(frame)
    for src in sources:
        src.push(None)
    out = graph.pull()
    assert isinstance(out, av.VideoFrame), "a video filter graph yields video frames"
    return out.to_ndarray(format="rgb24")


def ffmpeg_lut3d(rgb: np.ndarray, path: str | os.PathLike[str]) -> np.ndarray:
    """Apply a ``.cube`` or ``.3dl`` with ffmpeg's ``lut3d`` filter (tetrahedral) to a uint8 image."""
    return _run_graph([(rgb, "rgb24")], "lut3d", f"file={os.fspath(path)}:interp=tetrahedral")


def ffmpeg_haldclut(rgb: np.ndarray, hald: np.ndarray | str | os.PathLike[str]) -> np.ndarray:
    """Apply a HaldCLUT (a PNG path, decoded by OpenCV's libpng without colour management, or a uint8/uint16
    ``(L³, L³, 3)`` RGB array) with ffmpeg's ``haldclut`` filter (tetrahedral) to a uint8 image."""
    if not isinstance(hald, np.ndarray):
        import cv2

        bgr = cv2.imread(os.fspath(hald), cv2.IMREAD_UNCHANGED)
        if bgr is None or bgr.ndim != 3:
            raise ValueError(f"{hald}: OpenCV could not read an RGB image")
        hald = np.ascontiguousarray(bgr[..., 2::-1])
    fmt = "rgb24" if hald.dtype == np.uint8 else "rgb48le"
    return _run_graph([(rgb, "rgb24"), (hald, fmt)], "haldclut", "interp=tetrahedral")
