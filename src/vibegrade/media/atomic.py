"""Write files so that a reader never sees a half-written output.

Everything is written to a temporary file in the destination folder and moved into place with
:func:`os.replace` (atomic on POSIX and Windows); on any error the temporary file is removed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator


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
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.stem}.", suffix=suffix if suffix is not None else dest.suffix,
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
