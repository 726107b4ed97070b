"""``vibegrade annotate prepare``, ``invite`` and ``report``: the annotators' reality check.

``invite NAME`` gives an annotator a token (printed once, only its hash is stored); the page and the API
accept answers only with a token, so nobody can answer as someone else.

``prepare`` stores tasks (request, teacher chain, student chain, sample image) in the event store for the
page at ``/annotate``; ``report`` gives the majority answer per task and question with agreement figures.
Register with the main app via ``app.add_typer(annotate_app, name="annotate")``. See ``docs/annotate.md``.

The vote counting lives in :mod:`vibegrade.evaluation.annotations`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import typer

from vibegrade.cli.errors import friendly_errors
from vibegrade.evaluation.annotations import TIE, build_report

app = typer.Typer(help="Reality check by annotators: prepare tasks for /annotate, invite annotators, report "
                       "majority votes.",
                  no_args_is_help=True, add_completion=False)

DATABASE_HELP = "Event store URL (default: $VIBEGRADE_DATABASE_URL or the local SQLite file)."
PREDICT_BATCH = 64


@app.callback()
def _main() -> None:
    """Reality check by annotators."""


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def _cell(entry: Mapping[str, Any] | None) -> str:
    if entry is None:
        return "-"
    counts = ", ".join(f"{n} {a}" for a, n in entry["votes"].items() if n)
    return f"{entry['majority']} ({counts})"


def print_report(rep: Mapping[str, Any]) -> None:
    """The report as rich tables on stdout: a summary per question, then one row per task."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"{rep['tasks_reported']} of {rep['tasks_in_store']} tasks with at least "
                  f"{rep['min_votes']} vote(s); {len(rep['annotators'])} annotator(s)")
    summary = Table(title="Majority answer per question (share of tasks)")
    summary.add_column("question", no_wrap=True)
    summary.add_column("tasks", justify="right")
    for o in (*rep["answers"], TIE):
        summary.add_column(o, justify="right")
    summary.add_column("annotators", justify="right")
    summary.add_column("agreement", justify="right")
    summary.add_column("pairs", justify="right")
    for q in rep["questions"]:
        s = rep["summary"][q]
        summary.add_row(q, str(s["tasks"]), *(_pct(s["majority"][o]) for o in (*rep["answers"], TIE)),
                        str(s["annotators"]), _pct(s["agreement"]), str(s["pairs"]))
    console.print(summary)
    if not rep["tasks"]:
        return
    per_task = Table(title="Per task: majority (votes)")
    per_task.add_column("task")
    per_task.add_column("request")
    per_task.add_column("image")
    for q in rep["questions"]:
        per_task.add_column(q)
    for t in rep["tasks"]:
        per_task.add_row(t["task_id"][:8], t["intent"], t["image"],
                         *(_cell(t["questions"][q]) for q in rep["questions"]))
    console.print(per_task)


# ------------------------------------------------------------------------------------------ commands

def choose_rows(rows: Sequence[Any], n: int, seed: int) -> list[Any]:
    """``n`` rows (all when fewer) with distinct requests, in a random order fixed by ``seed``."""
    seen: set[str] = set()
    unique = []
    for r in rows:
        if r.key not in seen:
            seen.add(r.key)
            unique.append(r)
    rng = random.Random(seed)
    return rng.sample(unique, min(n, len(unique)))


def assign_images(count: int, images: Sequence[str], seed: int) -> list[str]:
    """A sample image per task: the images in a seed-fixed order, repeated, so each is used about as often."""
    order = list(images)
    random.Random(f"images:{seed}").shuffle(order)
    return [order[i % len(order)] for i in range(count)]


def _image_names(values: list[str] | None) -> list[str]:
    from vibegrade.samples import SAMPLE_IMAGES

    if not values:
        return list(SAMPLE_IMAGES)
    names = [v.strip() for item in values for v in item.split(",") if v.strip()]
    if not names:
        raise ValueError("--images: give at least one sample name")
    unknown = [n for n in names if n not in SAMPLE_IMAGES]
    if unknown:
        raise ValueError(f"--images: unknown sample {unknown[0]!r}; choose from {', '.join(SAMPLE_IMAGES)}")
    return list(dict.fromkeys(names))


@app.command()
@friendly_errors
def prepare(
    data: Path = typer.Option(..., "--data",
                              help="Dataset in the vibes format (JSONL with the teacher's chains)."),
    n: int = typer.Option(50, "--n", min=1, max=100_000,
                          help="How many tasks (distinct requests) to sample."),
    model: Path | None = typer.Option(None, "--model",
                                         help="Student model folder (default: the shipped model)."),
    seed: int = typer.Option(0, "--seed", help="Fixes the sample of rows and the image of each task."),
    images: list[str] | None = typer.Option(None, "--images", help="Sample images to grade, "
                                               "comma-separated or repeated (default: all bundled samples)."),
    database_url: str | None = typer.Option(None, "--database-url", help=DATABASE_HELP),
) -> None:
    """Store reality-check tasks: requests from a dataset with the teacher's and a student's chains.

    Re-running with the same data, model and seed adds nothing new.
    """
    from vibegrade.data.events import EventStore, NewAnnotationTask
    from vibegrade.data.rows import read_rows
    from vibegrade.students import load_student

    names = _image_names(images)
    rows = read_rows([data])
    if not rows:
        raise ValueError(f"{data}: no rows")
    chosen = choose_rows(rows, n, seed)
    student = load_student(model)
    model_name = "default" if model is None else str(model.expanduser().resolve())
    predictions = []
    for start in range(0, len(chosen), PREDICT_BATCH):
        predictions += student.predict([r.intent for r in chosen[start:start + PREDICT_BATCH]])
    tasks = [NewAnnotationTask(intent=r.intent, teacher_tools=r.chain, student_tools=p,
                               student_model=model_name, image=img, dataset=data.name)
             for r, p, img in zip(chosen, predictions, assign_images(len(chosen), names, seed), strict=True)]
    store = EventStore(database_url)
    try:
        res = store.tasks.add(tasks)
        total = store.tasks.count()
    finally:
        store.close()
    typer.echo(f"{len(tasks)} tasks from {data} (model {model_name}, seed {seed}): {res.added} new, "
               f"{len(tasks) - res.added} already stored; {total} tasks in the store. "
               "Annotators open /annotate on the running service (vibegrade serve).")


@app.command()
@friendly_errors
def report(
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    min_votes: int = typer.Option(1, "--min-votes", min=1, help="Only count a task's question with at least "
                                  "this many answers."),
    database_url: str | None = typer.Option(None, "--database-url", help=DATABASE_HELP),
) -> None:
    """Majority answer per task and question, and per question: shares, annotators and raw agreement."""
    from vibegrade.data.events import EventStore

    store = EventStore(database_url)
    try:
        votes = store.annotations.votes()
    finally:
        store.close()
    rep = build_report(votes, min_votes=min_votes)
    if as_json:
        typer.echo(json.dumps(rep, indent=2, ensure_ascii=False))
    else:
        print_report(rep)


@app.command()
@friendly_errors
def invite(
    name: str = typer.Argument(..., help="The annotator's name (compared case-insensitively, after Unicode "
                                         "normalisation: 'Alice' and 'ａｌｉｃｅ' are the same person)."),
    rotate: bool = typer.Option(False, "--rotate",
                                help="The annotator exists: issue a new token (the old one "
                                                        "stops working)."),
    base_url: str = typer.Option("http://127.0.0.1:8000", "--base-url",
                                 help="The service's address, for the link printed."),
    database_url: str | None = typer.Option(None, "--database-url", help=DATABASE_HELP),
) -> None:
    """Give an annotator a personal token; prints their link to the /annotate page (shown once)."""
    from vibegrade.data.events import EventStore

    store = EventStore(database_url)
    try:
        key, token = store.annotators.add(name, rotate=rotate)
    finally:
        store.close()
    typer.echo(f"annotator {key!r}: {'new ' if rotate else ''}token {token}")
    typer.echo(f"link: {base_url.rstrip('/')}/annotate?token={token}")
    typer.echo("the token is shown only now (the store keeps its hash); send the link to the annotator only.",
               err=True)
