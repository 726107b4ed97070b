"""One-line error handling shared by every ``vibegrade`` command (no traceback, exit code 2)."""

from __future__ import annotations

import contextlib
import functools
import signal
import threading
from typing import Any, Callable, Iterator, TypeVar

import typer

F = TypeVar("F", bound=Callable[..., Any])


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
        except (ValueError, KeyError, FileNotFoundError, PermissionError, IsADirectoryError) as e:
            msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
            fail(str(msg).splitlines()[0] if str(msg) else type(e).__name__)
        except OSError as e:
            fail(f"{e.filename or ''}: {e.strerror or e}".lstrip(": "))

    return wrapper  # type: ignore[return-value]
