"""Bundled sample images (public domain / CC0, see README.md here) and example looks."""

from __future__ import annotations

from pathlib import Path

SAMPLES_DIR = Path(__file__).parent
SAMPLE_IMAGES: dict[str, Path] = {p.stem: p for p in sorted(SAMPLES_DIR.iterdir())
                                  if p.suffix.lower() in (".png", ".jpg", ".jpeg")}
LOOKS_DIR = SAMPLES_DIR / "looks"


def sample_path(name: str) -> Path:
    """Path of a bundled sample image by stem (``astronaut``, ``chelsea``, ``coffee``, ``rocket``)."""
    try:
        return SAMPLE_IMAGES[name]
    except KeyError:
        raise KeyError(f"unknown sample {name!r}; choose from {', '.join(SAMPLE_IMAGES)}") from None


def example_look(name: str = "golden_hour") -> Path:
    return LOOKS_DIR / f"{name}.json"
