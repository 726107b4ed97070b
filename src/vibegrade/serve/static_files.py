"""Static files of the service's pages (the editor in ``web/``, the annotators' page in ``annotate/``).

Files are answered with an ``ETag`` and ``Cache-Control: no-cache``: the browser keeps them but asks
whether they changed (``304`` when not), so a new version of the service is picked up at once without
hashed file names. Every answer carries a Content-Security-Policy and ``nosniff``.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

from fastapi import Request, Response

from vibegrade.serve.errors import ApiError

__all__ = ["static_file_response", "static_file_in", "MEDIA_TYPES"]

MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
               ".svg": "image/svg+xml", ".html": "text/html; charset=utf-8"}
_STATIC_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*\.(?:js|css|svg|html)$")


@lru_cache(maxsize=64)
def _read(path: str, mtime_ns: int) -> tuple[bytes, str]:
    data = Path(path).read_bytes()
    return data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def static_file_in(folder: Path, name: str) -> Path:
    """``folder / name`` for a plain file name (no path can leave the flat folder); 404 otherwise."""
    path = folder / name
    if not _STATIC_NAME.match(name) or not path.is_file():
        raise ApiError(404, "not_found", f"no static file {name!r}")
    return path


def static_file_response(request: Request, path: Path, csp: str) -> Response:
    """The file at ``path`` (a ``MEDIA_TYPES`` suffix) with ETag revalidation and security headers."""
    data, etag = _read(str(path), path.stat().st_mtime_ns)
    headers = {"ETag": etag, "Cache-Control": "no-cache", "Content-Security-Policy": csp,
               "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(content=data, media_type=MEDIA_TYPES[path.suffix], headers=headers)
