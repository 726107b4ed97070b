"""Agent jobs: a photo and an open-ended request, graded by the agent (:func:`vibegrade.agent.run.run_agent`)
in the background, with progress, then served as a plan, steps, region masks and re-renders.

An agent job is a job of the service's queue (:mod:`vibegrade.serve.jobs`, ``kind="agent"``): the same
folders, per-client limits, progress reporting, TTL sweep and transports (in-process or Redis + workers).
Its folder holds

* ``input.<ext>`` -- the upload (kept: steps are switched off on it later);
* ``masks/<region>.png`` -- the run's region masks at the photo's size, 8-bit grey (255 = fully inside);
  every render of the job (the result and each re-render) uses these, so they agree to the pixel;
* ``result.<ext>`` -- the graded photo, in the upload's format (HEIF and RAW: JPEG), metadata carried over;
* ``trace.json`` -- the run's JSON trace (:meth:`AgentResult.trace`) plus what the service needs later
  (``service``: the actions to replay, the item states, the masks, the result's name); written last, so
  its presence means the job's files are complete.

:func:`accept_agent` validates and queues a job (every problem a 4xx), :func:`run_agent_job` is what the
job runner runs, :func:`agent_view` shapes a done job for the client, :func:`render_without` re-renders the
photo with some steps switched off (replaying the run's other actions, as
:meth:`AgentResult.chain_without` does) and judges the result again so the plan's ticks follow.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import UploadFile

from vibegrade.agent.run import DEFAULT_BUDGET, MODES
from vibegrade.files import atomic_write_bytes, atomic_write_text
from vibegrade.schema import REGION_NAMES, ToolChain
from vibegrade.serve.errors import ApiError, media_api_error
from vibegrade.serve.jobs import (
    JobLimitReached,
    JobQueue,
    JobQueueStopped,
    JobQueueUnavailable,
    JobRecord,
    JobSpec,
    public_media_message,
)
from vibegrade.serve.limits import DecodeBudget
from vibegrade.serve.settings import Settings
from vibegrade.serve.uploads import (
    OUTPUT_FORMATS,
    SUPPORTED_UPLOADS,
    decode_admission,
    save_upload,
    upload_kind,
)

__all__ = ["MAX_REQUEST_CHARS", "BUDGET_RANGE", "MODES", "DEFAULT_BUDGET", "TRACE_NAME", "MASKS_DIR",
           "AgentJobError", "AgentModels", "AgentParams", "check_params", "accept_agent", "run_agent_job",
           "agent_status_url", "load_trace", "agent_view", "mask_path", "result_path", "check_off",
           "chain_without", "render_without"]

#: The longest request the agent takes (what run_agent accepts).
MAX_REQUEST_CHARS = 500
BUDGET_RANGE = (1, 64)
TRACE_NAME = "trace.json"
MASKS_DIR = "masks"
_INPUT_STEM = "input"
_RESULT_STEM = "result"


class AgentJobError(Exception):
    """An agent job failed for a reason the user can act on: ``code`` and a message safe to show."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class AgentModels:
    """The planner, policy and student of agent jobs, each loaded once (thread-safe, on first use); the
    shipped ones unless given (e.g. a teacher planner, or a fixed one in tests)."""

    def __init__(self, *, planner: Any = None, policy: Any = None, student: Any = None) -> None:
        self._lock = threading.Lock()
        given = {"planner": planner, "policy": policy, "student": student}
        self._loaded: dict[str, Any] = {k: v for k, v in given.items() if v is not None}

    def _get(self, name: str, load: Callable[[], Any]) -> Any:
        with self._lock:
            if name not in self._loaded:
                self._loaded[name] = load()
            return self._loaded[name]

    @property
    def planner(self) -> Any:
        from vibegrade.agent.planner import load_planner

        return self._get("planner", load_planner)

    @property
    def policy(self) -> Any:
        from vibegrade.agent.policy import load_policy

        return self._get("policy", load_policy)

    @property
    def student(self) -> Any:
        from vibegrade.students import load_student

        return self._get("student", load_student)


# -------------------------------------------------------------------------------------------- accepting

@dataclass(frozen=True)
class AgentParams:
    """A validated agent request: ``mode`` None lets the agent choose."""

    request: str
    budget: int
    mode: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"request": self.request, "budget": self.budget, "mode": self.mode}


def check_params(request: str | None, budget: str | int | None, mode: str | None) -> AgentParams:
    """Validate the form fields; 422 naming the field."""
    from vibegrade.data.rows import clean_text

    try:
        text = clean_text(request, subject="request", max_chars=MAX_REQUEST_CHARS,
                          empty="empty request: say what the picture should feel like, e.g. 'a cold "
                                "winter morning but keep the faces warm'")
    except ValueError as e:
        raise ApiError(422, "invalid_request", f"request: {e}", "request") from None
    lo, hi = BUDGET_RANGE
    k = DEFAULT_BUDGET
    if budget is not None and str(budget).strip() != "":
        try:
            k = int(str(budget).strip())
        except ValueError:
            raise ApiError(422, "invalid_budget", f"budget: {str(budget)[:20]!r} is not a whole number "
                           f"({lo}..{hi})", "budget") from None
        if not lo <= k <= hi:
            raise ApiError(422, "invalid_budget", f"budget: {k} is outside {lo}..{hi} (candidates tried per "
                           "checklist item)", "budget")
    m = (mode or "").strip() or None
    if m is not None and m not in MODES:
        raise ApiError(422, "invalid_mode", f"mode: {m[:40]!r} is not one of {', '.join(MODES)}", "mode")
    if m in ("policy", "policy+search"):
        from vibegrade.agent.policy import DEFAULT_POLICY_DIR

        if not (DEFAULT_POLICY_DIR / "config.json").is_file():
            raise ApiError(422, "invalid_mode", f"mode: {m!r} needs the learned policy, which this "
                           "installation does not have; use search or rules", "mode")
    return AgentParams(text, k, m)


def agent_status_url(job_id: str) -> str:
    return f"/v1/agent/{job_id}"


def _too_many(e: JobLimitReached) -> ApiError:
    return ApiError(429, "too_many_jobs", str(e), headers={"Retry-After": "30"})


def accept_agent(upload: UploadFile, params: AgentParams, settings: Settings, jobs: JobQueue,
                 budget: DecodeBudget | None = None, client: str | None = None) -> JobRecord:
    """Save the photo into a new job folder, check it is a readable image within the limits (decoded once
    here, under the decode ``budget``), and queue the agent job.

    Raises :class:`ApiError`: 429 ``too_many_jobs``, 413 ``payload_too_large`` / ``image_too_large``,
    415 ``unsupported_media_type`` (videos included), 422 ``invalid_image``, 503 ``busy`` /
    ``jobs_unavailable``. The folder is removed on any error.
    """
    from vibegrade.media.errors import MediaError
    from vibegrade.media.image import max_pixels_limit, read_image, read_image_header
    from vibegrade.media.sniff import RAW_EXTENSIONS

    try:
        jobs.check_available()
        jobs.check_client_limit(client, settings.max_jobs_per_client)
    except JobLimitReached as e:
        raise _too_many(e) from None
    except (JobQueueUnavailable, JobQueueStopped) as e:
        raise ApiError(503, "jobs_unavailable", str(e)) from None
    name = Path(upload.filename or "photo").name or "photo"
    suffix = Path(name).suffix.lower()
    input_name = _INPUT_STEM + (suffix if suffix in RAW_EXTENSIONS else "")
    limit = min(max_pixels_limit(settings.max_pixels), settings.agent_max_pixels)
    job_id, job_dir = jobs.create_job_dir()
    try:
        src = job_dir / input_name
        save_upload(upload, src, settings.max_upload_bytes)
        if upload_kind(upload) != "image" and suffix not in RAW_EXTENSIONS:
            raise ApiError(415, "unsupported_media_type",
                           f"file: {name!r} is not a supported image ({SUPPORTED_UPLOADS}); the agent grades "
                           "photos", "file")
        try:
            header = read_image_header(src, max_pixels=limit)
            admit = decode_admission(budget)
            with admit(header) if admit is not None else contextlib.nullcontext():
                read_image(src, max_pixels=limit)
        except MediaError as e:
            raise media_api_error(e, public_media_message(str(e), src, name)) from None
        stem = "".join(c if c.isalnum() or c in "._-" else "_" for c in Path(name).stem)[:60] or "photo"
        spec = JobSpec(job_id=job_id, kind="agent", input_name=input_name, source_name=name,
                       download_name=f"{stem}-vibegrade-agent", tools={}, agent=params.to_dict(),
                       max_pixels=limit, client=client)
        try:
            return jobs.submit(spec, max_per_client=settings.max_jobs_per_client)
        except JobLimitReached as e:
            raise _too_many(e) from None
        except (JobQueueUnavailable, JobQueueStopped) as e:
            raise ApiError(503, "jobs_unavailable", str(e)) from None
    except BaseException:
        jobs.discard_job_dir(job_id)
        raise


# ---------------------------------------------------------------------------------------------- running

def _mask_png(mask: np.ndarray) -> tuple[np.ndarray, bytes]:
    import cv2

    m8 = (np.clip(mask, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    ok, buf = cv2.imencode(".png", m8)
    if not ok:
        raise AgentJobError("agent_failed", "a region mask could not be encoded")
    return m8, buf.tobytes()


def _step_mask(step: Mapping[str, Any], items: Mapping[str, Mapping[str, Any]], masks: Sequence[str]
               ) -> str | None:
    """The region whose mask shows where a step acts: its own region (regional edits), the item's colour
    range (selective adjust), none for whole-picture steps."""
    if step.get("tool") == "regional" and step.get("region") in masks:
        return str(step["region"])
    if step.get("tool") == "selective_adjust":
        region = items.get(str(step.get("item")), {}).get("region")
        if region in masks:
            return str(region)
    return None


def run_agent_job(job_dir: Path, spec: JobSpec, models: AgentModels,
                  progress: Callable[[str, float], None]) -> None:
    """Run the agent on the job's photo and write its files (see the module docstring).

    Raises :class:`AgentJobError` for failures to report as such (unreadable photo, a request the agent
    refuses); ``progress(stage, fraction)`` may raise to abandon the run."""
    from vibegrade.agent.run import run_agent
    from vibegrade.media.errors import MediaError
    from vibegrade.media.image import read_image, write_image
    from vibegrade.tools.chain import render

    params = spec.agent or {}
    src = job_dir / spec.input_name
    try:
        img = read_image(src, max_pixels=spec.max_pixels)
    except MediaError as e:
        raise AgentJobError("invalid_image", public_media_message(str(e), src, spec.source_name)) from None
    mode = params.get("mode")
    try:
        result = run_agent(img.rgb, str(params.get("request", "")), planner=models.planner,
                           policy=models.policy if mode in (None, "policy", "policy+search") else None,
                           student=models.student, mode=mode,
                           budget=int(params.get("budget", DEFAULT_BUDGET)),
                           progress=progress)
    except ValueError as e:
        raise AgentJobError("invalid_request", str(e)) from None
    progress("rendering", 0.97)
    (job_dir / MASKS_DIR).mkdir(exist_ok=True)
    frozen: dict[str, np.ndarray] = {}
    for region, mask in result.masks.items():
        m8, png = _mask_png(mask)
        atomic_write_bytes(job_dir / MASKS_DIR / f"{region}.png", png)
        frozen[region] = m8.astype(np.float32) / np.float32(255.0)
    graded = render(img.rgb, result.chain, masks=frozen)
    ext = OUTPUT_FORMATS[img.format][0]
    try:
        write_image(job_dir / f"{_RESULT_STEM}{ext}", graded, img.alpha, source=img)
    except MediaError as e:
        raise AgentJobError("cannot_encode", public_media_message(str(e), src, spec.source_name)) from None
    trace = result.trace()
    trace["service"] = {
        "result_name": f"{_RESULT_STEM}{ext}", "source_format": img.format,
        "width": int(graded.shape[1]), "height": int(graded.shape[0]), "masks": sorted(frozen),
        "actions": [a.to_dict() for a in result.actions],
        "download_name": spec.download_name + ext,
    }
    atomic_write_text(job_dir / TRACE_NAME, json.dumps(trace) + "\n")


# --------------------------------------------------------------------------------------------- reading

def load_trace(job_dir: Path) -> dict[str, Any]:
    """The trace of a done job; 410 ``job_expired`` when its files are gone."""
    try:
        return json.loads((job_dir / TRACE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ApiError(410, "job_expired", "the files of this agent run are no longer available") from None


def result_path(job_dir: Path, trace: Mapping[str, Any]) -> Path:
    return job_dir / str(trace["service"]["result_name"])


def mask_path(job_dir: Path, trace: Mapping[str, Any], region: str) -> Path:
    """The mask file of ``region``; 404 ``mask_not_found`` for a region this run has no mask of."""
    have = trace["service"]["masks"]
    if region not in have:
        hint = f" (it has: {', '.join(have)})" if region in REGION_NAMES \
            else f"; regions are {', '.join(REGION_NAMES)}"
        raise ApiError(404, "mask_not_found", f"this run has no {region[:40]!r} mask{hint}")
    return job_dir / MASKS_DIR / f"{region}.png"


def _item_states(checklist: Sequence[Mapping[str, Any]], judge: Mapping[str, Any]) -> list[dict[str, Any]]:
    verdicts = {str(v.get("id")): v for v in judge.get("items", [])}
    out = []
    for it in checklist:
        v = verdicts.get(str(it["id"]), {})
        out.append({"id": it["id"], "text": it["text"], "region": it["region"],
                    "property": it.get("property"), "direction": it.get("direction"),
                    "feasible": bool(it.get("feasible", True)), "reason": it.get("reason"),
                    "applicable": bool(v.get("applicable", False)), "satisfied": bool(v.get("satisfied")),
                    "score": v.get("score"), "note": v.get("note")})
    return out


def agent_view(job_id: str, trace: Mapping[str, Any]) -> dict[str, Any]:
    """What the client shows of a done run: the plan with each item's state, the steps (with the mask that
    shows where each acts), the verdicts, the URLs; and the whole trace."""
    svc = trace["service"]
    base = agent_status_url(job_id)
    items = _item_states(trace["checklist"], trace["final"]["judge"])
    by_id = {str(i["id"]): i for i in items}
    steps = []
    for n, s in enumerate(trace["steps"]):
        region = _step_mask(s, by_id, svc["masks"])
        steps.append({"index": n, "item": s.get("item"), "tool": s["tool"], "region": s["region"],
                      "params": s["params"], "score_before": s["score_before"],
                      "score_after": s["score_after"],
                      "mask": region, "mask_url": f"{base}/masks/{region}.png" if region else None})
    single = trace["baseline"]["single_shot"]
    return {
        "request": trace["request"], "mode": trace.get("mode"), "budget": trace.get("budget"),
        "items": items, "steps": steps,
        "checklist_satisfied": trace["final"]["checklist_satisfied"],
        "baseline_checklist_satisfied": single["checklist_satisfied"],
        "tools": trace.get("chain"), "width": svc["width"], "height": svc["height"],
        "masks": {r: f"{base}/masks/{r}.png" for r in svc["masks"]},
        "result_url": f"{base}/result", "render_url": f"{base}/render",
        "trace": {k: v for k, v in trace.items() if k != "service"},
    }


# ------------------------------------------------------------------------------------------- rendering

def check_off(trace: Mapping[str, Any], off: Sequence[int]) -> list[int]:
    """The step indices to switch off, sorted and unique; 422 ``invalid_steps`` for one the run lacks."""
    n = len(trace["service"]["actions"])
    bad = sorted({i for i in off if not 0 <= i < n})
    if bad:
        raise ApiError(422, "invalid_steps", f"off: no step {bad[0]} (this run has {n} step"
                       f"{'s' * (n != 1)}, numbered from 0)", "off")
    return sorted(set(off))


def chain_without(trace: Mapping[str, Any], off: Sequence[int]) -> ToolChain:
    """The run's chain with steps ``off`` switched off: its other actions replayed in order from an empty
    chain (what :meth:`vibegrade.agent.run.AgentResult.chain_without` does, from the saved actions)."""
    from vibegrade.agent.actions import Action, apply_actions

    skip = set(check_off(trace, off))
    kept = [Action(a["tool"], a["region"], dict(a["params"]), a.get("item", ""))
            for i, a in enumerate(trace["service"]["actions"]) if i not in skip]
    return apply_actions(ToolChain(), kept)


def _read_masks(job_dir: Path, regions: Sequence[str]) -> dict[str, np.ndarray]:
    import cv2

    out = {}
    for r in regions:
        m = cv2.imread(str(job_dir / MASKS_DIR / f"{r}.png"), cv2.IMREAD_GRAYSCALE)
        if m is None:
            raise ApiError(410, "job_expired", "the files of this agent run are no longer available")
        out[r] = m.astype(np.float32) / np.float32(255.0)
    return out


def render_without(job_dir: Path, trace: Mapping[str, Any], off: Sequence[int],
                   budget: DecodeBudget | None = None) -> tuple[bytes, str, ToolChain, dict[str, Any]]:
    """Render the job's photo with steps ``off`` switched off, with the run's masks, and judge it again.

    Returns ``(image bytes, media type, chain, verdict)`` where ``verdict`` is ``{"checklist_satisfied",
    "met": [item ids], "items": [item states]}`` for the new picture."""
    import cv2

    from vibegrade.agent.checklist import parse_checklist
    from vibegrade.agent.run import proxy_of
    from vibegrade.agent.search import Evaluator
    from vibegrade.media.errors import MediaError
    from vibegrade.media.image import read_image, read_image_header, write_image
    from vibegrade.tools.chain import render

    chain = chain_without(trace, off)
    svc = trace["service"]
    src = next((p for p in job_dir.glob(f"{_INPUT_STEM}*") if p.is_file()), None)
    if src is None:
        raise ApiError(410, "job_expired", "the files of this agent run are no longer available")
    try:
        admit = decode_admission(budget)
        with admit(read_image_header(src)) if admit is not None else contextlib.nullcontext():
            img = read_image(src)
            masks = _read_masks(job_dir, svc["masks"])
            graded = render(img.rgb, chain, masks=masks)
            ext, media_type = OUTPUT_FORMATS[img.format]
            with tempfile.TemporaryDirectory(prefix="vibegrade-agent-") as tmp:
                out = Path(tmp) / f"render{ext}"
                write_image(out, graded, img.alpha, source=img)
                data = out.read_bytes()
            checklist = parse_checklist({"items": trace["checklist"]})
            proxy = proxy_of(img.rgb)
            ph, pw = proxy.shape[:2]
            small = {k: cv2.resize(m, (pw, ph), interpolation=cv2.INTER_AREA) for k, m in masks.items()}
            verdict = Evaluator(proxy, small, checklist)(chain).to_dict()
    except MediaError as e:
        raise ApiError(410, "job_expired",
                       f"the photo of this agent run cannot be read any more ({e})") from None
    items = _item_states(trace["checklist"], verdict)
    return data, media_type, chain, {"checklist_satisfied": verdict["checklist_satisfied"],
                                     "met": [i["id"] for i in items if i["satisfied"]], "items": items}
