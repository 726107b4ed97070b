"""The vibegrade HTTP service (FastAPI).

Build it with :func:`create_app` (``uvicorn --factory vibegrade.serve.app:create_app`` or
``vibegrade serve``). Everything the endpoints need (settings, event store, model cache, experiments)
lives on ``app.state`` and reaches the endpoints through the dependencies in :mod:`vibegrade.serve.deps`;
there are no module-level singletons, so several apps (e.g. one per test) can live in one process.

Layout: ``settings.py`` (configuration), ``errors.py`` (JSON errors, body limit), ``deps.py``
(dependencies), ``model_cache.py`` (students and the refinement model, loaded once), ``uploads.py``
(saving and grading uploads), ``routes/`` (one router per area) and ``services/`` (what the routers
call). Endpoints are listed in ``docs/service.md``. Every error is JSON ``{"error": {"code": ...,
"message": ...}}`` with a 4xx status for bad input.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from vibegrade.analytics.experiments import ExperimentsConfig, load_experiments
from vibegrade.data.events import EventStore
from vibegrade.serve.deps import USER_COOKIE
from vibegrade.serve.docs_ui import install_docs
from vibegrade.serve.errors import (
    ApiError,
    BodyLimitMiddleware,
    install_error_handlers,
    require_utf8_multipart,
)
from vibegrade.serve.jobs import SHUTDOWN_GRACE_S, make_job_queue
from vibegrade.serve.limits import DecodeBudget
from vibegrade.serve.model_cache import ModelCache, RefinerCache
from vibegrade.serve.routes import agent as agent_routes
from vibegrade.serve.routes import annotate as annotate_routes
from vibegrade.serve.routes import conversation, grading
from vibegrade.serve.routes import jobs as jobs_routes
from vibegrade.serve.routes import match as match_routes
from vibegrade.serve.routes import web as web_routes
from vibegrade.serve.settings import Settings

__all__ = ["Settings", "create_app", "ApiError", "ModelCache", "USER_COOKIE"]


class HealthResponse(BaseModel):
    ok: bool


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service. ``settings`` default: :class:`Settings` from the environment."""
    settings = settings if settings is not None else Settings()
    require_utf8_multipart()
    experiments = (load_experiments(settings.experiments_file) if settings.experiments_file is not None
                   else ExperimentsConfig())
    store = EventStore(settings.database_url)
    jobs = make_job_queue(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.jobs.start()  # video job worker threads; stopped (running jobs get a grace period) below
        yield
        await run_in_threadpool(app.state.jobs.stop, SHUTDOWN_GRACE_S)
        app.state.jobs.close()
        app.state.store.close()

    app = FastAPI(
        title="vibegrade",
        version="0.1.0",
        description="Say the look you want, get your photo colour-graded.",
        lifespan=lifespan,
        docs_url=None,  # served from this process below (no CDN)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.models = ModelCache(settings.default_model)
    app.state.refiner = RefinerCache(settings.refine_model)
    app.state.experiments = experiments
    app.state.jobs = jobs
    app.state.decode_budget = DecodeBudget(settings.decode_memory_mb * 2**20, settings.max_concurrent_decodes,
                                           settings.decode_wait_seconds)
    app.state.annotate_previews = annotate_routes.PreviewCache()
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_upload_bytes,
                       body_timeout=settings.body_timeout_seconds)
    install_error_handlers(app)
    install_docs(app)

    @app.get("/healthz", response_model=HealthResponse, tags=["ops"])
    def healthz() -> HealthResponse:
        return HealthResponse(ok=True)

    app.include_router(grading.router)
    app.include_router(conversation.router)
    app.include_router(match_routes.router)
    app.include_router(agent_routes.router)
    app.include_router(jobs_routes.router)
    app.include_router(web_routes.router)
    app.include_router(annotate_routes.router)
    return app
