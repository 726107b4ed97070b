"""Student commands: ``train``, ``predict``, ``edit``, ``eval`` and ``bench predict``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from vibegrade.cli.app import INPUT_HELP, app, bench_app, resolve_input
from vibegrade.cli.errors import friendly_errors

if TYPE_CHECKING:
    from vibegrade.evaluation.report import Predictor
    from vibegrade.schema import ToolChain

DEFAULT_TRAIN = Path("data/vibes/split/train.jsonl")
MODEL_HELP = "Model folder (default: the shipped model)."


def _load(model: Path | None):
    from vibegrade.api import load_model

    return load_model(model)


@app.command()
@friendly_errors
def predict(
    intent: str | None = typer.Argument(None, help="A look request, e.g. 'golden hour'."),
    file: Path | None = typer.Option(None, "--file", "-f",
                                     help="One request per line; one JSON line out each."),
    model: Path | None = typer.Option(None, "--model", "-m", help=MODEL_HELP),
    cascade: float | None = typer.Option(None, "--cascade", min=-1.0, max=1.0,
                                            help="Teacher cascade (off by default): requests whose student "
                                                 "confidence is below this go to the teacher configured by "
                                                 "VIBEGRADE_TEACHER_* (docs/teacher.md); answers are "
                                                 "remembered."),
    cascade_memory: Path = typer.Option(Path("vibegrade_cascade.jsonl"), "--cascade-memory",
                                        help="File of remembered teacher answers (JSON lines)."),
) -> None:
    """Print the tool chain for a request as JSON (or one line per request with --file)."""
    from vibegrade.api import predict as predict_chain
    from vibegrade.data.rows import clean_intent

    if (intent is None) == (file is None):
        raise ValueError("give either a request or --file")
    student = _load(model)
    if cascade is not None:
        from vibegrade.llm.config import ConfigError, resolve_config
        from vibegrade.students.cascade import CascadeStudent

        try:
            cfg = resolve_config()
        except ConfigError as e:
            raise ValueError(f"--cascade needs a teacher: {e}") from None
        student = CascadeStudent(student, cfg, cascade, cascade_memory)
    if intent is not None:
        typer.echo(predict_chain(intent, model=student).to_json())
        return
    assert file is not None
    if not file.is_file():
        raise ValueError(f"{file}: no such file")
    lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
    # every input line gets an output line (same order); bad lines get an error object and a warning
    good = {}
    for i, line in enumerate(lines):
        try:
            good[i] = clean_intent(line)
        except ValueError as e:
            typer.echo(f"warning: line {i + 1}: {e}", err=True)
    preds = dict(zip(good, student.predict(list(good.values()))))
    for i in range(len(lines)):
        if i in preds:
            typer.echo(preds[i].to_json())
        else:
            typer.echo(json.dumps({"error": "invalid request", "line": i + 1}))


@app.command()
@friendly_errors
def edit(
    input: Path = typer.Argument(..., help=INPUT_HELP),
    output: Path = typer.Argument(..., help="Output path (format from the extension); a folder when INPUT "
                                            "is a folder."),
    intent: str = typer.Argument(..., help="The look you want, e.g. 'golden hour'."),
    model: Path | None = typer.Option(None, "--model", "-m", help=MODEL_HELP),
    show_tools: bool = typer.Option(True, "--show-tools/--quiet", help="Print the chosen tool chain."),
    compare: Path | None = typer.Option(None, "--compare", help="Also write a before/after image (images)."),
    then: list[str] | None = typer.Option(
        None, "--then", help="A follow-up that refines the look, e.g. --then 'less orange' --then 'more "
                             "contrast' (also 'undo', 'redo', 'start over'); repeat for several turns."),
    refiner: Path | None = typer.Option(None, "--refiner",
                                        help="Refinement model folder (default: the shipped one)."),
    recursive: bool = typer.Option(False, "--recursive", "-r",
                                   help="Folder input: also grade its sub-folders (mirrored in OUTPUT)."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", min=1,
                                    help="Folder input: worker processes (default: one per CPU)."),
    out_format: str | None = typer.Option(None, "--format",
                                          help="Folder input: write every image as jpg, png or tif (default: "
                                               "keep each extension; HEIC/HEIF -> .jpg, RAW -> .tif)."),
) -> None:
    """Grade an image or a video from a look request (student -> tool chain -> render), optionally refined
    by follow-ups (--then).

    With a folder as INPUT, every image in it is graded with the one predicted (and refined) look into the
    folder OUTPUT, in parallel, with a summary at the end (exit code 2 if any image failed).
    """
    if input.is_dir() or recursive or jobs is not None or out_format is not None:  # a folder: cli/batch.py
        from vibegrade.cli.batch import edit_folder

        turns = list(then or [])
        edit_folder(input, output, intent, model=model, show_tools=show_tools, compare=compare,
                    recursive=recursive, jobs=jobs, out_format=out_format,
                    refine=(lambda c: _refine_turns(c, intent, turns, refiner, False)) if turns else None)
        return
    from vibegrade.api import predict as predict_chain
    from vibegrade.media.pipeline import before_after, render_file

    chain = predict_chain(intent, model=model)
    if then:
        chain = _refine_turns(chain, intent, then, refiner, show_tools)
    elif show_tools:
        typer.echo(chain.to_json())
    src = resolve_input(input)
    res = render_file(src, output, chain, progress=sys.stderr.isatty())
    typer.echo(f"wrote {res.output} ({res.width}x{res.height})", err=True)
    if compare is not None and res.kind == "image":
        before_after(src, output, compare)
        typer.echo(f"before/after: {compare}", err=True)



def _refine_turns(chain: ToolChain, intent: str, turns: list[str], refiner_path: Path | None,
                  show_tools: bool) -> ToolChain:
    """Apply the follow-ups in order on a history started with ``chain``; print one line per turn."""
    from vibegrade.api import load_model
    from vibegrade.data.rows import clean_intent
    from vibegrade.students.conversation import History, changes
    from vibegrade.students.refine import apply, load_refiner

    requests = [clean_intent(t) for t in turns]  # empty / too long follow-ups fail here, before any work
    refiner = load_refiner(refiner_path, student=load_model(None) if refiner_path is None else None)
    history = History.start(chain, intent)
    for n, text in enumerate(requests, start=1):
        before = history.current
        r = refiner.refine(before, text)
        if not apply(history, r):
            what = f"nothing to {r.op}"
        else:
            what = ", ".join(changes(before, history.current)) or "no change"
        typer.echo(f"[{n}] {text!r} -> {r.op}: {what}", err=True)
    if show_tools:
        typer.echo(history.current.to_json())
    return history.current


@app.command()
@friendly_errors
def train(
    data: list[Path] = typer.Option(..., "--data", "-d",
                                    help="Training JSONL file(s) in the dataset format."),
    output: Path = typer.Option(..., "--output", "-o", help="Model folder to write."),
    student: str = typer.Option("encoder", "--student", help="encoder | seq2seq | causal"),
    epochs: int | None = typer.Option(None, "--epochs", min=1),
    base_model: str | None = typer.Option(None, "--base-model", help="Encoder / base model id or path."),
    config: Path | None = typer.Option(None, "--config", help="JSON file with training config fields."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Train a student on dataset rows, with a progress bar."""
    import importlib.util

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from vibegrade.data.rows import read_rows

    missing = [m for m in ("torch", "transformers", "peft") if importlib.util.find_spec(m) is None]
    if missing:
        raise ValueError(f"training needs {', '.join(missing)}: install them with `bash scripts/setup.sh "
                         "--train` "
                         "(or pip install 'vibegrade[train]' after pip install torch==2.13.0)")
    rows = read_rows(data)
    overrides = json.loads(config.read_text()) if config else {}
    overrides["seed"] = seed
    if epochs:
        overrides["epochs"] = epochs
    train: Callable[..., dict[str, Any]]  # the chosen student's trainer, its configuration bound
    if student == "encoder":
        from vibegrade.students.encoder_training import EncoderTrainConfig, train_encoder_student

        if base_model:
            overrides["encoder"] = base_model
        train = partial(train_encoder_student, cfg=EncoderTrainConfig(**overrides))
    elif student in ("seq2seq", "causal"):
        from vibegrade.students.generative import GenerativeTrainConfig, train_generative_student

        overrides["family"] = student
        if base_model:
            overrides["base_model"] = base_model
        train = partial(train_generative_student, cfg=GenerativeTrainConfig(**overrides))
    else:
        raise ValueError(f"unknown student {student!r}: choose encoder, seq2seq or causal")

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[info]}"),
                  TimeElapsedColumn(), TimeRemainingColumn(), transient=False) as bar:
        task = bar.add_task(f"training {student}", total=None, info="")

        def progress(ev: dict) -> None:
            if "step" in ev:
                bar.update(task, total=ev["steps"] * ev["epochs"],
                           completed=(ev["epoch"] - 1) * ev["steps"] + ev["step"],
                           info=f"epoch {ev['epoch']}/{ev['epochs']} loss {ev['loss']:.3f}")
            elif "dev_overall" in ev:
                bar.console.print(f"epoch {ev['epoch']}: train loss {ev['train_loss']:.4f}, "
                                  f"dev overall {ev['dev_overall']:.4f}")

        summary = train(rows, output, progress=progress)
    typer.echo(json.dumps({"output": str(output), "best_epoch": summary.get("best_epoch"),
                           "train_seconds": summary.get("train_seconds")}))


@app.command("eval")
@friendly_errors
def eval_cmd(
    data: list[Path] = typer.Option(..., "--data", "-d", help="Test JSONL file(s)."),
    model: Path | None = typer.Option(None, "--model", "-m", help=MODEL_HELP),
    train_data: list[Path] | None = typer.Option(None, "--train", help="Training rows for the baselines "
                                                     "(default: data/vibes/split/train.jsonl if present)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    perceptual: bool = typer.Option(True, "--perceptual/--no-perceptual",
                                    help="Render-based CIEDE2000 view."),
    baselines: bool = typer.Option(True, "--baselines/--no-baselines"),
) -> None:
    """Offline scores of a student (and the baselines) on test rows."""
    from vibegrade.data.rows import read_rows
    from vibegrade.evaluation.report import evaluate_student

    rows = read_rows(data)
    student = _load(model)
    bl: dict[str, Predictor] = {}
    if baselines:
        paths = list(train_data or ([DEFAULT_TRAIN] if DEFAULT_TRAIN.is_file() else []))
        if paths:
            from vibegrade.students.baselines import MajorityStudent, NearestNeighbourStudent

            train_rows = read_rows(paths)
            bl = {"nearest_neighbour": NearestNeighbourStudent(train_rows),
                  "majority": MajorityStudent.fit(train_rows)}
        else:
            typer.echo("note: no training rows for the baselines (use --train)", err=True)
    rep = evaluate_student(student, rows, baselines=bl, perceptual=perceptual)
    if as_json:
        typer.echo(json.dumps(rep))
        return
    _print_report("student", rep)
    for name, b in rep["baselines"].items():
        _print_report(name, b)


@app.command("behaviour")
@friendly_errors
def behaviour_cmd(
    model: Path | None = typer.Option(None, "--model", "-m", help=MODEL_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (with every failure)."),
    show: int = typer.Option(10, "--show", min=0, help="Failures to print."),
) -> None:
    """Behaviour tests (CheckList-style): minimum functionality, invariance to wording, size order."""
    from vibegrade.evaluation.behaviour import run_suite

    rep = run_suite(_load(model).predict)
    if as_json:
        typer.echo(json.dumps(rep))
        return
    typer.echo(f"behaviour: {rep['passed']}/{rep['n']} passed ({rep['pass_rate']:.1%})")
    for cap, c in sorted(rep["capabilities"].items()):
        typer.echo(f"  {c['kind']:3s} {cap:16s} {c['passed']:4d}/{c['n']:<4d} {c['pass_rate']:.1%}")
    for f in rep["failures"][:show]:
        typer.echo(f"  FAIL {f['capability']}: {' | '.join(f['requests'])} (expected {f['expect']})")


def _print_report(name: str, rep: dict) -> None:
    typer.echo(f"{name}: n={rep['n']} overall={rep['overall']:.3f}")
    for tool, s in rep["tools"].items():
        typer.echo(f"  {tool:17s} P={s['precision']:.3f} R={s['recall']:.3f} F1={s['selection_f1']:.3f} "
                   f"quality={s['quality']:.3f} final={s['final']:.3f}")
    if "perceptual" in rep:
        typer.echo(f"  perceptual: mean dE00={rep['perceptual']['mean_delta_e']}")
    for sub, s in rep.get("subsets", {}).items():
        typer.echo(f"  {sub}: n={s['n']} overall={s['overall']:.3f}")


@bench_app.command("predict")
@friendly_errors
def bench_predict(
    model: Path | None = typer.Option(None, "--model", "-m", help=MODEL_HELP),
    as_json: bool = typer.Option(False, "--json"),
    requests: int = typer.Option(300, "--requests", min=10, help="Single-request calls to time."),
    batch: int = typer.Option(256, "--batch", min=1, help="Batch size for the throughput figure."),
) -> None:
    """Latency (p50/p95, one request, all tools) and batched throughput of a student."""
    from vibegrade.students.bench import bench_student

    res = bench_student(_load(model), n=requests, batch=batch)
    if as_json:
        typer.echo(json.dumps(res))
    else:
        for k, v in res.items():
            typer.echo(f"{k:20s} {v}")


@app.command()
@friendly_errors
def augment(
    data: list[Path] = typer.Option(..., "--data", "-d", help="Training rows (JSONL)."),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the new rows (JSONL)."),
    model: Path | None = typer.Option(None, "--model", "-m", help="Student whose mistakes drive the round."),
    generator: str = typer.Option("offline", "--generator", help="offline | llm"),
    sample: int = typer.Option(1000, "--sample", min=1, help="Training requests to check for mistakes."),
    per_request: int = typer.Option(3, "--per-request", min=1, max=20, help="Similar requests per mistake."),
    seed: int = typer.Option(0, "--seed"),
    retrain: Path | None = typer.Option(None, "--retrain", help="Also train an encoder student on "
                                           "training + new rows into this folder."),
    base_url: str | None = typer.Option(None, "--base-url", help="LLM generator: OpenAI-compatible URL."),
    llm_model: str | None = typer.Option(None, "--llm-model", help="LLM generator: model name."),
    api_key: str | None = typer.Option(None, "--api-key", help="LLM generator: API key."),
) -> None:
    """One augmentation round: find the student's mistakes, add similar requests with the teacher's
    answers."""
    from vibegrade.data.rows import read_rows, write_rows
    from vibegrade.students.augment import LLMParaphraser, OfflineParaphraser, Paraphraser, augment_rows

    rows = read_rows(data)
    student = _load(model)
    gen: Paraphraser
    if generator == "offline":
        gen = OfflineParaphraser(seed)
    elif generator == "llm":
        from vibegrade.llm.config import resolve_config

        gen = LLMParaphraser(resolve_config(base_url=base_url, model=llm_model, api_key=api_key))
    else:
        raise ValueError(f"unknown generator {generator!r}: choose offline or llm")
    new, stats = augment_rows(student, rows, gen, sample=sample, per_request=per_request, seed=seed)
    write_rows(output, new)
    typer.echo(json.dumps(stats))
    if retrain is not None:
        from vibegrade.students.encoder_training import EncoderTrainConfig, train_encoder_student

        summary = train_encoder_student(rows + new, retrain, EncoderTrainConfig(seed=seed))
        typer.echo(json.dumps({"retrained": str(retrain), "best_epoch": summary["best_epoch"]}))


@app.command()
@friendly_errors
def judge(
    a: Path = typer.Option(..., "--a", help="Model folder A."),
    b: Path = typer.Option(..., "--b", help="Model folder B."),
    data: list[Path] = typer.Option(..., "--data", "-d",
                                    help="Requests (dataset JSONL, or a text file with one "
                                    "request per line)."),
    images: Path = typer.Option(..., "--images", help="Folder of photos to render the looks on."),
    n: int = typer.Option(50, "--n", min=1, help="Requests to judge (first N)."),
    max_images: int = typer.Option(2, "--max-images", min=1, help="Photos per request."),
    base_url: str | None = typer.Option(None, "--base-url", help="OpenAI-compatible URL of a vision model."),
    judge_model: str | None = typer.Option(None, "--model", help="Vision model name."),
    api_key: str | None = typer.Option(None, "--api-key"),
    seed: int = typer.Option(0, "--seed", help="Seed for the order in which the two results are shown."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Ask a vision model which student's look better matches each request; count wins."""
    from vibegrade.data.rows import clean_intent, read_rows
    from vibegrade.evaluation.judge import load_images, run_judge
    from vibegrade.llm.config import resolve_config

    intents: list[str] = []
    for p in data:
        if p.suffix == ".jsonl":
            intents += [r.intent for r in read_rows([p])]
        else:
            intents += [clean_intent(x) for x in p.read_text(encoding="utf-8").splitlines() if x.strip()]
    intents = intents[:n]
    cfg = resolve_config(base_url=base_url, model=judge_model, api_key=api_key)
    res = run_judge(cfg, _load(a), _load(b), intents, load_images(images, max_images),
                    names=(str(a), str(b)), seed=seed).to_dict()
    if as_json:
        typer.echo(json.dumps(res))
    else:
        w = res["wins"]
        typer.echo(f"A {res['a']}: {w['a']} wins, B {res['b']}: {w['b']} wins, ties {w['tie']}, "
                   f"unparsed {w['invalid']} (of {res['comparisons']})")
