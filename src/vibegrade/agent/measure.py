"""Colour measurements of the agent's judge: CIELAB, CIEDE2000 and the checklist's properties in a region.

* :func:`to_lab`: sRGB (IEC 61966-2-1, D65 white) to CIE L*a*b*, the standard formulas (the same constants as
  scikit-image's ``rgb2lab``, which the tests compare against). Own implementation because scikit-image is
  only an optional extra here and OpenCV's float conversion is off by up to 0.5 in a*/b*; the powers run
  through OpenCV's vectorised ``pow`` into reused buffers, so one 384-px proxy takes about 1.5 ms (NumPy's
  ``cbrt`` alone takes 8).
* :func:`delta_e00`: per-pixel CIEDE2000 (kL = kC = kH = 1) after G. Sharma, W. Wu, E. N. Dalal, "The
  CIEDE2000 color-difference formula: implementation notes, supplementary test data, and mathematical
  observations", Color Research & Application 30(1), 2005. Rewritten without per-pixel hue angles where
  they are not needed: ΔH' from the identity ΔH'² = Δa'² + Δb² − ΔC'², the mean hue's cosines from the
  mean of the two unit hue vectors (Sharma's branches reduce to that, including his ties). Only the
  rotation term needs the mean hue in degrees: float64 inputs use ``arctan2`` (Sharma's table within 1e-4,
  scikit-image within 1e-8), float32 inputs OpenCV's ``phase`` (within 0.01 degree; with float32
  rounding the result stays within 3e-3 of scikit-image's float64 on photo edits). Evaluated in blocks of
  :data:`DE_BLOCK` pixels, so the temporaries are reused from the heap.
* :func:`measure`: one property of :data:`vibegrade.agent.checklist.PROPERTIES` in a soft mask, in the
  units of :data:`vibegrade.agent.checklist.TARGETS`.

Arrays: RGB is display-referred sRGB, float in [0, 1] (uint8 / uint16 are scaled), shape ``(..., 3)``;
Lab is ``(..., 3)`` with L* in [0, 100] (float32 from :func:`to_lab`; :func:`delta_e00` computes in float64
when given float64); masks are ``(h, w)`` in [0, 1].
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

__all__ = ["CLIP_HIGH", "CLIP_LOW", "MEASURED", "as_float_rgb", "to_lab", "lab_view", "chroma", "hue_degrees",
           "delta_e00", "de00_columns", "clipped", "weighted_mean", "weighted_std", "measure"]

#: A pixel counts as clipped when any channel is at least this (254/255) ...
CLIP_HIGH = 254.0 / 255.0
#: ... or all channels are at most this (1/255).
CLIP_LOW = 1.0 / 255.0
#: The properties :func:`measure` measures on one image (``color`` compares two: :func:`delta_e00`;
#: ``content`` is never measured).
MEASURED: tuple[str, ...] = ("luminance", "contrast", "warmth", "tint", "saturation", "clipping")

# sRGB (D65) -> XYZ, the matrix of IEC 61966-2-1 as scikit-image and OpenCV use it, divided by the D65
# white point (X/Xn, Y/Yn, Z/Zn) so the Lab function applies directly.
_RGB2XYZ = np.array([[0.412453, 0.357580, 0.180423],
                     [0.212671, 0.715160, 0.072169],
                     [0.019334, 0.119193, 0.950227]], dtype=np.float64)
_D65 = np.array([0.95047, 1.0, 1.08883], dtype=np.float64)
_XYZN = (_RGB2XYZ / _D65[:, None]).astype(np.float32)
# f(X), f(Y), f(Z) -> L*, a*, b* (with L*'s offset in the fourth column)
_F2LAB = np.array([[0.0, 116.0, 0.0, -16.0],
                   [500.0, -500.0, 0.0, 0.0],
                   [0.0, 200.0, -200.0, 0.0]], dtype=np.float32)
_EPS = 0.008856  # (6/29)^3, as scikit-image
_KAPPA = 7.787  # (29/6)^2 / 3
_25_7 = 25.0 ** 7


def as_float_rgb(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` as float32 in [0, 1] (uint8 / uint16 scaled; float clipped, NaN as 0, ±inf as 1 / 0)."""
    a = np.asarray(rgb)
    if a.ndim < 1 or a.shape[-1] != 3:
        raise ValueError(f"expected RGB values of shape (..., 3), got {a.shape}")
    if a.dtype == np.uint8:
        return a.astype(np.float32) * np.float32(1 / 255)
    if a.dtype == np.uint16:
        return a.astype(np.float32) * np.float32(1 / 65535)
    if a.dtype.kind != "f":
        raise ValueError(f"unsupported pixel type {a.dtype} (uint8, uint16 or float in [0, 1])")
    x = a.astype(np.float32, copy=False)
    if not np.isfinite(x).all():
        x = np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=0.0)
    return np.clip(x, 0.0, 1.0)


class _LabBuffers:
    """Work buffers of :func:`to_lab` for one pixel count. Reusing them matters: fresh arrays of this size
    come from ``mmap`` and every call would pay their page faults (3x the arithmetic on a 384-px proxy)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.bufs = [np.empty((n, 1, 3), np.float32) for _ in range(5)]
        self.low = np.empty((n, 1, 3), np.bool_)

    def convert(self, x: np.ndarray) -> np.ndarray:
        """Lab of the sRGB values ``x`` (``(n, 1, 3)``, any dtype :func:`as_float_rgb` takes) in one of the
        buffers (valid until the next call)."""
        a, b, c, d, v = self.bufs
        low = self.low
        if x.dtype == np.float32:
            np.clip(x, 0.0, 1.0, out=v)
            if not np.isfinite(float(v.sum(dtype=np.float32))):
                np.copyto(v, as_float_rgb(x))
        else:
            np.copyto(v, as_float_rgb(x))
        # sRGB decoding: ((v + 0.055) / 1.055) ** 2.4 above 0.04045, v / 12.92 below
        np.multiply(v, np.float32(1 / 1.055), out=a)
        a += np.float32(0.055 / 1.055)
        cv2.pow(a, 2.4, dst=b)
        np.less_equal(v, np.float32(0.04045), out=low)
        if low.any():
            np.multiply(v, np.float32(1 / 12.92), out=a)
            np.copyto(b, a, where=low)
        cv2.transform(b, _XYZN, dst=c)
        # f(t) = t^(1/3) above (6/29)^3, 7.787 t + 16/116 below
        cv2.pow(c, 1.0 / 3.0, dst=d)
        np.less_equal(c, np.float32(_EPS), out=low)
        if low.any():
            np.multiply(c, np.float32(_KAPPA), out=a)
            a += np.float32(16 / 116)
            np.copyto(d, a, where=low)
        cv2.transform(d, _F2LAB, dst=a)
        return a


_local = threading.local()


def _buffers(n: int) -> _LabBuffers:
    """This thread's :class:`_LabBuffers` for ``n`` pixels (the two most recent sizes are kept)."""
    cache: list[_LabBuffers] = getattr(_local, "lab", None) or []
    for i, bufs in enumerate(cache):
        if bufs.n == n:
            if i:
                cache.insert(0, cache.pop(i))
            return bufs
    bufs = _LabBuffers(n)
    _local.lab = [bufs, *cache[:1]]
    return bufs


def lab_view(rgb: np.ndarray) -> np.ndarray:
    """:func:`to_lab` into a reused buffer of this thread: the result is only valid until the next call
    (for hot loops that read it at once, like the judge)."""
    x = np.asarray(rgb)
    if x.ndim < 1 or x.shape[-1] != 3:
        raise ValueError(f"expected RGB values of shape (..., 3), got {x.shape}")
    v = np.ascontiguousarray(x).reshape(-1, 1, 3)
    if v.shape[0] == 0:
        return np.zeros(x.shape, np.float32)
    return _buffers(v.shape[0]).convert(v).reshape(x.shape)


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (D65) of sRGB values ``(..., 3)``: a new float32 ``(..., 3)`` array, L* in [0, 100]."""
    return lab_view(rgb).copy()


def chroma(lab: np.ndarray) -> np.ndarray:
    """C*ab = hypot(a*, b*) of Lab values ``(..., 3)``: ``(...)``."""
    lab = np.asarray(lab)
    a = np.ascontiguousarray(lab[..., 1])
    b = np.ascontiguousarray(lab[..., 2])
    if a.dtype in (np.float32, np.float64) and a.size:
        return cv2.magnitude(a.reshape(-1), b.reshape(-1)).reshape(a.shape)
    return np.hypot(a, b)


def hue_degrees(lab: np.ndarray) -> np.ndarray:
    """The CIELAB hue angle h_ab in degrees [0, 360) of Lab values ``(..., 3)``: ``(...)`` (0 where C* = 0).

    float32 input uses OpenCV's ``phase`` (within 0.01 degree), float64 ``arctan2``."""
    lab = np.asarray(lab)
    a = np.ascontiguousarray(lab[..., 1])
    b = np.ascontiguousarray(lab[..., 2])
    if a.dtype == np.float32 and a.size:
        return cv2.phase(a.reshape(-1), b.reshape(-1), angleInDegrees=True).reshape(a.shape)
    return np.degrees(np.arctan2(b, a)) % 360.0


def _mean_hue_degrees(c: np.ndarray, s: np.ndarray) -> np.ndarray:
    """The angle in degrees [0, 360) of the direction (c, s)."""
    if c.dtype == np.float32 and c.size:
        angle = cv2.phase(np.ascontiguousarray(c), np.ascontiguousarray(s), angleInDegrees=True)
        return angle.reshape(c.shape)
    return np.degrees(np.arctan2(s, c)) % 360.0


def _mag(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """hypot of two contiguous 1-D float arrays (OpenCV's vectorised magnitude; NumPy's is 20x slower)."""
    return cv2.magnitude(x, y).reshape(x.shape)


def _exp(x: np.ndarray) -> np.ndarray:
    return cv2.exp(x).reshape(x.shape)


def _de00(l1: np.ndarray, a1: np.ndarray, b1: np.ndarray, l2: np.ndarray, a2: np.ndarray,
          b2: np.ndarray) -> np.ndarray:
    """CIEDE2000 of 1-D component arrays (all the same float dtype)."""
    dt = l1.dtype.type
    c_mean = (_mag(a1, b1) + _mag(a2, b2)) * dt(0.5)
    c7 = c_mean * c_mean
    c7 = c7 * c7 * c7 * c_mean
    g1 = dt(1.5) - dt(0.5) * np.sqrt(c7 / (c7 + dt(_25_7)))  # 1 + G
    a1p = a1 * g1
    a2p = a2 * g1
    c1p = _mag(a1p, b1)
    c2p = _mag(a2p, b2)
    dl = l2 - l1
    dc = c2p - c1p
    da = a2p - a1p
    db = b2 - b1
    # ΔH' = 2 sqrt(C1' C2') sin(Δh'/2): its size from |Δ(a', b)|² = ΔC'² + ΔH'², its sign from the turn
    # direction (cross product); 0 when a chroma is 0, as Sharma's Δh' = 0 then.
    dh = np.sqrt(np.maximum(da * da + db * db - dc * dc, dt(0)))
    dh = np.copysign(dh, a1p * b2 - b1 * a2p)
    # the mean hue h̄': direction of the sum of the two unit hue vectors (an achromatic colour has none, so
    # h̄' is the other's hue, as Sharma's h1' + h2'); an exact tie (opposite hues) takes Sharma's branch
    # (h1' + h2') / 2 over [0, 2π): a quarter turn from h1' towards increasing angle when h1' < π.
    tiny = dt(np.finfo(dt).tiny)
    inv1 = dt(1) / np.maximum(c1p, tiny)  # C' = 0 means a' = b = 0, so the unit vector comes out 0
    inv2 = dt(1) / np.maximum(c2p, tiny)
    u1x, u1y = a1p * inv1, b1 * inv1
    sx = u1x + a2p * inv2
    sy = u1y + b2 * inv2
    n2 = sx * sx + sy * sy
    tie = n2 == 0
    if tie.any():
        upper = (b1 > 0) | ((b1 == 0) & (a1p >= 0))  # h1' in [0, π)
        sgn = np.where(upper, dt(1), dt(-1))
        sx = np.where(tie, -u1y * sgn, sx)
        sy = np.where(tie, u1x * sgn, sy)
        n2 = sx * sx + sy * sy
        none = n2 == 0  # both achromatic: h̄' = 0
        sx = np.where(none, dt(1), sx)
        n2 = np.where(none, dt(1), n2)
    inv = dt(1) / np.sqrt(n2)
    ch = sx * inv  # cos h̄'
    sh = sy * inv  # sin h̄'
    c2h = dt(2) * ch * ch - dt(1)
    s2h = dt(2) * sh * ch
    c3h = ch * (dt(4) * ch * ch - dt(3))
    s3h = sh * (dt(3) - dt(4) * sh * sh)
    c4h = dt(2) * c2h * c2h - dt(1)
    s4h = dt(2) * s2h * c2h
    r = np.radians
    t = (dt(1) - dt(0.17) * (ch * dt(np.cos(r(30))) + sh * dt(np.sin(r(30))))
         + dt(0.24) * c2h
         + dt(0.32) * (c3h * dt(np.cos(r(6))) - s3h * dt(np.sin(r(6))))
         - dt(0.20) * (c4h * dt(np.cos(r(63))) + s4h * dt(np.sin(r(63)))))
    z = (_mean_hue_degrees(ch, sh) - dt(275.0)) * dt(1 / 25.0)
    d_theta = dt(np.radians(30.0)) * _exp(-(z * z))
    cm = (c1p + c2p) * dt(0.5)
    cm7 = cm * cm
    cm7 = cm7 * cm7 * cm7 * cm
    r_c = dt(2) * np.sqrt(cm7 / (cm7 + dt(_25_7)))
    lm50 = (l1 + l2) * dt(0.5) - dt(50.0)
    lm50 = lm50 * lm50
    s_l = dt(1) + dt(0.015) * lm50 / np.sqrt(dt(20) + lm50)
    s_c = dt(1) + dt(0.045) * cm
    s_h = dt(1) + dt(0.015) * cm * t
    r_t = -np.sin(dt(2) * d_theta) * r_c
    tl = dl / s_l
    tc = dc / s_c
    th = dh / s_h
    return np.sqrt(np.maximum(tl * tl + tc * tc + th * th + r_t * tc * th, dt(0)))


def delta_e00(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """Per-pixel CIEDE2000 between Lab arrays of the same shape ``(..., 3)``: ``(...)``, float32 (float64
    when either input is float64). About 1 is a just-noticeable difference."""
    x = np.asarray(lab1)
    y = np.asarray(lab2)
    if x.shape != y.shape or x.ndim < 1 or x.shape[-1] != 3:
        raise ValueError(f"expected two Lab arrays of the same shape (..., 3), got {x.shape} and {y.shape}")
    dt = np.float64 if np.float64 in (x.dtype, y.dtype) else np.float32
    shape = x.shape[:-1]
    x = x.reshape(-1, 3).astype(dt, copy=False)
    y = y.reshape(-1, 3).astype(dt, copy=False)
    cols = [np.ascontiguousarray(m[:, i]) for m in (x, y) for i in range(3)]
    return de00_columns(*cols).reshape(shape)


#: Pixels per block of :func:`de00_columns`: its temporaries stay small enough to be reused from the heap
#: instead of fresh ``mmap`` pages (which tripled the time of a 384-px proxy) and warm in the cache.
DE_BLOCK = 8192


def de00_columns(l1: np.ndarray, a1: np.ndarray, b1: np.ndarray, l2: np.ndarray, a2: np.ndarray,
                 b2: np.ndarray) -> np.ndarray:
    """CIEDE2000 of Lab colours given as six contiguous 1-D arrays of one float dtype (block by block)."""
    n = l1.shape[0]
    if n <= DE_BLOCK:
        return _de00(l1, a1, b1, l2, a2, b2)
    out = np.empty(n, l1.dtype)
    cols = (l1, a1, b1, l2, a2, b2)
    for i in range(0, n, DE_BLOCK):
        out[i:i + DE_BLOCK] = _de00(*(c[i:i + DE_BLOCK] for c in cols))
    return out


def clipped(rgb: np.ndarray) -> np.ndarray:
    """Per pixel, whether it is clipped: any channel ≥ 254/255 or all channels ≤ 1/255; bool ``(...)``."""
    x = as_float_rgb(rgb)
    return (x.max(axis=-1) >= np.float32(CLIP_HIGH)) | (x.max(axis=-1) <= np.float32(CLIP_LOW))


def _weights(mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    m = np.asarray(mask, dtype=np.float32)
    if m.shape != shape:
        raise ValueError(f"mask shape {m.shape} does not match the image {shape}")
    total = float(m.sum(dtype=np.float64))
    if not np.isfinite(total) or total <= 0.0:
        raise ValueError("the mask is empty (its weights sum to 0): nothing to measure")
    return (m / np.float32(total)).reshape(-1)


def weighted_mean(values: np.ndarray, w: np.ndarray) -> float:
    """``Σ w·v`` for flat ``values`` and flat weights ``w`` that sum to 1."""
    return float(np.dot(w, values.reshape(-1)))


def weighted_std(values: np.ndarray, w: np.ndarray) -> float:
    """The weighted standard deviation of flat ``values`` for flat weights ``w`` that sum to 1 (two-pass)."""
    v = values.reshape(-1)
    d = v - np.float32(np.dot(w, v))
    return float(np.sqrt(max(float(np.dot(w, d * d)), 0.0)))


def measure(lab: np.ndarray, rgb: np.ndarray, mask: np.ndarray, prop: str) -> float:
    """One property of an image in a soft mask, in the units of :data:`vibegrade.agent.checklist.TARGETS`.

    Args:
        lab: ``(h, w, 3)`` Lab of the image (:func:`to_lab`).
        rgb: ``(h, w, 3)`` the same image in sRGB (only ``clipping`` reads it).
        mask: ``(h, w)`` weights in [0, 1]; every pixel counts with its weight.
        prop: ``luminance`` (weighted mean L*), ``contrast`` (weighted standard deviation of L*), ``warmth``
            (mean b*), ``tint`` (mean a*), ``saturation`` (mean chroma C*ab), ``clipping`` (percentage of the
            mask's weight on clipped pixels, see :func:`clipped`).

    Raises:
        ValueError: an unknown or unmeasurable property (``color`` compares two images, ``content`` is not
            colour), mismatched shapes, an empty mask.
    """
    lab = np.asarray(lab)
    if lab.ndim != 3 or lab.shape[2] != 3:
        raise ValueError(f"expected an (h, w, 3) Lab image, got shape {lab.shape}")
    if prop not in MEASURED:
        if prop == "color":
            raise ValueError("'color' compares two images: use delta_e00(lab_before, lab_after)")
        raise ValueError(f"cannot measure {prop!r} (one of: {', '.join(MEASURED)})")
    w = _weights(mask, lab.shape[:2])
    if prop == "clipping":
        if np.shape(rgb)[:2] != lab.shape[:2]:
            raise ValueError(f"rgb shape {np.shape(rgb)} does not match the Lab image {lab.shape}")
        return 100.0 * weighted_mean(clipped(rgb).astype(np.float32), w)
    if prop == "luminance":
        return weighted_mean(np.ascontiguousarray(lab[..., 0]), w)
    if prop == "contrast":
        return weighted_std(np.ascontiguousarray(lab[..., 0]), w)
    if prop == "warmth":
        return weighted_mean(np.ascontiguousarray(lab[..., 2]), w)
    if prop == "tint":
        return weighted_mean(np.ascontiguousarray(lab[..., 1]), w)
    return weighted_mean(chroma(lab).astype(np.float32, copy=False), w)  # saturation
