"""Grading endpoints: predict a chain, grade an upload, render an explicit chain, record an export.

Thin: the model choice (A/B assignment), prediction and project record are
:mod:`vibegrade.serve.services.grading`; video uploads become jobs through
:mod:`vibegrade.serve.services.video_jobs`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from vibegrade.data.events import EventIdConflictError, UnknownProjectError
from vibegrade.data.rows import MAX_INTENT_CHARS, clean_intent
from vibegrade.serve.deps import (
    ID_PATTERN,
    MAX_ID_CHARS,
    BudgetDep,
    ExperimentsDep,
    IdPath,
    JobsDep,
    ModelsDep,
    SettingsDep,
    StoreDep,
    UserDep,
    carry_user_cookie,
    client_key,
)
from vibegrade.serve.errors import ERRORS, ApiError, ErrorResponse
from vibegrade.serve.services.grading import predict_chain, record_project
from vibegrade.serve.services.video_jobs import (
    JOB_ACCEPTED_RESPONSE,
    accept_video,
    job_accepted_response,
    queue_video,
)
from vibegrade.serve.uploads import (
    IMAGE_RESPONSES,
    compact,
    grade_upload,
    image_response,
    intent_or_422,
    tools_or_422,
    upload_kind,
)

__all__ = ["router", "PredictRequest", "PredictResponse", "ToolsKept", "ExportRequest", "ExportResponse"]

router = APIRouter()

_INTENT_EXAMPLE = "golden hour, warm and soft"
_TOOLS_EXAMPLE = '{"adjust":{"exposure":10,"saturation":-20},"filter":{"name":"enchanted","intensity":50}}'


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    intent: str = Field(description=f"the look you want, 1..{MAX_INTENT_CHARS} characters",
                        examples=[_INTENT_EXAMPLE])

    @field_validator("intent")
    @classmethod
    def _clean(cls, v: str) -> str:
        return clean_intent(v)


class PredictResponse(BaseModel):
    project_id: str
    experiment: str | None = Field(default=None, description="active experiment, if any")
    variant: str | None = Field(description="variant served (null when no experiment is active)")
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

    event_id: str = Field(min_length=1, max_length=MAX_ID_CHARS, pattern=ID_PATTERN,
                          description="client-made id of this download: letters, digits and _.:- (1..128 "
                                      "characters); repeats for the same project are ignored, for another "
                                      "project they are a 409")
    tools_kept: ToolsKept


class ExportResponse(BaseModel):
    recorded: bool


@router.post("/v1/predict", response_model=PredictResponse, responses=ERRORS, tags=["grading"])
def predict(body: PredictRequest, user_id: UserDep, store: StoreDep, models: ModelsDep,
            experiments: ExperimentsDep) -> PredictResponse:
    """Predict the tool chain for a look request and record it as a project."""
    p = predict_chain(body.intent, user_id, models, experiments)
    project_id = record_project(store, user_id, body.intent, p, None)
    return PredictResponse(project_id=project_id, experiment=p.experiment, variant=p.variant,
                           model=p.model, tools=p.chain.to_wire(), latency_ms=p.latency_ms)


_FILE_DESCRIPTION = ("JPEG, PNG, WebP, TIFF, HEIC/HEIF or camera RAW (DNG, CR2, CR3, NEF, ARW, ...) image, "
                     "or a video (MP4, MOV, MKV, WebM, AVI, ...)")
_UPLOAD_RESPONSES = {**IMAGE_RESPONSES, 202: JOB_ACCEPTED_RESPONSE,
                     429: {"model": ErrorResponse,
                           "description": "too many video jobs of this client queued or running "
                                          "(too_many_jobs)"}}


@router.post("/v1/edit", response_class=Response, responses=_UPLOAD_RESPONSES, tags=["grading"])
def edit(request: Request, file: Annotated[UploadFile, File(description=_FILE_DESCRIPTION)],
         intent: Annotated[str, Form(description=f"the look you want, 1..{MAX_INTENT_CHARS} characters",
                                     examples=[_INTENT_EXAMPLE])],
         user_id: UserDep, store: StoreDep, models: ModelsDep, experiments: ExperimentsDep,
         settings: SettingsDep, jobs: JobsDep, budget: BudgetDep,
         tools: Annotated[str | None, Form(description="tool chain JSON overriding the prediction",
                                              examples=[_TOOLS_EXAMPLE])] = None,
         ) -> Response:
    """Grade an image from a look request (or explicit ``tools``); records a project.

    Headers: ``X-Project-Id`` and ``X-Tools`` (the chain used, compact JSON). A video is checked (413/422
    up front), recorded the same way and graded as a job: 202 with the job to poll (see /v1/jobs).
    """
    intent = intent_or_422(intent)
    override = tools_or_422(tools) if tools is not None and tools.strip() else None
    if upload_kind(file) == "video":
        video = accept_video(file, settings, jobs, client_key(request))
        try:
            p = predict_chain(intent, user_id, models, experiments, override)
            project_id = record_project(store, user_id, intent, p, override)
            job = queue_video(jobs, video, p.chain, project_id)
        except BaseException:
            jobs.discard_job_dir(video.job_id)
            raise
        accepted = job_accepted_response(job, p.chain, experiment=p.experiment, variant=p.variant,
                                         model=p.model,
                                         headers={"X-Project-Id": project_id, "X-Tools": compact(p.chain)})
        carry_user_cookie(request, accepted)
        return accepted
    p = predict_chain(intent, user_id, models, experiments, override)
    data, media_type = grade_upload(file, p.chain, settings, budget)
    project_id = record_project(store, user_id, intent, p, override)
    resp = image_response(data, media_type, {"X-Project-Id": project_id, "X-Tools": compact(p.chain)})
    carry_user_cookie(request, resp)
    return resp


@router.post("/v1/render", response_class=Response, responses=_UPLOAD_RESPONSES, tags=["grading"])
def render(request: Request, file: Annotated[UploadFile, File(description=_FILE_DESCRIPTION)],
           tools: Annotated[str, Form(description="tool chain JSON", examples=[_TOOLS_EXAMPLE])],
           settings: SettingsDep, jobs: JobsDep, budget: BudgetDep) -> Response:
    """Render an explicit tool chain on an image (slider tweaks; nothing is recorded).

    A video becomes a job (202, nothing recorded; see /v1/jobs).
    """
    chain = tools_or_422(tools)
    if upload_kind(file) == "video":
        video = accept_video(file, settings, jobs, client_key(request))
        return job_accepted_response(queue_video(jobs, video, chain, None), chain,
                                     headers={"X-Tools": compact(chain)})
    data, media_type = grade_upload(file, chain, settings, budget)
    return image_response(data, media_type, {"X-Tools": compact(chain)})


@router.post("/v1/projects/{project_id}/export", response_model=ExportResponse, status_code=201,
             responses={200: {"model": ExportResponse, "description": "event already recorded"},
                        404: {"model": ErrorResponse},
                        409: {"model": ErrorResponse,
                              "description": "event_id already used for another project"},
                        422: {"model": ErrorResponse}},
             tags=["events"])
def export(project_id: IdPath, body: ExportRequest, response: Response, store: StoreDep) -> ExportResponse:
    """Record that the user downloaded a project's result (idempotent per ``event_id``)."""
    try:
        recorded = store.exports.record(project_id, body.event_id, body.tools_kept.model_dump())
    except UnknownProjectError:
        raise ApiError(404, "project_not_found", f"unknown project {project_id!r}") from None
    except EventIdConflictError as e:
        raise ApiError(409, "event_id_conflict", f"event_id: {e}; make a new id for every download",
                       "event_id") from None
    except ValueError as e:
        raise ApiError(422, "invalid_request", str(e)) from None
    if not recorded:
        response.status_code = 200
    return ExportResponse(recorded=recorded)
