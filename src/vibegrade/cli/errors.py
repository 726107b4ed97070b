"""One-line error handling shared by every ``vibegrade`` command (no traceback, exit code 2)."""

from __future__ import annotations

import contextlib
import functools
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import typer

from vibegrade.media.errors import Corrupt, MediaError, TooLarge, UnsupportedFormat, WriteError

F = TypeVar("F", bound=Callable[..., Any])

MEDIA_EXIT_CODES: dict[type[MediaError], int] = {
    TooLarge: 2,
    UnsupportedFormat: 2,
    Corrupt: 2,
    WriteError: 2,
    MediaError: 2,
}
"""Exit code per kind of media error (the most specific class in an error's MRO wins). All are 2 today:
docs/formats.md promises "every bad argument or file is one line on stderr with exit code 2"."""


def media_exit_code(e: MediaError) -> int:
    """The exit code for ``e``: :data:`MEDIA_EXIT_CODES` of the first of its classes listed there."""
    for cls in type(e).__mro__:
        if cls in MEDIA_EXIT_CODES:
            return MEDIA_EXIT_CODES[cls]
    return 2


def fail(msg: str, code: int = 2) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code)


class Terminated(BaseException):
    """SIGTERM arrived: unwinds like Ctrl-C, so ``finally`` blocks remove partial outputs."""


def _on_sigterm(_signum: int, _frame: Any) -> None:
    raise Terminated()


@contextlib.contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """While the block runs (main thread only), SIGTERM raises :class:`Terminated` instead of killing the
    process on the spot; the previous handler comes back afterwards. Commands that install their own
    handlers (``serve``, ``worker``) replace it while they run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def friendly_errors(fn: F) -> F:
    """Turn expected errors into one-line messages with exit code 2 (SIGTERM: cleanup, then exit 143)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # Nothing heavy is imported here: a command may set up the process (BLAS threads) before NumPy
        # loads. Errors of our own modules (CubeError, MediaError, ...) derive from ValueError/OSError.
        try:
            with sigterm_unwinds():
                return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except Terminated:
            typer.echo("terminated", err=True)
            raise typer.Exit(143) from None
        except RecursionError:
            fail("the input is nested too deeply")
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None
        except MediaError as e:
            fail(str(e).splitlines()[0] if str(e) else type(e).__name__, media_exit_code(e))
        except (ValueError, KeyError, FileNotFoundError, PermissionError, IsADirectoryError) as e:
            msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
            fail(str(msg).splitlines()[0] if str(msg) else type(e).__name__)
        except OSError as e:
            fail(f"{e.filename or ''}: {e.strerror or e}".lstrip(": "))

    return wrapper  # type: ignore[return-value]
