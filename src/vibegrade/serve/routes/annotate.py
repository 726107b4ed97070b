"""The annotators' reality-check page and its API.

``GET /annotate`` serves the page (static files in ``vibegrade/serve/annotate/``); the page asks
``GET /v1/annotate/next`` for a task, shows the source photo and the teacher's and the student's grade of it
(``GET /v1/annotate/tasks/{id}/images/{source|teacher|student}``) and posts the two answers to
``POST /v1/annotate/tasks/{id}/answers``. Tasks are made by ``vibegrade annotate prepare``; answers are read
by ``vibegrade annotate report``. See ``docs/annotate.md``.

Previews are rendered on demand with :class:`vibegrade.tools.chain.Renderer` on the bundled sample image,
downscaled to at most :data:`MAX_PREVIEW_PX` pixels on the long side, and kept in the small LRU
:class:`PreviewCache` on ``app.state.annotate_previews``.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import numpy as np
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from vibegrade.data.events import (
    ANNOTATION_ANSWERS,
    AnnotationTaskRecord,
    EventStore,
    UnknownAnnotationTaskError,
    clean_annotator,
    normalize_annotator,
)
from vibegrade.schema import parse_chain
from vibegrade.serve.deps import IdPath, StoreDep
from vibegrade.serve.errors import ApiError, ErrorResponse
from vibegrade.serve.static_files import static_file_in, static_file_response
from vibegrade.tools.filters import preset_names

__all__ = ["router", "PreviewCache", "NextTaskResponse", "AnnotationTaskOut", "AnnotationProgress",
           "AnswerRequest", "AnswerResponse", "MAX_PREVIEW_PX", "MAX_ANNOTATOR_NAME", "ASSETS_DIR"]

router = APIRouter()

#: Folder of the page's static files (index.html, annotate.js, annotate.css).
ASSETS_DIR = Path(__file__).resolve().parent.parent / "annotate"
#: The page loads nothing from other origins and runs no inline script or style.
PAGE_CSP = ("default-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")
#: Longest side of a preview, in pixels (smaller images are not enlarged).
MAX_PREVIEW_PX = 1024
#: Longest annotator name, in characters (after collapsing whitespace).
MAX_ANNOTATOR_NAME = 64
JPEG_QUALITY = 90

Answer = Literal["yes", "no", "unsure"]
ImageKind = Literal["source", "teacher", "student"]
assert get_args(Answer) == ANNOTATION_ANSWERS


# --------------------------------------------------------------------------------------------- previews

class PreviewCache:
    """Thread-safe LRU of encoded JPEG previews (``max_items`` entries, each well under 1 MB).

    Keyed by sample image name and chain (canonical JSON), so tasks sharing a chain share a preview; the
    decoded, downscaled samples are kept too (there are only a few).
    """

    def __init__(self, max_items: int = 64) -> None:
        if max_items < 1:
            raise ValueError("max_items must be >= 1")
        self.max_items = max_items
        self._items: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._samples: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def get_or_make(self, key: tuple[str, str], make: Callable[[], bytes]) -> bytes:
        """The cached bytes for ``key``, else ``make()`` (called outside the lock) stored as most recent."""
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
                return data
        data = make()
        with self._lock:
            self._items[key] = data
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)
        return data

    def sample(self, name: str) -> np.ndarray:
        """The bundled sample ``name`` as 8-bit sRGB, at most :data:`MAX_PREVIEW_PX` on the long side."""
        with self._lock:
            img = self._samples.get(name)
        if img is None:
            img = _load_sample(name)
            with self._lock:
                self._samples[name] = img
        return img


def _load_sample(name: str) -> np.ndarray:
    from PIL import Image

    from vibegrade.media.bitdepth import to_8bit
    from vibegrade.media.image import read_image
    from vibegrade.samples import SAMPLE_IMAGES

    path = SAMPLE_IMAGES.get(name)
    if path is None:
        raise ApiError(404, "image_not_found",
                       f"the task's image {name!r} is not a bundled sample ({', '.join(SAMPLE_IMAGES)})")
    rgb = to_8bit(read_image(path).rgb)
    h, w = rgb.shape[:2]
    scale = MAX_PREVIEW_PX / max(h, w)
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS))
    return np.ascontiguousarray(rgb)


def _jpeg(rgb: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return buf.getvalue()


def get_previews(request: Request) -> PreviewCache:
    return request.app.state.annotate_previews


PreviewsDep = Annotated[PreviewCache, Depends(get_previews)]


# --------------------------------------------------------------------------------------------- identity

_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_HOW_TO_GET_ONE = ("whoever runs the study gives each annotator a link with a token "
                   "(vibegrade annotate invite NAME)")


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": 'Bearer realm="annotate"'})


def annotator_identity(request: Request,
                       authorization: Annotated[str | None, Header(
                           description="Bearer TOKEN, the annotator's token from `vibegrade annotate invite`")
                       ] = None) -> str:
    """The annotator the request's token belongs to (normalised name); 401 without a valid token."""
    if not authorization:
        raise _unauthorized("an annotator token is required (Authorization: Bearer TOKEN); "
                            f"{_HOW_TO_GET_ONE}")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not 16 <= len(token) <= 128 or not set(token) <= _TOKEN_CHARS:
        raise _unauthorized("the Authorization header must be 'Bearer TOKEN' with an annotator token")
    name = request.app.state.store.annotators.for_token(token)
    if name is None:
        raise _unauthorized(f"unknown annotator token; {_HOW_TO_GET_ONE}")
    return name


AnnotatorDep = Annotated[str, Depends(annotator_identity)]


def _check_claimed(claimed: str | None, identity: str, field: str) -> None:
    """An ``annotator`` name sent along must be the token's (normalised); nobody answers for someone else."""
    if claimed is None:
        return
    try:
        key = normalize_annotator(_annotator(claimed))
    except ValueError as e:
        raise ApiError(422, "validation_error", f"{field}: {e}", field) from None
    if key != identity:
        raise ApiError(403, "forbidden", f"{field}: this token belongs to {identity!r}, not {key!r}", field)


# --------------------------------------------------------------------------------------------- models

def _annotator(v: str) -> str:
    return clean_annotator(v, MAX_ANNOTATOR_NAME)


class AnnotationProgress(BaseModel):
    answered_by_you: int = Field(ge=0, description="tasks this annotator has answered")
    total: int = Field(ge=0, description="tasks in the store")


class AnnotationTaskOut(BaseModel):
    task_id: str
    intent: str = Field(description="the request the two grades answer")
    image: str = Field(description="bundled sample image name")
    source_url: str = Field(description="the sample photo (JPEG, at most 1024 px on the long side)")
    teacher_url: str = Field(description="the teacher's grade of the photo (JPEG)")
    student_url: str = Field(description="the student's grade of the photo (JPEG)")


class NextTaskResponse(BaseModel):
    annotator: str = Field(description="the annotator the token belongs to (normalised name)")
    task: AnnotationTaskOut | None = Field(
        description="the next task, or null when this annotator is done")
    progress: AnnotationProgress


class AnswerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    annotator: str | None = Field(default=None, min_length=1, max_length=200,
                                     description="optional: the token's annotator name (anything else is a "
                                                 "403); the token decides who answers", examples=["alice"])
    relevant: Answer = Field(description="is the teacher's grade relevant to the request?")
    student_matches_teacher: Answer = Field(description="does the student's grade match the teacher's?")

    @field_validator("annotator")
    @classmethod
    def _clean(cls, v: str | None) -> str | None:
        return None if v is None else _annotator(v)


class AnswerResponse(BaseModel):
    task_id: str
    annotator: str = Field(description="the token's annotator (normalised name)")
    replaced: bool = Field(description="true when this annotator had answered this task before (the earlier "
                                       "answers are kept as older revisions)")
    revision: int = Field(ge=1, description="1 for a first answer, then 2, 3, ...")
    progress: AnnotationProgress


_AUTH: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "missing or unknown annotator token"},
    403: {"model": ErrorResponse, "description": "the annotator named is not the token's"}}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}}


def _task_or_404(store: EventStore, task_id: str) -> AnnotationTaskRecord:
    task = store.tasks.get(task_id)
    if task is None:
        raise ApiError(404, "task_not_found", f"unknown annotation task {task_id!r}")
    return task


def _progress(store: EventStore, annotator: str) -> AnnotationProgress:
    p = store.annotations.progress(annotator)
    return AnnotationProgress(answered_by_you=p["answered"], total=p["total"])


# --------------------------------------------------------------------------------------------- page

@router.get("/annotate", include_in_schema=False)
def annotate_page(request: Request) -> Response:
    """The reality-check page (HTML)."""
    return static_file_response(request, ASSETS_DIR / "index.html", PAGE_CSP)


@router.get("/annotate/{asset}", include_in_schema=False)
def annotate_asset(asset: str, request: Request) -> Response:
    """The page's script and style sheet (the page itself is only at ``/annotate``)."""
    if not asset.endswith((".js", ".css")):
        raise ApiError(404, "not_found", f"no such file {asset!r}")
    return static_file_response(request, static_file_in(ASSETS_DIR, asset), PAGE_CSP)


# --------------------------------------------------------------------------------------------- API

@router.get("/v1/annotate/next", response_model=NextTaskResponse,
            responses={422: {"model": ErrorResponse}, **_AUTH}, tags=["annotate"])
def next_task(request: Request, store: StoreDep, identity: AnnotatorDep,
              annotator: Annotated[str | None, Query(
                  min_length=1, max_length=200,
                  description="optional: the token's annotator name (anything else is a 403)")] = None,
              ) -> NextTaskResponse:
    """The next task for the token's annotator (fewest answers from others first), or ``task: null`` when
    done. Needs ``Authorization: Bearer TOKEN``."""
    _check_claimed(annotator, identity, "annotator")
    name = identity
    task = store.annotations.next_task(name)
    progress = _progress(store, name)
    if task is None:
        return NextTaskResponse(annotator=name, task=None, progress=progress)
    base = request.scope.get("root_path", "")

    def url(kind: str) -> str:
        return base + request.app.url_path_for("annotate_task_image", task_id=task.id, kind=kind)

    return NextTaskResponse(annotator=name, task=AnnotationTaskOut(task_id=task.id, intent=task.intent,
                                                                   image=task.image,
                                                   source_url=url("source"), teacher_url=url("teacher"),
                                                   student_url=url("student")),
                            progress=progress)


@router.get("/v1/annotate/tasks/{task_id}/images/{kind}", name="annotate_task_image", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}, "description": "the preview (JPEG)"},
                       **_NOT_FOUND},
            tags=["annotate"])
def task_image(task_id: IdPath, kind: ImageKind, store: StoreDep, previews: PreviewsDep) -> Response:
    """A task's sample photo (``source``) or its grade by the teacher or the student, as JPEG (at most
    1024 px on the long side)."""
    task = _task_or_404(store, task_id)
    chain = None if kind == "source" else parse_chain(task.teacher_tools if kind == "teacher"
                                                      else task.student_tools, presets=preset_names())
    key = (task.image, "source" if chain is None else chain.model_dump_json())

    def make() -> bytes:
        from vibegrade.tools.chain import Renderer

        img = previews.sample(task.image)
        return _jpeg(img if chain is None else Renderer(chain)(img))

    data = previews.get_or_make(key, make)
    return Response(data, media_type="image/jpeg",
                    headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"})


@router.post("/v1/annotate/tasks/{task_id}/answers", response_model=AnswerResponse, status_code=201,
             responses={**_NOT_FOUND, **_AUTH}, tags=["annotate"])
def answer_task(task_id: IdPath, body: AnswerRequest, store: StoreDep,
                identity: AnnotatorDep) -> AnswerResponse:
    """Record the token's annotator's two answers on a task (``Authorization: Bearer TOKEN``); answering
    again adds a new revision (the report counts the latest)."""
    _check_claimed(body.annotator, identity, "annotator")
    try:
        revision = store.annotations.record(task_id, identity, {
            "relevant": body.relevant, "student_matches_teacher": body.student_matches_teacher})
    except UnknownAnnotationTaskError:
        raise ApiError(404, "task_not_found", f"unknown annotation task {task_id!r}") from None
    except ValueError as e:
        raise ApiError(422, "invalid_request", str(e)) from None
    return AnswerResponse(task_id=task_id, annotator=identity, replaced=revision > 1, revision=revision,
                          progress=_progress(store, identity))
