"""One-line error handling shared by every ``vibegrade`` command (no traceback, exit code 2)."""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

import typer

F = TypeVar("F", bound=Callable[..., Any])


def fail(msg: str, code: int = 2) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code)


def friendly_errors(fn: F) -> F:
    """Turn expected errors into one-line messages with exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # Nothing heavy is imported here: a command may set up the process (BLAS threads) before NumPy
        # loads. Errors of our own modules (CubeError, MediaError, ...) derive from ValueError/OSError.
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None
        except (ValueError, KeyError, FileNotFoundError, PermissionError, IsADirectoryError) as e:
            msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
            fail(str(msg).splitlines()[0] if str(msg) else type(e).__name__)
        except OSError as e:
            fail(f"{e.filename or ''}: {e.strerror or e}".lstrip(": "))

    return wrapper  # type: ignore[return-value]
