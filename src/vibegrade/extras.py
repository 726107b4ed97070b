"""Optional parts of the install, and the one error that says which extra to add.

The serving install (``pip install vibegrade``) renders, predicts, edits and serves with no torch and no
heavy analytics. Other parts live in extras named in pyproject.toml; importing one through
:func:`require` turns a bare ``ModuleNotFoundError`` into a message that says what to install.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["MissingExtraError", "require"]


class MissingExtraError(ValueError):
    """An optional dependency is not installed (a ValueError, so the CLI prints one line)."""


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtraError` naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name is not None and module.split(".")[0] != e.name.split(".")[0]:
            raise  # the package is there but one of *its* imports failed: not ours to reword
        raise MissingExtraError(f"{purpose} needs the optional package {module.split('.')[0]!r}: "
                                f"pip install 'vibegrade[{extra}]'") from None
