"""vibegrade: say the look you want, get your photo or video colour-graded.

Data flow: request -> teacher/student (``llm``, ``students``) -> tool chain (``schema``) ->
tools (``tools``) -> pixels (``media``).

The public API (``docs/api.md``)::

    import vibegrade

    chain = vibegrade.predict("golden hour")          # -> vibegrade.ToolChain
    graded = vibegrade.render("photo.jpg", chain)     # -> NumPy array (array/PIL in -> same kind out)
    graded = vibegrade.grade(pil_image, "moody film")  # predict, then render

The names below are imported on first use, so ``import vibegrade`` stays cheap (no NumPy, no models).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "predict": "vibegrade.api",
    "render": "vibegrade.api",
    "grade": "vibegrade.api",
    "load_model": "vibegrade.api",
    "ToolChain": "vibegrade.schema",
    "Adjust": "vibegrade.schema",
    "SelectiveAdjust": "vibegrade.schema",
    "SelectiveColor": "vibegrade.schema",
    "Filter": "vibegrade.schema",
    "parse_chain": "vibegrade.schema",
    "preset_names": "vibegrade.tools.filters",
}

__all__ = ["__version__", *_LAZY]

if TYPE_CHECKING:
    from vibegrade.api import grade, load_model, predict, render
    from vibegrade.schema import Adjust, Filter, SelectiveAdjust, SelectiveColor, ToolChain, parse_chain
    from vibegrade.tools.filters import preset_names


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'vibegrade' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
