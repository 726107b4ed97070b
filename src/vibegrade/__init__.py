"""vibegrade: say the look you want, get your photo or video colour-graded.

Data flow: request -> teacher/student (``llm``, ``students``) -> tool chain (``schema``) ->
tools (``tools``) -> pixels (``media``).

The public API (``docs/api.md``)::

    import vibegrade

    chain = vibegrade.predict("golden hour")          # -> vibegrade.ToolChain
    graded = vibegrade.render("photo.jpg", chain)     # -> NumPy array (array/PIL in -> same kind out)
    graded = vibegrade.grade(pil_image, "moody film")  # predict, then render
    chain = vibegrade.match("photo.jpg", "reference.jpg")  # the reference's look as a chain

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
    "match": "vibegrade.api",
    "match_fit": "vibegrade.api",
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

if TYPE_CHECKING:  # for type checkers; `x as x` marks an explicit re-export
    from vibegrade.api import grade as grade
    from vibegrade.api import load_model as load_model
    from vibegrade.api import match as match
    from vibegrade.api import match_fit as match_fit
    from vibegrade.api import predict as predict
    from vibegrade.api import render as render
    from vibegrade.schema import Adjust as Adjust
    from vibegrade.schema import Filter as Filter
    from vibegrade.schema import SelectiveAdjust as SelectiveAdjust
    from vibegrade.schema import SelectiveColor as SelectiveColor
    from vibegrade.schema import ToolChain as ToolChain
    from vibegrade.schema import parse_chain as parse_chain
    from vibegrade.tools.filters import preset_names as preset_names


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'vibegrade' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
