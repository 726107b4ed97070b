"""The ``vibegrade`` command line.

Every command validates its inputs at the edge and reports problems as one line on stderr with a
non-zero exit code (2 for bad input), never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from vibegrade.cli.app import INPUT_HELP, TOOLS_HELP, app, bench_app, load_chain_arg, resolve_input
from vibegrade.cli.errors import fail, friendly_errors

__all__ = ["app"]


@app.command()
@friendly_errors
def render(
    input: Path = typer.Argument(..., help=INPUT_HELP),
    output: Path = typer.Argument(..., help="Output path; the format follows the extension."),
    tools: str = typer.Option(..., "--tools", "-t", help=TOOLS_HELP),
    lut_size: int = typer.Option(33, "--lut-size", min=2, max=65, help="Grid size of the baked 3D LUT."),
    quality: int = typer.Option(95, "--quality", min=1, max=100, help="JPEG/WebP quality."),
    max_pixels: int | None = typer.Option(None, "--max-pixels", help="Reject larger images (bomb guard)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bar for videos."),
) -> None:
    """Render a tool chain on an image or a video."""
    from vibegrade.media.pipeline import render_file

    chain = load_chain_arg(tools)
    res = render_file(resolve_input(input), output, chain, lut_size=lut_size, quality=quality,
                      max_pixels=max_pixels,
                      progress=progress and sys.stderr.isatty())
    extra = f", {res.frames} frames" if res.kind == "video" else ""
    typer.echo(f"wrote {res.output} ({res.width}x{res.height}{extra})", err=True)


presets_app = typer.Typer(help="Filter presets: list them, import your own LUTs.", no_args_is_help=False)
app.add_typer(presets_app, name="presets")


@presets_app.callback(invoke_without_command=True)
@friendly_errors
def presets(ctx: typer.Context,
            paths: bool = typer.Option(False, "--paths",
                                       help="Also print each preset's .cube path.")) -> None:
    """List the filter presets (bundled and user presets), one per line."""
    if ctx.invoked_subcommand is not None:
        return
    from vibegrade.tools.filters import preset_names, preset_paths

    table = preset_paths()
    for name in preset_names():
        typer.echo(f"{name}\t{table[name]}" if paths else name)


@presets_app.command("import")
@friendly_errors
def presets_import(
    file: Path = typer.Argument(..., help="A .cube, .3dl or HaldCLUT .png 3D LUT."),
    name: str | None = typer.Option(None, "--name",
                                    help="Preset name (default: the file name without extension)."),
    force: bool = typer.Option(False, "--force",
                               help="Replace a user preset of that name, or override a bundled one."),
) -> None:
    """Install your own 3D LUT as a filter preset (validated, converted to .cube, written atomically)."""
    from vibegrade.tools.formats import install_preset

    dest = install_preset(file, name, force=force)
    typer.echo(f"installed {dest.stem!r} as {dest}; use it as "
               f'{{"filter": {{"name": "{dest.stem}", "intensity": 100}}}}', err=True)


@app.command("export-lut")
@friendly_errors
def export_lut(
    output: Path = typer.Argument(
        ..., help="Output file: .cube, .3dl, .png (HaldCLUT) or .xmp (Lightroom preset)."),
    tools: str = typer.Option(..., "--tools", "-t", help=TOOLS_HELP),
    size: int | None = typer.Option(None, "--size", min=2, max=129,
                                       help="LUT grid size: .cube default 33, .3dl default 17 (ffmpeg reads "
                                            "17 only)."),
    title: str | None = typer.Option(None, "--title",
                                     help="TITLE written into the .cube (preset name in .xmp)."),
    fmt: str | None = typer.Option(None, "--format",
                                   help="cube, 3dl, hald or xmp (default: from the extension)."),
    level: int = typer.Option(8, "--level", min=2, max=16,
                              help="HaldCLUT level L: L^3 x L^3 pixels, L^2 grid points."),
    bits: int | None = typer.Option(None, "--bits", help="HaldCLUT PNG depth 8 or 16 (default 16); "
                                                            ".3dl output codes 10, 12 (default) or 16 bits."),
) -> None:
    """Write the colour part of a chain as a 3D LUT (.cube, .3dl, HaldCLUT PNG) or as a Lightroom/Camera Raw
    XMP preset of its parametric part."""
    from vibegrade.tools.chain import bake_lut
    from vibegrade.tools.formats import format_from_suffix
    from vibegrade.tools.lut import write_cube

    suffix_fmt = format_from_suffix(output)
    if fmt is None:
        if suffix_fmt is None:
            raise ValueError(
                f"{output}: the output must end in .cube, .3dl, .png (HaldCLUT) or .xmp, or give --format")
        fmt = suffix_fmt
    fmt = fmt.lower()
    expected = {"cube": ".cube", "3dl": ".3dl", "hald": ".png", "xmp": ".xmp"}
    if fmt not in expected:
        raise ValueError(f"--format {fmt!r}: choose cube, 3dl, hald or xmp")
    if output.suffix.lower() != expected[fmt]:
        raise ValueError(f"{output}: --format {fmt} writes a {expected[fmt]} file")
    if bits is not None and (fmt == "hald" and bits not in (8, 16) or fmt == "3dl"
                             and bits not in (10, 12, 16)
                             or fmt in ("cube", "xmp")):
        raise ValueError(f"--bits {bits} does not apply to --format {fmt} (hald: 8 or 16; 3dl: 10, 12 or 16)")
    if size is not None and fmt in ("hald", "xmp"):
        raise ValueError(f"--size does not apply to --format {fmt}"
                         + (" (use --level)" if fmt == "hald" else ""))
    chain = load_chain_arg(tools)
    if chain.regional_used:
        regions = ", ".join(e.region for e in chain.regional if e.used)
        typer.echo(f"note: regional edits ({regions}) follow the picture and cannot live in a LUT or a "
                   "preset; they were left out", err=True)
        chain = chain.without_regional()
    if fmt == "xmp":
        from vibegrade.tools.formats.xmp import write_xmp

        left_out = write_xmp(output, chain, name=title or output.stem)
        for item in left_out:
            typer.echo(f"note: not in the preset: {item}", err=True)
        typer.echo(f"wrote {output} (Camera Raw preset, parametric part)", err=True)
        return
    if chain.adjust.spatial_used:
        typer.echo(
            "note: bloom, sharpen and structure cannot be expressed in a LUT and were left out", err=True)
    if fmt == "hald":
        from vibegrade.tools.formats.hald import write_hald

        write_hald(output, bake_lut(chain, level * level), bits or 16)
        typer.echo(
            f"wrote {output} (HaldCLUT level {level}, {level**3}x{level**3}, {bits or 16}-bit)", err=True)
        return
    if fmt == "3dl":
        from vibegrade.tools.formats.threedl import write_3dl

        n = size or 17
        write_3dl(output, bake_lut(chain, n), bits or 12)
        typer.echo(f"wrote {output} ({n}^3, {bits or 12}-bit)", err=True)
        return
    n = size or 33
    lut = bake_lut(chain, n)
    note = "exported by vibegrade; per-pixel colour work only"
    if chain.adjust.spatial_used:
        note += " (bloom, sharpen and structure are spatial and not part of a LUT)"
    write_cube(output, lut, title=title or output.stem, comment=note)
    typer.echo(f"wrote {output} ({n}^3)", err=True)


@app.command("import-xmp")
@friendly_errors
def import_xmp(
    file: Path = typer.Argument(..., help="A Lightroom / Camera Raw preset (or sidecar) .xmp file."),
    output: Path | None = typer.Option(None, "--output", "-o",
                                       help="Write the chain here (default: stdout)."),
) -> None:
    """Turn a Lightroom / Camera Raw XMP preset into a tool chain (the settings that map; the rest is
    listed)."""
    from vibegrade.tools.formats.xmp import read_xmp

    if not file.exists():
        raise FileNotFoundError(f"no such file: {file}")
    res = read_xmp(file)
    text = json.dumps(res.chain.to_wire(), indent=2) + "\n"
    for note in res.notes:
        typer.echo(f"note: {note}", err=True)
    if res.ignored:
        typer.echo(f"ignored (no vibegrade equivalent): {', '.join(res.ignored)}", err=True)
    if output is None:
        typer.echo(text, nl=False)
        return
    from vibegrade.files import atomic_write_text

    atomic_write_text(output, text)
    typer.echo(f"wrote {output}", err=True)


@app.command()
@friendly_errors
def schema(presets_enum: bool = typer.Option(True, "--enum/--no-enum",
                                             help="List preset names as an enum.")) -> None:
    """Print the JSON Schema of a tool chain."""
    from vibegrade.schema import chain_json_schema
    from vibegrade.tools.filters import preset_names

    typer.echo(json.dumps(chain_json_schema(preset_names() if presets_enum else None), indent=2))


@app.command()
@friendly_errors
def demo(
    output: Path = typer.Option(Path("out/demo.jpg"), "--output", "-o", help="Graded image."),
    sample: str = typer.Option("astronaut", "--sample", help="Bundled sample image name."),
    look: str = typer.Option("golden_hour", "--look", help="Bundled example look (a tool chain file)."),
    compare: Path | None = typer.Option(None, "--compare", help="Also write a before/after image here."),
) -> None:
    """The main job on embedded defaults: grade a bundled sample with a bundled example look."""
    from vibegrade.media.pipeline import before_after, render_file
    from vibegrade.samples import example_look, sample_path

    src = sample_path(sample)
    look_path = example_look(look)
    if not look_path.exists():
        raise ValueError(f"unknown example look {look!r}")
    chain = load_chain_arg(str(look_path))
    output.parent.mkdir(parents=True, exist_ok=True)
    render_file(src, output, chain)
    typer.echo(f"graded {src.name} with look {look!r}: {output}")
    typer.echo(chain.to_json())
    if compare is not None:
        compare.parent.mkdir(parents=True, exist_ok=True)
        before_after(src, output, compare)
        typer.echo(f"before/after: {compare}")


@bench_app.command("render")
@friendly_errors
def bench_render(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    repeats: int = typer.Option(10, "--repeats", min=1, help="Timed repetitions per figure (median)."),
    video_seconds: float = typer.Option(3.0, "--video-seconds", min=0.5,
                                        help="Length of the generated clip."),
    skip_video: bool = typer.Option(False, "--skip-video", help="Only the still-image figures."),
) -> None:
    """Render speed on a 1080p frame and a 1080p clip, against Pillow and ffmpeg in the same run."""
    from vibegrade.media.bench import bench_render as run

    res = run(repeats=repeats, video_seconds=None if skip_video else video_seconds)
    if as_json:
        typer.echo(json.dumps(res))
    else:
        for k, v in res.items():
            typer.echo(f"{k:32s} {v}")


@bench_app.command("serve")
@friendly_errors
def bench_serve(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    requests: int = typer.Option(200, "--requests", min=10, help="/v1/predict calls per measurement."),
    edit_requests: int = typer.Option(40, "--edit-requests", min=5, help="/v1/edit calls per measurement."),
    concurrency: str = typer.Option("1,2,4,8", "--concurrency",
                                    help="Numbers of concurrent clients, e.g. 1,2,4,8."),
    blas_threads: int = typer.Option(1, "--blas-threads", min=1,
                                     help="BLAS threads for both the service and the in-process baseline."),
) -> None:
    """The HTTP service on loopback: predict and 1080p edit latency, throughput, in-process baseline."""
    from vibegrade.runtime import limit_blas_threads

    limit_blas_threads(blas_threads, override=True)
    from vibegrade.serve.bench import bench_serve as run
    from vibegrade.serve.bench import format_table, parse_concurrency

    levels = parse_concurrency(concurrency)
    try:
        res = run(requests=requests, edit_requests=edit_requests, concurrency=levels,
                  progress=None if as_json else lambda msg: typer.echo(f"... {msg}", err=True))
    except RuntimeError as e:  # the service did not start or answered with an error
        fail(f"bench serve: {e}", code=1)
        return
    typer.echo(json.dumps(res) if as_json else format_table(res))


def _register_subcommands() -> None:
    # Imported here, after this module's own commands, so that `vibegrade --help` lists the commands in this
    # order; none of these modules imports this one.
    import vibegrade.cli.students  # noqa: F401  (registers train, predict, edit, eval, bench predict)
    from vibegrade.cli.ab import app as ab_app
    from vibegrade.cli.agent import agent  # (also registers bench agent)
    from vibegrade.cli.annotate import app as annotate_app
    from vibegrade.cli.data import app as data_app
    from vibegrade.cli.match import match
    from vibegrade.cli.serve import serve
    from vibegrade.cli.teacher import app as teacher_app
    from vibegrade.cli.worker import worker

    app.command("match")(match)
    app.command("agent")(agent)
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.add_typer(data_app, name="data")
    app.add_typer(teacher_app, name="teacher")
    app.add_typer(ab_app, name="ab")
    app.add_typer(annotate_app, name="annotate")


_register_subcommands()

if __name__ == "__main__":
    app()
