"""``vibegrade serve``: run the HTTP service (:mod:`vibegrade.serve.app`) with uvicorn.

Register with the main app via ``app.command("serve")(serve)``. Settings come from the environment
(``VIBEGRADE_DATABASE_URL``, ``VIBEGRADE_EXPERIMENTS_FILE``, ``VIBEGRADE_MAX_UPLOAD_BYTES``,
``VIBEGRADE_MAX_PIXELS``, ``VIBEGRADE_DEFAULT_MODEL``); see ``docs/service.md``.
"""

from __future__ import annotations

import typer

APP_FACTORY = "vibegrade.serve.app:create_app"


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Worker processes (each loads its own models)."),
) -> None:
    """Run the HTTP service (OpenAPI docs at /docs)."""
    import uvicorn

    uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, workers=workers)
