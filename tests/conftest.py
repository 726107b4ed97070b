from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.store_helpers import find_pg_url
from vibegrade.samples import SAMPLE_IMAGES

#: The shared photographs (licences in LICENSES.md): ``../shared/photos`` beside the checkout, as laid out
#: for developers and CI.
SHARED_PHOTOS = Path(__file__).resolve().parents[1].parent / "shared" / "photos"


def shared_photo(name: str) -> np.ndarray:
    """One shared photo as 8-bit RGB, EXIF-oriented (the test is skipped when the folder is missing)."""
    from PIL import ImageOps

    path = SHARED_PHOTOS / name
    if not path.is_file():
        pytest.skip(f"shared photo {path} missing")
    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


@pytest.fixture(scope="module")
def pg_url() -> str:
    """A reachable local PostgreSQL server's URL (the test is skipped without one)."""
    url, why = find_pg_url()
    if url is None:
        pytest.skip(f"PostgreSQL server unreachable ({why})")
    return url


@pytest.fixture(scope="session")
def samples() -> dict[str, np.ndarray]:
    """The bundled sample photos as 8-bit RGB arrays."""
    out = {}
    for name, path in SAMPLE_IMAGES.items():
        with Image.open(path) as im:
            out[name] = np.asarray(im.convert("RGB"))
    return out


@pytest.fixture(scope="session")
def astronaut(samples) -> np.ndarray:
    return samples["astronaut"]


@pytest.fixture(scope="session")
def rgb_cube_u8() -> np.ndarray:
    """Every 8th level of each channel (32^3 colours) laid out as an image: covers the whole gamut."""
    lv = np.arange(0, 256, 8, dtype=np.uint8)
    r, g, b = np.meshgrid(lv, lv, lv, indexing="ij")
    return np.stack([r, g, b], -1).reshape(256, 128, 3)
