"""``vibegrade agent``: an open-ended request graded in several checked steps (planner → tool × region →
judge), and ``vibegrade bench agent``.

The agent itself is :func:`vibegrade.agent.run.run_agent`; this module reads the photo (EXIF orientation,
ICC, 8/16-bit and alpha handled by :mod:`vibegrade.media.image`), validates every argument before any work,
prints the plan, the steps and the verdict, renders the final chain at full size with the run's masks and
writes the image (atomically, with the source's metadata) and, with ``--trace``, the JSON trace.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from vibegrade.cli.app import INPUT_HELP, bench_app, resolve_input
from vibegrade.cli.errors import fail, friendly_errors

if TYPE_CHECKING:
    from vibegrade.agent.run import AgentResult

__all__ = ["agent", "bench_agent", "MAX_REQUEST_CHARS", "check_request", "check_budget", "check_mode",
           "format_report"]

#: The longest request the agent takes (what :func:`~vibegrade.agent.run.run_agent` accepts).
MAX_REQUEST_CHARS = 500
#: The modes of :func:`~vibegrade.agent.run.run_agent` (checked here without importing the agent).
MODES = ("rules", "search", "policy", "policy+search")
BUDGET_RANGE = (1, 64)
PLANNERS = ("offline", "teacher")
PHOTO_HELP = INPUT_HELP.replace(" or video", "")


def check_request(text: str) -> str:
    """The request cleaned (control characters out, whitespace collapsed); ``ValueError`` when empty or
    longer than :data:`MAX_REQUEST_CHARS`."""
    from vibegrade.data.rows import clean_text

    return clean_text(text, subject="request", max_chars=MAX_REQUEST_CHARS,
                      empty="empty request: say what the picture should feel like, e.g. 'a cold winter "
                            "morning but keep the faces warm'")


def check_budget(budget: int) -> int:
    lo, hi = BUDGET_RANGE
    if not lo <= budget <= hi:
        raise ValueError(f"--budget {budget}: must be within {lo}..{hi} (candidates tried per item)")
    return budget


def check_mode(mode: str | None) -> str | None:
    if mode is not None and mode not in MODES:
        raise ValueError(f"--mode {mode!r}: choose one of {', '.join(MODES)}")
    return mode


def _check_output(path: Path, what: str, *, image: bool) -> None:
    """Fail before any work when ``path`` cannot be written."""
    if path.is_dir():
        raise ValueError(f"{what} {path}: is a folder, not a file")
    if image:
        from vibegrade.media.image import is_image_path

        if not is_image_path(path):
            raise ValueError(f"{what} {path}: unsupported output type {path.suffix or '(none)'}; use .jpg, "
                             ".png, .webp or .tif")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"{what} {path}: folder {parent} does not exist")
    if path.exists() and not os.access(path, os.W_OK):
        raise ValueError(f"{what} {path}: not writable (permission denied)")
    try:  # the folder takes a new file (the output is written atomically: a temporary file, then a rename)
        with tempfile.NamedTemporaryFile(dir=parent, prefix=".vibegrade-probe-"):
            pass
    except OSError as e:
        raise ValueError(f"{what} {path}: cannot write in {parent} ({e.strerror or e})") from None


def _planner(kind: str) -> Any:
    """The planner: the shipped offline one, or the teacher over the OpenAI-compatible client (falling back
    to the offline planner when no teacher is configured or a call fails)."""
    from vibegrade.agent.planner import TeacherPlanner, load_planner

    offline = load_planner()
    if kind == "offline":
        return offline
    from vibegrade.llm.config import ConfigError, resolve_config

    try:
        cfg = resolve_config()
    except ConfigError as e:
        typer.echo(f"note: no teacher configured ({e}); planning offline", err=True)
        return offline
    return TeacherPlanner(cfg, fallback=offline)


def _progress_printer() -> Any:
    """A progress callback drawing one line on stderr (only on a terminal)."""
    if not sys.stderr.isatty():
        return None

    def say(msg: str, frac: float) -> None:
        sys.stderr.write(f"\r\033[K{round(100 * frac):3d}% {msg}")
        if frac >= 1.0:
            sys.stderr.write("\r\033[K")
        sys.stderr.flush()

    return say


# ------------------------------------------------------------------------------------------- printing

def _fmt_params(params: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v:+d}" if isinstance(v, int) and not isinstance(v, bool) else f"{k} {v}"
                     for k, v in params.items())


def judge_summary(judge: dict[str, Any]) -> str:
    """One line of the judge's headline figures (``Verdict.to_dict()``): adherence, preservation (mean
    CIEDE2000 outside the edited regions), skin hue shift, guard violations, reward."""
    parts = []
    for key, label, fmt in (("adherence", "adherence", "{:.2f}"),
                            ("preservation", "preservation dE00", "{:.2f}"),
                            ("skin_shift", "skin hue shift", "{:.1f} deg"), ("reward", "reward", "{:.2f}")):
        v = judge.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            parts.append(f"{label} {fmt.format(v)}")
    if "violations" in judge:
        bad = list(judge.get("violations") or [])
        parts.append("guards " + (", ".join(bad) + " violated" if bad else "ok"))
    return ", ".join(parts)


def format_report(result: AgentResult) -> list[str]:
    """The lines ``vibegrade agent`` prints: the plan (ticked when met, infeasible items with their reason),
    each step, the final verdict and the single-shot baseline."""
    met = {iv.id: bool(iv.satisfied) for iv in result.verdict.items if iv.applicable}
    notes = {iv.id: iv.note for iv in result.verdict.items}
    items = result.checklist.items
    infeasible = [i for i in items if not i.feasible]
    lines = [f"plan: {len(items)} item{'s' * (len(items) != 1)}"
             + (f", {len(infeasible)} not doable with colour tools" if infeasible else "")]
    for it in items:
        if not it.feasible:
            lines.append(f"  [-] {it.id}: {it.text} -- not feasible: {it.reason}")
            continue
        tick = "x" if met.get(it.id) else (" " if it.id in met else "?")
        note = "" if it.id in met else f" ({notes.get(it.id) or 'not measured'})"
        lines.append(f"  [{tick}] {it.id}: {it.text} "
                     f"[{it.region} {it.property} {it.direction}, {it.size}]{note}")
    if result.steps:
        lines.append(f"steps ({result.mode}, budget {result.budget}):")
        for n, s in enumerate(result.steps, start=1):
            lines.append(f"  {n}. {s.tool} on {s.region}: {_fmt_params(s.params)} (for {s.item_id}); "
                         f"score {s.score_before:.2f} -> {s.score_after:.2f}")
    else:
        lines.append(f"steps ({result.mode}): none (no action raised the judge's score)")
    feasible = [i for i in items if i.feasible and i.id in met]
    done = sum(met[i.id] for i in feasible)
    trace = result.trace()
    final, base = trace["final"], trace["baseline"]["single_shot"]
    lines.append(f"final: checklist satisfied {final['checklist_satisfied']:.2f} ({done} of {len(feasible)} "
                 f"measurable items met); judge: {judge_summary(final['judge'])}")
    lines.append(f"baseline (single-shot student, global only): checklist satisfied "
                 f"{base['checklist_satisfied']:.2f}; judge: {judge_summary(base['judge'])}")
    return lines


# -------------------------------------------------------------------------------------------- command

@friendly_errors
def agent(
    input: Path = typer.Argument(..., help=PHOTO_HELP),
    output: Path = typer.Argument(..., help="The graded image (.jpg, .png, .webp or .tif)."),
    request: str = typer.Argument(..., help="What the picture should feel like, e.g. 'a cold winter morning "
                                            "but keep the faces warm'."),
    trace: Path | None = typer.Option(None, "--trace", help="Also write the run's JSON trace here."),
    budget: int | None = typer.Option(None, "--budget",
                                      help="Candidate actions tried per checklist item (1..64; default 4)."),
    mode: str | None = typer.Option(None, "--mode",
                                    help="rules | search | policy | policy+search (default: policy+search "
                                         "when a policy is shipped, else search)."),
    planner: str = typer.Option("offline", "--planner",
                                help="offline (no network) | teacher (the OpenAI-compatible model of "
                                     "VIBEGRADE_TEACHER_*, docs/teacher.md; falls back to offline)."),
    quality: int = typer.Option(95, "--quality", min=1, max=100, help="JPEG/WebP quality."),
) -> None:
    """Grade a photo from an open-ended request in several checked steps: the request becomes a checklist,
    each item is met by a tool on a region (sky, faces, shadows, ...) chosen with a judge, and the result
    is scored against the single-shot student (docs/agent.md)."""
    text = check_request(request)
    mode = check_mode(mode)
    if planner not in PLANNERS:
        raise ValueError(f"--planner {planner!r}: choose offline or teacher")
    src = resolve_input(input)
    from vibegrade.media.video import is_video_path

    if is_video_path(src):
        raise ValueError(f"INPUT {src}: the agent grades photos; grade a video with `vibegrade edit`")
    if not src.exists():
        raise ValueError(f"INPUT {src}: no such file")
    if not src.is_file():
        raise ValueError(f"INPUT {src}: not a file")
    _check_output(output, "OUTPUT", image=True)
    if output.resolve() == src.resolve():
        raise ValueError(f"OUTPUT {output}: would overwrite the input; choose another path")
    if trace is not None:
        _check_output(trace, "--trace", image=False)
        if trace.resolve() in (src.resolve(), output.resolve()):
            raise ValueError(f"--trace {trace}: would overwrite an image; choose another path")

    from vibegrade.agent.run import DEFAULT_BUDGET, run_agent
    from vibegrade.media.image import read_image, write_image
    from vibegrade.tools.chain import render

    k = check_budget(DEFAULT_BUDGET if budget is None else budget)
    if mode in ("policy", "policy+search"):
        from vibegrade.agent.policy import load_policy

        if load_policy() is None:
            raise ValueError(f"--mode {mode}: no learned policy is installed; use search or rules")
    img = read_image(src)  # MediaError: one line, exit 2
    t0 = time.perf_counter()
    result = run_agent(img.rgb, text, planner=_planner(planner), mode=mode,  # type: ignore[arg-type]
                       budget=k, progress=_progress_printer())
    seconds = time.perf_counter() - t0
    for line in format_report(result):
        typer.echo(line)
    t1 = time.perf_counter()
    graded = render(img.rgb, result.chain, masks=result.masks)
    render_ms = (time.perf_counter() - t1) * 1000
    write_image(output, graded, img.alpha, source=img, quality=quality)
    h, w = graded.shape[:2]
    typer.echo(f"wrote {output} ({w}x{h}); agent {seconds:.1f} s, final render {render_ms:.0f} ms", err=True)
    if trace is not None:
        from vibegrade.files import atomic_write_text

        atomic_write_text(trace, json.dumps(result.trace(), indent=2) + "\n")
        typer.echo(f"wrote {trace}", err=True)


@bench_app.command("agent")
@friendly_errors
def bench_agent(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    runs: int = typer.Option(7, "--runs", help="Timed whole runs (after one warm-up run), 3..200."),
    budget: int | None = typer.Option(None, "--budget", help="Candidates per item (default: the agent's)."),
    photo: Path | None = typer.Option(None, "--photo",
                                      help="Photo to use, resized to 1920x1080 (default: a shared photo "
                                           "beside the checkout, else the bundled rocket sample)."),
    cores: int = typer.Option(2, "--cores", help="CPU cores the benchmark may use (1..64)."),
) -> None:
    """A whole agent run on a 1080p photo with offline backends (p50/p90) and the final 1080p render of a
    regional chain, each next to the single-shot student measured in the same run."""
    if not 3 <= runs <= 200:
        fail(f"--runs {runs}: must be within 3..200")
    if not 1 <= cores <= 64:
        fail(f"--cores {cores}: must be within 1..64")
    if budget is not None:
        check_budget(budget)
    if photo is not None and not photo.is_file():
        fail(f"--photo {photo}: no such file")
    from vibegrade.runtime import limit_blas_threads

    limit_blas_threads(cores, override=True)  # before NumPy is imported by the benchmark
    from vibegrade.agent.bench import bench_agent as run
    from vibegrade.agent.bench import format_table

    res = run(runs=runs, budget=budget, photo=photo, cores=cores,
              progress=None if as_json else lambda msg: typer.echo(f"... {msg}", err=True))
    typer.echo(json.dumps(res) if as_json else format_table(res))
