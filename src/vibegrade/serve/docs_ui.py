"""``/docs``: Swagger UI served from this process (no CDN), so the API docs work offline.

FastAPI's own page loads Swagger UI's script and style sheet from a CDN. The files come instead from the
``swagger-ui-bundle`` package (Swagger UI's release files, no dependencies) under ``/docs/assets/``.
ReDoc (``/redoc``) is not offered: it has no offline bundle on PyPI.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html

from vibegrade.serve.errors import ApiError

__all__ = ["install_docs", "DOCS_URL", "ASSETS_URL", "ASSETS"]

DOCS_URL = "/docs"
ASSETS_URL = "/docs/assets"
#: The files the page needs, with their media types (nothing else in the bundle is served).
ASSETS = {"swagger-ui-bundle.js": "text/javascript; charset=utf-8",
          "swagger-ui.css": "text/css; charset=utf-8",
          "favicon-32x32.png": "image/png"}


@lru_cache(maxsize=1)
def _assets_dir() -> Path:
    from swagger_ui_bundle import swagger_ui_path

    return Path(str(swagger_ui_path))


def install_docs(app: FastAPI) -> None:
    """Add ``/docs``, its OAuth2 redirect page and ``/docs/assets/{name}`` (the app is made with
    ``docs_url=None, redoc_url=None``)."""
    oauth2_url = f"{DOCS_URL}/oauth2-redirect"

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui(request: Request) -> Response:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(openapi_url=root + (app.openapi_url or "/openapi.json"),
                                   title=f"{app.title} - API docs",
                                   swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
                                   swagger_favicon_url=f"{root}{ASSETS_URL}/favicon-32x32.png",
                                   oauth2_redirect_url=root + oauth2_url)

    @app.get(oauth2_url, include_in_schema=False)
    def swagger_ui_redirect() -> Response:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(ASSETS_URL + "/{name}", include_in_schema=False)
    def swagger_asset(name: str) -> Response:
        media_type = ASSETS.get(name)
        if media_type is None:
            raise ApiError(404, "not_found", f"no docs asset {name!r}")
        data = (_assets_dir() / name).read_bytes()
        return Response(data, media_type=media_type,
                        headers={"Cache-Control": "public, max-age=86400",
                                 "X-Content-Type-Options": "nosniff"})
