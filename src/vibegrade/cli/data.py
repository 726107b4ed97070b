"""``vibegrade data ...``: check, describe, review and split datasets in the vibes row format."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from vibegrade.cli.errors import friendly_errors

app = typer.Typer(help="Dataset tools: check, stats, sheet, split.", no_args_is_help=True)


@app.command()
@friendly_errors
def check(
    files: list[Path] = typer.Argument(..., help="JSONL files in the dataset row format."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    max_errors: int = typer.Option(50, "--max-errors", help="Errors listed in text mode."),
) -> None:
    """Schema, ranges, duplicate requests, usage rates and preset histogram. Exit code 1 on errors."""
    from vibegrade.data.check import check_files

    rep = check_files(files)
    if as_json:
        typer.echo(json.dumps(rep))
    else:
        typer.echo(f"rows {rep['rows']}, unique requests {rep['unique_intents']}")
        for tool, rate in rep["usage"].items():
            typer.echo(f"  {tool:17s} used in {rate:.1%}")
        typer.echo("  presets: " + ", ".join(f"{k} {v}" for k, v in rep["presets"].items()))
        typer.echo("  categories: " + ", ".join(f"{k} {v}" for k, v in rep["categories"].items()))
        for e in rep["errors"][:max_errors]:
            typer.echo(f"error: {e}", err=True)
        if len(rep["errors"]) > max_errors:
            typer.echo(f"... and {len(rep['errors']) - max_errors} more errors", err=True)
        typer.echo(f"{len(rep['errors'])} errors")
    if rep["errors"]:
        raise typer.Exit(1)


@app.command()
@friendly_errors
def stats(
    files: list[Path] = typer.Argument(..., help="JSONL files in the dataset row format."),
    plots: Path | None = typer.Option(None, "--plots", help="Folder for PNG plots."),
    as_json: bool = typer.Option(False, "--json", help="Print the statistics as JSON."),
) -> None:
    """Per-parameter range, mean and standard deviation; preset frequencies; optional PNG plots."""
    from vibegrade.data.rows import read_rows
    from vibegrade.data.stats import dataset_stats, write_plots

    rows = read_rows(files)
    st = dataset_stats(rows)
    if as_json:
        typer.echo(json.dumps(st))
    else:
        typer.echo(f"{st['rows']} rows")
        for tool in ("adjust", "selective_adjust"):
            typer.echo(f"{tool}:")
            for k, s in st[tool].items():
                if s.get("n"):
                    typer.echo(f"  {k:22s} [{s['min']:5.0f}, {s['max']:5.0f}] mean {s['mean']:7.2f} "
                               f"sd {s['std']:6.2f} nonzero {s['nonzero']:.0%}")
    if plots is not None:
        for p in write_plots(rows, plots):
            typer.echo(f"wrote {p}", err=True)


@app.command()
@friendly_errors
def sheet(
    file: Path = typer.Argument(..., help="A JSONL file in the dataset row format."),
    output: Path = typer.Option(..., "-o", "--output", help="Output PNG."),
    image: str = typer.Option("astronaut", "--image", help="Bundled sample name or an image path."),
    n: int = typer.Option(48, "--n", min=1, help="Number of rows to render."),
    start: int = typer.Option(0, "--start", min=0, help="First row."),
    cols: int = typer.Option(8, "--cols", min=1),
    tile: int = typer.Option(200, "--tile", min=32, max=1024, help="Tile size in pixels."),
) -> None:
    """Render requests on a sample image as a labelled grid, for review with your own eyes."""
    from vibegrade.data.rows import read_rows
    from vibegrade.data.sheet import contact_sheet
    from vibegrade.media.bitdepth import to_8bit
    from vibegrade.media.image import read_image
    from vibegrade.samples import SAMPLE_IMAGES

    rows = read_rows([file])[start:start + n]
    if not rows:
        raise ValueError(f"{file}: no rows in range {start}..{start + n}")
    src = SAMPLE_IMAGES.get(image) or Path(image)
    img = to_8bit(read_image(src).rgb)
    contact_sheet(rows, img, output, cols=cols, tile=tile)
    typer.echo(f"wrote {output} ({len(rows)} requests)", err=True)


@app.command()
@friendly_errors
def split(
    files: list[Path] = typer.Argument(..., help="JSONL files in the dataset row format."),
    out_dir: Path = typer.Option(..., "-o", "--out-dir", help="Folder for train.jsonl and test.jsonl."),
    test_fraction: float = typer.Option(0.15, "--test-fraction", min=0.01, max=0.9),
    min_test: int = typer.Option(450, "--min-test", min=1),
    seed: int = typer.Option(13, "--seed"),
    phrasing_fraction: float = typer.Option(0.12, "--phrasing-fraction", min=0.0, max=0.9,
                                            help="Share of training concepts that lend one wording to "
                                                 "phrasing.jsonl."),
) -> None:
    """A fixed, seeded split by concept: train.jsonl, test.jsonl (unseen concepts) and phrasing.jsonl
    (new wordings of training concepts). Rows without a concept are grouped by identical settings."""
    from vibegrade.data.rows import read_rows, write_rows
    from vibegrade.data.split import split_by_concept

    rows = read_rows(files)
    sp = split_by_concept(rows, test_fraction=test_fraction, phrasing_fraction=phrasing_fraction, seed=seed,
                          min_test=min_test)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_rows(out_dir / "train.jsonl", sp.train)
    write_rows(out_dir / "test.jsonl", sp.test)
    write_rows(out_dir / "phrasing.jsonl", sp.phrasing)
    typer.echo(
        f"train {len(sp.train)}, test {len(sp.test)}, phrasing {len(sp.phrasing)} -> {out_dir}", err=True)


from vibegrade.cli.events import from_events_command  # noqa: E402

app.command("from-events")(from_events_command)
