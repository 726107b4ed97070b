"""FastAPI dependencies: everything an endpoint needs comes from ``app.state`` through these.

There are no module-level singletons: :func:`vibegrade.serve.app.create_app` puts settings, the event
store, the model cache and the experiments on ``app.state``; endpoints declare what they use with the
``...Dep`` annotations below.
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated

from fastapi import Depends, Path, Request, Response

from vibegrade.analytics.experiments import ExperimentsConfig
from vibegrade.data.events import EventStore
from vibegrade.serve.jobs import JobQueue
from vibegrade.serve.limits import DecodeBudget
from vibegrade.serve.model_cache import ModelCache
from vibegrade.serve.settings import Settings
from vibegrade.students.refine import Refiner

__all__ = ["USER_COOKIE", "ID_PATTERN", "MAX_ID_CHARS", "IdPath", "SettingsDep", "StoreDep", "BudgetDep",
           "ModelsDep", "ExperimentsDep", "UserDep", "JobsDep", "RefinerDep",
           "get_settings", "get_jobs", "client_key", "get_store", "get_models", "get_experiments",
           "get_refiner", "get_user_id",
           "carry_user_cookie"]

USER_COOKIE = "vg_uid"
MAX_ID_CHARS = 128
ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"
"""Ids from clients (path ids, ``event_id``): letters, digits and ``_.:-``, 1..128 characters. Checked at the
edge, so a NUL byte or a 10 kB id never reaches the database (PostgreSQL rejects NUL in text)."""
_USER_COOKIE_MAX_AGE = 365 * 24 * 3600
_UID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> EventStore:
    return request.app.state.store


def get_models(request: Request) -> ModelCache:
    return request.app.state.models


def get_refiner(request: Request) -> Refiner:
    """The refinement model: the app's :class:`~vibegrade.serve.model_cache.RefinerCache`, which loads it
    when the first refinement is asked for (503 ``refiner_unavailable`` when it cannot). Tests put a fake
    in its place with ``app.dependency_overrides[get_refiner]``."""
    return request.app.state.refiner


def get_experiments(request: Request) -> ExperimentsConfig:
    return request.app.state.experiments


def get_jobs(request: Request) -> JobQueue:
    return request.app.state.jobs


def get_decode_budget(request: Request) -> DecodeBudget:
    return request.app.state.decode_budget


def get_user_id(request: Request, response: Response) -> str:
    """The anonymous user id from cookie ``vg_uid``; a new random one is set on the response if missing."""
    uid = request.cookies.get(USER_COOKIE, "")
    if _UID_RE.match(uid):
        return uid
    uid = secrets.token_urlsafe(16)
    request.state.new_user_id = uid
    _set_user_cookie(response, uid)
    return uid


def client_key(request: Request) -> str:
    """Who is asking, for per-client limits: the user cookie *the request carried*, else its address.

    A new cookie set on this response does not count, so a client that drops cookies is limited by address.
    """
    uid = request.cookies.get(USER_COOKIE, "")
    if _UID_RE.match(uid):
        return f"user:{uid}"
    host = request.client.host if request.client else "unknown"
    return f"addr:{host}"


def _set_user_cookie(response: Response, uid: str) -> None:
    response.set_cookie(USER_COOKIE, uid, max_age=_USER_COOKIE_MAX_AGE, httponly=True, samesite="lax")


def carry_user_cookie(request: Request, response: Response) -> None:
    """FastAPI drops the dependency response's headers when an endpoint returns a Response itself."""
    uid = getattr(request.state, "new_user_id", None)
    if uid:
        _set_user_cookie(response, uid)


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[EventStore, Depends(get_store)]
ModelsDep = Annotated[ModelCache, Depends(get_models)]
RefinerDep = Annotated[Refiner, Depends(get_refiner)]
ExperimentsDep = Annotated[ExperimentsConfig, Depends(get_experiments)]
UserDep = Annotated[str, Depends(get_user_id)]
JobsDep = Annotated[JobQueue, Depends(get_jobs)]
BudgetDep = Annotated[DecodeBudget, Depends(get_decode_budget)]

IdPath = Annotated[str, Path(min_length=1, max_length=MAX_ID_CHARS, pattern=ID_PATTERN,
                            description="an id: letters, digits and _.:- (1..128 characters)")]
