"""``vibegrade edit FOLDER OUT "look"``: predict the chain once, grade every image of the folder in parallel
(:mod:`vibegrade.media.batch`), show a progress bar on a terminal and a summary at the end."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from vibegrade.media.batch import BatchReport, Outcome
    from vibegrade.schema import ToolChain

__all__ = ["edit_folder"]


def edit_folder(input: Path, output: Path, intent: str, *, model: Path | None, show_tools: bool,
                compare: Path | None, recursive: bool, jobs: int | None, out_format: str | None,
                refine: Callable[[ToolChain], ToolChain] | None = None) -> None:
    """Grade the images of the folder ``input`` into the folder ``output``; exit code 2 if any failed.
    ``refine`` turns the predicted chain into the one used (``edit --then``)."""
    from vibegrade.api import predict as predict_chain
    from vibegrade.media.batch import default_jobs, grade_folder, plan_folder, start_fork_server

    if not input.is_dir():
        raise ValueError(f"{input}: --recursive, --jobs and --format need a folder as input")
    if compare is not None:
        raise ValueError("--compare works with one image, not a folder")
    items, skipped = plan_folder(input, output, recursive=recursive, out_format=out_format)  # before predict
    if min(jobs or default_jobs(), len(items)) > 1:
        start_fork_server()  # its imports overlap the prediction
    chain = predict_chain(intent, model=model)
    if refine is not None:
        chain = refine(chain)
    if show_tools:
        typer.echo(chain.to_json())
    bar = _ProgressBar(len(items) + len(skipped)) if sys.stderr.isatty() else None
    try:
        report = grade_folder(input, output, chain, jobs=jobs, recursive=recursive, out_format=out_format,
                              on_outcome=bar.update if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    _summary(report)
    if report.failed:
        raise typer.Exit(2)


def _rel(p: Path, root: Path) -> str:
    try:
        return str(p.relative_to(root))
    except ValueError:
        return str(p)


def _summary(report: BatchReport) -> None:
    n = len(report.done)
    rate = n / report.seconds if report.seconds > 0 else 0.0
    procs = f"{report.jobs} process{'es' * (report.jobs != 1)}"
    typer.echo(f"graded {n} image{'s' * (n != 1)} into {report.output_dir} in {report.seconds:.1f} s "
               f"({rate:.1f} images/s, {procs}); skipped {len(report.skipped)}, failed {len(report.failed)}",
               err=True)
    for label, items in (("skipped", report.skipped), ("failed", report.failed)):
        for o in items:
            typer.echo(f"  {label}: {_rel(o.src, report.input_dir)}: {o.reason}", err=True)


class _ProgressBar:
    """A rich progress bar on stderr: files finished of all, images per second, time left."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("{task.fields[failed]} failed"), TimeElapsedColumn(),
                             TimeRemainingColumn(), TextColumn("{task.fields[name]}"),
                             console=Console(stderr=True), transient=False)
        self._task = self._bar.add_task("grading", total=total, failed=0, name="")
        self._failed = 0
        self._bar.start()

    def update(self, outcome: Outcome, finished: int, total: int) -> None:
        self._failed += outcome.status == "failed"
        self._bar.update(self._task, completed=finished, total=total, failed=self._failed,
                         name=outcome.src.name)

    def close(self) -> None:
        self._bar.stop()
