"""Shared file helpers at the bottom of the package (they import nothing from vibegrade): atomic writes and
the app's folders.

**Atomic writes**: a reader never sees a half-written output. Everything is written to a temporary file in
the destination folder and moved into place with :func:`os.replace` (atomic on POSIX and Windows); on any
error the temporary file is removed.

A process killed outright (SIGKILL, power loss) cannot remove its temporary file, so the names say whose
they are: ``.{stem}.vgtmp-{host}-{pid}-{random}{suffix}``. The next write into the same folder removes the
ones of this host whose process is gone (:func:`sweep_partial_files`). (The CLI turns SIGTERM into an
exception, so a terminated render removes its own.)

**Folders**: :func:`config_dir`, :func:`cache_dir` and :func:`data_dir` follow the XDG base directories
(``$XDG_CONFIG_HOME``, ``$XDG_CACHE_HOME``, ``$XDG_DATA_HOME``, else ``~/.config``, ``~/.cache`` and
``~/.local/share``) on every platform, as the CLI and docs describe; ``$VIBEGRADE_DATA_DIR`` overrides the
data folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import socket
import tempfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "sweep_partial_files", "partial_prefix",
           "host_tag", "pid_alive", "config_dir", "cache_dir", "data_dir"]

log = logging.getLogger(__name__)
_PARTIAL = re.compile(r"^\..*\.vgtmp-(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-[^.]*(?:\.[^.]+)?$")


@lru_cache(maxsize=1)
def host_tag() -> str:
    """8 hex digits naming this host (a hash of its name)."""
    return hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def partial_prefix(dest: str | os.PathLike[str]) -> str:
    """The start of the temporary file names this process uses for ``dest``."""
    return f".{Path(dest).stem}.vgtmp-{host_tag()}-{os.getpid()}-"


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` of this host exists (True when unsure)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's), or we cannot tell: keep its files
    return True


def sweep_partial_files(folder: str | os.PathLike[str]) -> int:
    """Remove temporary files left in ``folder`` by our writers that died on this host. Returns how many."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        m = _PARTIAL.match(entry.name)
        if m is None or m["host"] != host_tag() or pid_alive(int(m["pid"])):
            continue
        try:
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue
    if removed:
        log.info("removed %d partial file(s) left in %s by interrupted writes", removed, folder)
    return removed


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``dest``; on success it replaces ``dest``, on error it is deleted.

    The temporary name keeps ``dest``'s extension (or ``suffix``) so that format detection by extension
    (Pillow, PyAV) still works.
    """
    dest = Path(dest)
    parent = dest.parent if str(dest.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"output folder does not exist: {parent}")
    sweep_partial_files(parent)
    fd, tmp = tempfile.mkstemp(prefix=partial_prefix(dest),
                               suffix=suffix if suffix is not None else dest.suffix,
                               dir=parent)
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp creates 0600 files; give the output the permissions a plain open() would (0666 & ~umask)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)
    try:
        yield tmp_path
        os.replace(tmp_path, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def atomic_write_bytes(dest: str | os.PathLike[str], data: bytes) -> None:
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(dest: str | os.PathLike[str], text: str) -> None:
    atomic_write_bytes(dest, text.encode("utf-8"))


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/vibegrade``, else ``~/.config/vibegrade`` (user presets, the teacher's config)."""
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "vibegrade"


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/vibegrade``, else ``~/.cache/vibegrade`` (the teacher's response cache)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "vibegrade"


def data_dir() -> Path:
    """``$VIBEGRADE_DATA_DIR``, else ``$XDG_DATA_HOME/vibegrade``, else ``~/.local/share/vibegrade`` (the
    SQLite event store, the video jobs' folders)."""
    override = os.environ.get("VIBEGRADE_DATA_DIR", "").strip()
    if override:
        return Path(override).expanduser()
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "vibegrade"
