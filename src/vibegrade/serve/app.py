"""The vibegrade HTTP service (FastAPI).

Build it with :func:`create_app` (``uvicorn --factory vibegrade.serve.app:create_app`` or
``vibegrade serve``). Everything the endpoints need (settings, event store, model cache, experiments)
lives on ``app.state`` and reaches the endpoints through ``Depends`` functions; there are no
module-level singletons, so several apps (e.g. one per test) can live in one process.

Endpoints (see ``docs/service.md``): ``POST /v1/predict``, ``POST /v1/edit``, ``POST /v1/render``,
``POST /v1/projects/{project_id}/export``, ``GET /healthz``. Every error is JSON
``{"error": {"code": ..., "message": ...}}`` with a 4xx status for bad input.
"""

from __future__ import annotations

import json
import re
import secrets
import tempfile
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, AsyncIterator, BinaryIO, Optional

from fastapi import Depends, FastAPI, File, Form, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from vibegrade.data.events import EventStore, UnknownProjectError
from vibegrade.data.rows import MAX_INTENT_CHARS, clean_intent
from vibegrade.schema import ToolChain, parse_chain
from vibegrade.serve.experiments import Experiment, ExperimentsConfig, assign, load_experiments

__all__ = [
    "Settings",
    "create_app",
    "ApiError",
    "ModelCache",
    "PredictRequest",
    "PredictResponse",
    "ExportRequest",
    "ExportResponse",
    "USER_COOKIE",
]

USER_COOKIE = "vg_uid"
_USER_COOKIE_MAX_AGE = 365 * 24 * 3600
_UID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
DEFAULT_MAX_UPLOAD_BYTES = 25 * 1024 * 1024

# format name (LoadedImage.format) -> (extension for write_image, media type)
_OUTPUT_FORMATS = {
    "JPEG": (".jpg", "image/jpeg"),
    "PNG": (".png", "image/png"),
    "WEBP": (".webp", "image/webp"),
    "TIFF": (".tif", "image/tiff"),
}
_VIDEO_MESSAGE = ("video editing runs as a background job, which this version of the service does not "
                  "offer yet; use the command line for videos (`vibegrade edit IN OUT \"request\"`)")


# --------------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------------

class Settings(BaseSettings):
    """Service settings; each can be set by an environment variable ``VIBEGRADE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="VIBEGRADE_", extra="ignore")

    database_url: Optional[str] = Field(
        default=None, description="SQLAlchemy URL of the event store (None: the EventStore default)")
    experiments_file: Optional[Path] = Field(
        default=None, description="TOML/JSON experiments file (None: no A/B tests)")
    max_upload_bytes: int = Field(default=DEFAULT_MAX_UPLOAD_BYTES, gt=0,
                                  description="largest accepted request body in bytes")
    max_pixels: Optional[int] = Field(default=None, gt=0,
                                      description="largest accepted image in pixels (None: library default)")
    default_model: Optional[str] = Field(
        default=None, description="model folder used for 'default' (None: the shipped model)")


# --------------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------------

class ApiError(Exception):
    """An error answered as ``{"error": {"code", "message"[, "field"]}}`` with ``status``."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


def _error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        err["field"] = field
    return {"error": err}


def _error_response(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse(_error_body(code, message, field), status_code=status)


_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type",
               422: "invalid_request", 429: "too_many_requests"}


def _too_large_message(limit: int) -> str:
    return f"upload is larger than the limit of {limit:,} bytes"


class _UploadTooLarge(Exception):
    pass


class _BodyLimitMiddleware:
    """Reject request bodies over ``limit`` bytes with 413, from Content-Length and while streaming.

    A pure ASGI middleware so the limit holds before FastAPI parses (and spools) a multipart body.
    """

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0:
                    await _error_response(400, "bad_request", "invalid Content-Length header")(scope, receive, send)
                    return
                if declared > limit:
                    await _error_response(413, "payload_too_large", _too_large_message(limit))(
                        scope, receive, send)
                    return
        state = {"received": 0, "too_large": False, "started": False}

        async def limited_receive() -> dict:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["too_large"] = True
                    raise _UploadTooLarge()
            return message

        async def guarded_send(message: dict) -> None:
            if state["too_large"]:
                return  # whatever the app made of the aborted body is replaced by our 413
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _UploadTooLarge:
            state["too_large"] = True
        if state["too_large"] and not state["started"]:
            await _error_response(413, "payload_too_large", _too_large_message(limit))(scope, receive, send)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _error_response(exc.status, exc.code, exc.message, exc.field)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        first_field = None
        for err in exc.errors():
            loc = [str(x) for x in err.get("loc", ())]
            if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
                loc = loc[1:]
            field = ".".join(loc) or "(body)"
            first_field = first_field or field
            msg = str(err.get("msg", "invalid value"))
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, "):]
            parts.append(f"{field}: {msg}")
        return _error_response(422, "validation_error", "; ".join(parts) or "invalid request", first_field)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        resp = _error_response(exc.status_code, code, str(exc.detail))
        for k, v in (exc.headers or {}).items():
            resp.headers[k] = v
        return resp


# --------------------------------------------------------------------------------------------------
# Model cache
# --------------------------------------------------------------------------------------------------

class ModelCache:
    """Loads each model folder once, lazily and thread-safely (one lock per folder)."""

    def __init__(self, default_model: str | None = None) -> None:
        self.default_model = default_model
        self._models: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def resolve(self, name: str) -> str | None:
        """Model folder for ``name`` (``"default"`` -> the configured default; None = the shipped one)."""
        if name == "default":
            return self.default_model
        return name

    def get(self, name: str) -> Any:
        from vibegrade.students import load_student

        path = self.resolve(name)
        key = path or "<shipped default>"
        with self._lock:
            model = self._models.get(key)
            if model is not None:
                return model
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                model = self._models.get(key)
            if model is None:
                try:
                    model = load_student(path)
                except (ValueError, OSError) as e:
                    raise ApiError(503, "model_unavailable", f"model {name!r} cannot be loaded: {e}") from None
                with self._lock:
                    self._models[key] = model
        return model

    def loaded(self) -> list[str]:
        with self._lock:
            return sorted(self._models)


# --------------------------------------------------------------------------------------------------
# Request / response models
# --------------------------------------------------------------------------------------------------

class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    intent: str = Field(description=f"the look you want, 1..{MAX_INTENT_CHARS} characters",
                        examples=["golden hour, warm and soft"])

    @field_validator("intent")
    @classmethod
    def _clean(cls, v: str) -> str:
        return clean_intent(v)


class PredictResponse(BaseModel):
    project_id: str
    experiment: Optional[str] = Field(default=None, description="active experiment, if any")
    variant: Optional[str] = Field(description="variant served (null when no experiment is active)")
    model: str = Field(description="model folder path, or 'default'")
    tools: dict[str, Any] = Field(description="the predicted tool chain (wire form)")
    latency_ms: float


class ToolsKept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    adjust: StrictBool
    selective_adjust: StrictBool
    filter: StrictBool


class ExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(min_length=1, max_length=200,
                          description="client-made id of this download (repeats are ignored)")
    tools_kept: ToolsKept


class ExportResponse(BaseModel):
    recorded: bool


class HealthResponse(BaseModel):
    ok: bool


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: Optional[str] = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


_ERRORS = {status: {"model": ErrorResponse} for status in (413, 415, 422, 503)}


# --------------------------------------------------------------------------------------------------
# Dependencies
# --------------------------------------------------------------------------------------------------

def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> EventStore:
    return request.app.state.store


def get_models(request: Request) -> ModelCache:
    return request.app.state.models


def get_experiments(request: Request) -> ExperimentsConfig:
    return request.app.state.experiments


def get_user_id(request: Request, response: Response) -> str:
    """The anonymous user id from cookie ``vg_uid``; a new random one is set on the response if missing."""
    uid = request.cookies.get(USER_COOKIE, "")
    if _UID_RE.match(uid):
        return uid
    uid = secrets.token_urlsafe(16)
    request.state.new_user_id = uid
    _set_user_cookie(response, uid)
    return uid


def _set_user_cookie(response: Response, uid: str) -> None:
    response.set_cookie(USER_COOKIE, uid, max_age=_USER_COOKIE_MAX_AGE, httponly=True, samesite="lax")


def _carry_user_cookie(request: Request, response: Response) -> None:
    """FastAPI drops the dependency response's headers when an endpoint returns a Response itself."""
    uid = getattr(request.state, "new_user_id", None)
    if uid:
        _set_user_cookie(response, uid)


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[EventStore, Depends(get_store)]
ModelsDep = Annotated[ModelCache, Depends(get_models)]
ExperimentsDep = Annotated[ExperimentsConfig, Depends(get_experiments)]
UserDep = Annotated[str, Depends(get_user_id)]


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------

class _Prediction(BaseModel):
    chain: ToolChain
    experiment: Optional[str]
    variant: Optional[str]
    model: str
    latency_ms: float


def _active_experiment(experiments: ExperimentsConfig) -> Experiment | None:
    active = experiments.active()
    return active[0] if active else None


def _choose_model(experiments: ExperimentsConfig, user_id: str, models: ModelCache
                  ) -> tuple[str | None, str | None, str]:
    exp = _active_experiment(experiments)
    if exp is None:
        name = "default"
        return None, None, models.resolve(name) or name
    variant = assign(exp, user_id)
    return exp.name, variant.name, variant.model if variant.model != "default" else (
        models.resolve("default") or "default")


def _predict(intent: str, user_id: str, models: ModelCache, experiments: ExperimentsConfig,
             override: ToolChain | None = None) -> _Prediction:
    experiment, variant, model_name = _choose_model(experiments, user_id, models)
    if override is not None:
        return _Prediction(chain=override, experiment=experiment, variant=variant, model=model_name,
                           latency_ms=0.0)
    student = models.get(model_name)
    t0 = time.perf_counter()
    chain = student.predict([intent])[0]
    latency_ms = (time.perf_counter() - t0) * 1000.0
    return _Prediction(chain=chain, experiment=experiment, variant=variant, model=model_name,
                       latency_ms=round(latency_ms, 3))


def _intent_or_422(intent: str) -> str:
    try:
        return clean_intent(intent)
    except ValueError as e:
        raise ApiError(422, "invalid_intent", f"intent: {e}", "intent") from None


def _tools_or_422(tools: str) -> ToolChain:
    try:
        return parse_chain(tools)
    except ValueError as e:
        raise ApiError(422, "invalid_tools", f"tools: {e}", "tools") from None


_MAGIC_IMAGE = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")


def _sniff(head: bytes) -> str:
    """'image', 'video' or 'other' from the first bytes of a file."""
    if head.startswith(_MAGIC_IMAGE) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    if head[4:8] == b"ftyp" or head.startswith(b"\x1a\x45\xdf\xa3") or head.startswith(b"\x00\x00\x01\xba") \
            or (head[:4] == b"RIFF" and head[8:12] == b"AVI ") or head.startswith(b"FLV") \
            or head.startswith(b"\x30\x26\xb2\x75") or (len(head) > 188 and head[0] == 0x47 and head[188] == 0x47):
        return "video"
    return "other"


def _is_video_upload(upload: UploadFile) -> bool:
    from vibegrade.media.video import VIDEO_EXTENSIONS

    ctype = (upload.content_type or "").lower()
    ext = Path(upload.filename or "").suffix.lower()
    return ctype.startswith("video/") or ext in VIDEO_EXTENSIONS


def _save_upload(upload: UploadFile, dst: Path, limit: int) -> None:
    """Copy the upload to ``dst`` (at most ``limit`` bytes; 413 beyond)."""
    src: BinaryIO = upload.file
    src.seek(0)
    total = 0
    with open(dst, "wb") as out:
        while True:
            chunk = src.read(1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                raise ApiError(413, "payload_too_large", _too_large_message(limit))
            out.write(chunk)
    if total == 0:
        raise ApiError(422, "invalid_image", "file: the uploaded file is empty", "file")


def _grade_upload(upload: UploadFile, chain: ToolChain, settings: Settings) -> tuple[bytes, str]:
    """Read the uploaded image, render ``chain`` on it, encode it in the source format.

    Returns ``(bytes, media_type)``; raises :class:`ApiError` 413/415/422 for bad uploads.
    """
    from vibegrade.media.image import MediaError, read_image, write_image
    from vibegrade.tools.chain import Renderer

    name = Path(upload.filename or "upload").name or "upload"
    with tempfile.TemporaryDirectory(prefix="vibegrade-upload-") as tmp:
        src = Path(tmp) / "input"
        _save_upload(upload, src, settings.max_upload_bytes)
        with open(src, "rb") as fh:
            kind = _sniff(fh.read(512))
        if kind == "video" or (kind == "other" and _is_video_upload(upload)):
            raise ApiError(415, "video_not_supported", _VIDEO_MESSAGE, "file")
        if kind != "image":
            raise ApiError(415, "unsupported_media_type",
                           f"file: {name!r} is not a supported image (JPEG, PNG, WebP or TIFF)", "file")
        try:
            img = read_image(src, max_pixels=settings.max_pixels)
        except MediaError as e:
            msg = str(e).replace(str(src), name)
            if "over the limit" in msg:
                raise ApiError(413, "image_too_large", f"file: {msg}", "file") from None
            if "unsupported image format" in msg:
                raise ApiError(415, "unsupported_media_type", f"file: {msg}", "file") from None
            raise ApiError(422, "invalid_image", f"file: {msg}", "file") from None
        ext, media_type = _OUTPUT_FORMATS[img.format]
        rgb = Renderer(chain)(img.rgb)
        dst = Path(tmp) / f"output{ext}"
        try:
            write_image(dst, rgb, img.alpha, source=img)
        except MediaError as e:
            raise ApiError(422, "cannot_encode", str(e).replace(str(dst), name)) from None
        data = dst.read_bytes()
    return data, media_type


def _image_response(data: bytes, media_type: str, headers: dict[str, str]) -> Response:
    ext = {v[1]: v[0] for v in _OUTPUT_FORMATS.values()}[media_type]
    headers = {"Content-Disposition": f'inline; filename="vibegrade{ext}"', **headers}
    return Response(content=data, media_type=media_type, headers=headers)


def _compact(chain: ToolChain) -> str:
    return json.dumps(chain.to_wire(), separators=(",", ":"), ensure_ascii=True)


_IMAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {t: {} for _, t in _OUTPUT_FORMATS.values()},
          "description": "the graded image, in the uploaded format"},
    **_ERRORS,
}


# --------------------------------------------------------------------------------------------------
# App
# --------------------------------------------------------------------------------------------------

def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service. ``settings`` default: :class:`Settings` from the environment."""
    settings = settings if settings is not None else Settings()
    experiments = (load_experiments(settings.experiments_file) if settings.experiments_file is not None
                   else ExperimentsConfig())
    store = EventStore(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.store.close()

    app = FastAPI(
        title="vibegrade",
        version="0.1.0",
        description="Say the look you want, get your photo colour-graded.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.models = ModelCache(settings.default_model)
    app.state.experiments = experiments
    app.add_middleware(_BodyLimitMiddleware, limit=settings.max_upload_bytes)
    _install_error_handlers(app)

    @app.get("/healthz", response_model=HealthResponse, tags=["ops"])
    def healthz() -> HealthResponse:
        return HealthResponse(ok=True)

    @app.post("/v1/predict", response_model=PredictResponse, responses=_ERRORS, tags=["grading"])
    def predict(body: PredictRequest, user_id: UserDep, store: StoreDep, models: ModelsDep,
                experiments: ExperimentsDep) -> PredictResponse:
        """Predict the tool chain for a look request and record it as a project."""
        p = _predict(body.intent, user_id, models, experiments)
        project_id = store.record_project(user_id=user_id, intent=body.intent, tools=p.chain, model=p.model,
                                          latency_ms=p.latency_ms, experiment=p.experiment,
                                          variant=p.variant)
        return PredictResponse(project_id=project_id, experiment=p.experiment, variant=p.variant,
                               model=p.model, tools=p.chain.to_wire(), latency_ms=p.latency_ms)

    @app.post("/v1/edit", response_class=Response, responses=_IMAGE_RESPONSES, tags=["grading"])
    def edit(request: Request, file: Annotated[UploadFile, File(description="JPEG, PNG, WebP or TIFF image")],
             intent: Annotated[str, Form(description="the look you want")],
             user_id: UserDep, store: StoreDep, models: ModelsDep, experiments: ExperimentsDep,
             settings: SettingsDep,
             tools: Annotated[Optional[str], Form(description="tool chain JSON overriding the prediction")] = None,
             ) -> Response:
        """Grade an image from a look request (or explicit ``tools``); records a project.

        Headers: ``X-Project-Id`` and ``X-Tools`` (the chain used, compact JSON).
        """
        intent = _intent_or_422(intent)
        override = _tools_or_422(tools) if tools is not None and tools.strip() else None
        if _is_video_upload(file):
            raise ApiError(415, "video_not_supported", _VIDEO_MESSAGE, "file")
        p = _predict(intent, user_id, models, experiments, override)
        data, media_type = _grade_upload(file, p.chain, settings)
        project_id = store.record_project(user_id=user_id, intent=intent, tools=p.chain, model=p.model,
                                          source="user" if override is not None else "student",
                                          latency_ms=p.latency_ms if override is None else None,
                                          experiment=p.experiment, variant=p.variant)
        resp = _image_response(data, media_type, {"X-Project-Id": project_id, "X-Tools": _compact(p.chain)})
        _carry_user_cookie(request, resp)
        return resp

    @app.post("/v1/render", response_class=Response, responses=_IMAGE_RESPONSES, tags=["grading"])
    def render(file: Annotated[UploadFile, File(description="JPEG, PNG, WebP or TIFF image")],
               tools: Annotated[str, Form(description="tool chain JSON")],
               settings: SettingsDep) -> Response:
        """Render an explicit tool chain on an image (slider tweaks; nothing is recorded)."""
        chain = _tools_or_422(tools)
        if _is_video_upload(file):
            raise ApiError(415, "video_not_supported", _VIDEO_MESSAGE, "file")
        data, media_type = _grade_upload(file, chain, settings)
        return _image_response(data, media_type, {"X-Tools": _compact(chain)})

    @app.post("/v1/projects/{project_id}/export", response_model=ExportResponse, status_code=201,
              responses={200: {"model": ExportResponse, "description": "event already recorded"},
                         404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
              tags=["events"])
    def export(project_id: str, body: ExportRequest, response: Response, store: StoreDep) -> ExportResponse:
        """Record that the user downloaded a project's result (idempotent per ``event_id``)."""
        try:
            recorded = store.record_export(project_id, body.event_id, body.tools_kept.model_dump())
        except UnknownProjectError:
            raise ApiError(404, "project_not_found", f"unknown project {project_id!r}") from None
        except ValueError as e:
            raise ApiError(422, "invalid_request", str(e)) from None
        if not recorded:
            response.status_code = 200
        return ExportResponse(recorded=recorded)

    return app
