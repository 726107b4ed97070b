"""``vibegrade serve``: run the HTTP service (:mod:`vibegrade.serve.app`) with uvicorn.

Register with the main app via ``app.command("serve")(serve)``. Settings come from the environment
(``VIBEGRADE_DATABASE_URL``, ``VIBEGRADE_EXPERIMENTS_FILE``, ``VIBEGRADE_MAX_UPLOAD_BYTES``,
``VIBEGRADE_MAX_PIXELS``, ``VIBEGRADE_DEFAULT_MODEL``, ``VIBEGRADE_REDIS_URL``, ``VIBEGRADE_JOBS_DIR``,
``VIBEGRADE_JOB_WORKERS``, ...); see ``docs/service.md``.
"""

from __future__ import annotations

import typer

APP_FACTORY = "vibegrade.serve.app:create_app"


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Worker processes (each loads its own models)."),
    blas_threads: int = typer.Option(
        1, min=1, help="BLAS threads per process, unless OPENBLAS_NUM_THREADS etc. are already set. "
                       "One is fastest under concurrent requests (docs/benchmarks.md)."),
    header_timeout: float = typer.Option(
        10.0, min=0.1, max=600, help="Seconds a client gets to send a request's headers; slower "
                                     "connections are closed (slow-loris)."),
    keep_alive: float = typer.Option(5.0, min=0.1, max=600,
                                     help="Seconds an idle keep-alive connection is kept."),
    limit_concurrency: int = typer.Option(
        200, min=1, help="Open connections (or running requests) per process beyond which new requests get "
                         "a 503."),
    max_header_bytes: int = typer.Option(16384, min=1024, max=1 << 20,
                                         help="Largest request line plus headers, in bytes (larger: 400)."),
) -> None:
    """Run the HTTP service (web editor at /, OpenAPI docs at /docs).

    The request body timeout, upload and memory limits are settings (VIBEGRADE_BODY_TIMEOUT_SECONDS, ...).
    """
    import os

    from vibegrade.runtime import limit_blas_threads

    limit_blas_threads(blas_threads)  # before NumPy is imported; uvicorn's worker processes inherit it
    import uvicorn

    from vibegrade.serve.server import HEADER_TIMEOUT_ENV, uvicorn_options

    os.environ[HEADER_TIMEOUT_ENV] = repr(header_timeout)  # read by every worker process's protocol
    uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, workers=workers,
                **uvicorn_options(timeout_keep_alive=keep_alive, limit_concurrency=limit_concurrency,
                                  max_header_bytes=max_header_bytes))
