"""Agent endpoints: start an agent run on a photo, follow it, fetch its result, its region masks, and
re-render it with steps switched off.

Thin: validation, the job and its files are :mod:`vibegrade.serve.services.agent`; the job runs on the
service's job queue (:mod:`vibegrade.serve.jobs`) like a video job.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from vibegrade.schema import ToolChain
from vibegrade.serve.deps import BudgetDep, JobsDep, SettingsDep, client_key
from vibegrade.serve.errors import ERRORS, ApiError, ErrorResponse
from vibegrade.serve.jobs import JobQueue, JobQueueUnavailable, JobRecord, JobState, is_job_id
from vibegrade.serve.services.agent import (
    BUDGET_RANGE,
    DEFAULT_BUDGET,
    MAX_REQUEST_CHARS,
    MODES,
    accept_agent,
    agent_status_url,
    agent_view,
    check_params,
    load_trace,
    mask_path,
    render_without,
    result_path,
)
from vibegrade.serve.uploads import OUTPUT_FORMATS, compact

__all__ = ["router", "AgentAccepted", "AgentStatus", "RenderRequest"]

router = APIRouter()

_NO_STORE = {"Cache-Control": "no-store"}
_BUDGET_HELP = (f"candidate actions per checklist item, {BUDGET_RANGE[0]}..{BUDGET_RANGE[1]} "
                f"(default {DEFAULT_BUDGET})")


class AgentAccepted(BaseModel):
    """Answer (202) to a new agent run: the job to poll."""

    job_id: str = Field(description="32 hex digits")
    status_url: str = Field(description="GET this for the run's state: /v1/agent/{job_id}")
    request: str
    budget: int
    mode: str | None = Field(description="the orchestration mode asked for (null: the agent's default)")


class AgentError(BaseModel):
    code: str = Field(description="invalid_image, invalid_request, agent_failed, interrupted or worker_lost")
    message: str


class AgentStatus(BaseModel):
    """State of an agent run; once done, the plan, the steps and the trace (``result``)."""

    job_id: str
    state: JobState = Field(description="queued → running → done | failed")
    progress: float = Field(ge=0.0, le=1.0, description="fraction done (1.0 only when done)")
    stage: str | None = Field(description="what the agent is doing now (planning, finding regions, "
                                          "pass 1: <item>, rendering)")
    error: AgentError | None = Field(description="why the run failed (null unless failed)")
    created_at: datetime
    updated_at: datetime
    result: dict[str, Any] | None = Field(
        description="once done: request, mode, budget, items (the plan: id, text, region, feasible, reason, "
                    "applicable, satisfied, note), steps (index, item, tool, region, params, score_before, "
                    "score_after, mask, mask_url), checklist_satisfied, baseline_checklist_satisfied, tools, "
                    "width, height, masks (region -> URL), result_url, render_url and trace (the JSON trace "
                    "of `vibegrade agent --trace`)")


class RenderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    off: list[int] = Field(default_factory=list, max_length=256,
                           description="indices (from 0) of the steps to switch off")


_ACCEPT_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"model": AgentAccepted, "description": "the run is queued; poll status_url"},
    429: {"model": ErrorResponse, "description": "too many jobs of this client queued or running"},
    **ERRORS,
}
_JOB_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "unknown or expired run (job_not_found)"},
    409: {"model": ErrorResponse, "description": "the run is still queued or running (job_not_ready)"},
    410: {"model": ErrorResponse, "description": "the run failed (job_failed) or its files were cleaned up "
                                                 "(job_expired)"},
    503: {"model": ErrorResponse, "description": "the job queue is unavailable (jobs_unavailable)"},
}
_IMAGE_CONTENT = {media: {"schema": {"type": "string", "format": "binary"}}
                  for _, media in OUTPUT_FORMATS.values()}


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def _get(jobs: JobQueue, job_id: str) -> JobRecord:
    if not is_job_id(job_id):
        raise ApiError(404, "job_not_found", "unknown agent run (ids are 32 hex digits)")
    try:
        rec = jobs.get(job_id)
    except JobQueueUnavailable as e:
        raise ApiError(503, "jobs_unavailable", str(e)) from None
    if rec is None or rec.kind != "agent":
        raise ApiError(404, "job_not_found",
                       f"unknown agent run {job_id!r} (runs are kept for a limited time)")
    return rec


def _done(jobs: JobQueue, job_id: str) -> dict[str, Any]:
    """The trace of a done run (409 while running, 410 when failed or cleaned up)."""
    rec = _get(jobs, job_id)
    if rec.state in ("queued", "running"):
        raise ApiError(409, "job_not_ready", f"agent run {job_id} is {rec.state}; poll "
                       f"{agent_status_url(job_id)} until its state is 'done'")
    if rec.state == "failed":
        raise ApiError(410, "job_failed",
                       f"agent run {job_id} failed: {rec.error_message or 'unknown error'}")
    return load_trace(jobs.job_dir(job_id))


@router.post("/v1/agent", status_code=202, response_model=AgentAccepted, responses=_ACCEPT_RESPONSES,
             tags=["agent"])
def start_agent(
    request: Request, jobs: JobsDep, settings: SettingsDep, budget: BudgetDep,
    file: Annotated[UploadFile, File(description="the photo: JPEG, PNG, WebP, TIFF, HEIC/HEIF or RAW")],
    agent_request: Annotated[str, Form(alias="request", description=f"what the picture should feel like, "
                                                                    f"1..{MAX_REQUEST_CHARS} characters")],
    candidates: Annotated[str | None, Form(alias="budget", description=_BUDGET_HELP)] = None,
    mode: Annotated[str | None, Form(description=f"{' | '.join(MODES)} (default: the agent's)")] = None,
) -> JSONResponse:
    """Start an agent run: the request becomes a checklist, each item is met by a tool on a region chosen
    with a judge. Answers 202 with the run to poll (``GET /v1/agent/{job_id}``); a run takes seconds."""
    params = check_params(agent_request, candidates, mode)
    rec = accept_agent(file, params, settings, jobs, budget, client_key(request))
    body = AgentAccepted(job_id=rec.job_id, status_url=agent_status_url(rec.job_id), **params.to_dict())
    return JSONResponse(body.model_dump(), status_code=202,
                        headers={"Location": agent_status_url(rec.job_id), **_NO_STORE})


@router.get("/v1/agent/{job_id}", response_model=AgentStatus, responses=_JOB_RESPONSES, tags=["agent"])
def agent_status(job_id: str, jobs: JobsDep, response: Response) -> AgentStatus:
    """State and progress of an agent run; once done, its plan, steps and trace."""
    rec = _get(jobs, job_id)
    response.headers.update(_NO_STORE)
    error = AgentError(code=rec.error_code or "failed", message=rec.error_message or "the run failed") \
        if rec.state == "failed" else None
    result = agent_view(job_id, load_trace(jobs.job_dir(job_id))) if rec.state == "done" else None
    return AgentStatus(job_id=job_id, state=rec.state, progress=rec.progress,
                       stage=rec.stage if rec.state == "running" else None, error=error,
                       created_at=_utc(rec.created_at), updated_at=_utc(rec.updated_at), result=result)


@router.get("/v1/agent/{job_id}/result", response_class=FileResponse, tags=["agent"],
            responses={200: {"content": _IMAGE_CONTENT, "description": "the graded photo"}, **_JOB_RESPONSES})
def agent_result(job_id: str, jobs: JobsDep) -> FileResponse:
    """The graded photo of a done run, in the uploaded format (HEIC/HEIF and camera RAW: JPEG)."""
    trace = _done(jobs, job_id)
    path = result_path(jobs.job_dir(job_id), trace)
    if not path.is_file():
        raise ApiError(410, "job_expired", f"the result of agent run {job_id} is no longer available")
    media = {ext: m for ext, m in OUTPUT_FORMATS.values()}[path.suffix]
    return FileResponse(path, media_type=media, filename=trace["service"]["download_name"],
                        content_disposition_type="inline",
                        headers={"Cache-Control": "private, max-age=3600",
                                 "X-Tools": compact(ToolChain.model_validate(trace["chain"]))})


@router.get("/v1/agent/{job_id}/masks/{region}.png", response_class=FileResponse, tags=["agent"],
            responses={200: {"content": {"image/png": {}}, "description": "8-bit grey mask, 255 = inside"},
                       **_JOB_RESPONSES})
def agent_mask(job_id: str, region: str, jobs: JobsDep) -> FileResponse:
    """One of the run's region masks at the photo's size, as an 8-bit grey PNG (for an overlay)."""
    trace = _done(jobs, job_id)
    path = mask_path(jobs.job_dir(job_id), trace, region)
    if not path.is_file():
        raise ApiError(410, "job_expired", f"the masks of agent run {job_id} are no longer available")
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


@router.post("/v1/agent/{job_id}/render", response_class=Response, tags=["agent"],
             responses={200: {"content": _IMAGE_CONTENT,
                              "description": "the photo re-rendered; X-Tools: the chain, X-Agent-Verdict: "
                                             "{checklist_satisfied, met: [item ids]} of the new picture"},
                        422: {"model": ErrorResponse}, **_JOB_RESPONSES})
def agent_render(job_id: str, body: RenderRequest, jobs: JobsDep, budget: BudgetDep) -> Response:
    """Re-render a done run's photo with some steps switched off (the others replayed in order, with the
    run's masks), judged again so the plan's ticks follow."""
    trace = _done(jobs, job_id)
    data, media_type, chain, verdict = render_without(jobs.job_dir(job_id), trace, body.off, budget)
    short = {"checklist_satisfied": verdict["checklist_satisfied"], "met": verdict["met"]}
    return Response(content=data, media_type=media_type, headers={
        "X-Tools": compact(chain), "X-Agent-Verdict": json.dumps(short, separators=(",", ":")),
        "Cache-Control": "no-store"})
