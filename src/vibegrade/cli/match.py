"""``vibegrade match``: give a photo the colour and tone of a reference photo, as an editable chain."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from vibegrade.cli.app import resolve_input
from vibegrade.cli.errors import friendly_errors

__all__ = ["match"]


@friendly_errors
def match(
    input: Path = typer.Argument(..., help="The photo to grade (JPEG, PNG, WebP, TIFF); 'sample:NAME' for a "
                                           "bundled sample photo."),
    reference: Path = typer.Argument(
        ..., help="The photo whose look to take on (JPEG, PNG, WebP, TIFF); 'sample:NAME' for a bundled "
                  "one."),
    output: Path = typer.Argument(..., help="The graded image (format from the extension)."),
    tools_out: Path | None = typer.Option(None, "--tools-out",
                                          help="Also write the fitted chain here (JSON; use it with "
                                               "`vibegrade render --tools`)."),
    filters: bool = typer.Option(True, "--filters/--no-filters",
                                 help="Try the filter presets as candidates (or fit the sliders only)."),
    quality: int = typer.Option(95, "--quality", min=1, max=100, help="JPEG/WebP quality."),
    show_tools: bool = typer.Option(True, "--show-tools/--quiet", help="Print the fitted chain."),
) -> None:
    """Fit the tool chain that gives INPUT the colour and tone of REFERENCE, and write the graded image.

    The chain's sliders (and maybe a filter preset) are fitted to colour statistics of the two photos; it is
    printed, and with --tools-out written, to edit and reuse (docs/match.md).
    """
    from vibegrade.api import match_fit
    from vibegrade.files import atomic_write_text
    from vibegrade.media.image import is_image_path
    from vibegrade.media.pipeline import render_file
    from vibegrade.media.video import is_video_path

    src, ref = resolve_input(input), resolve_input(reference)
    for what, path in (("INPUT", src), ("REFERENCE", ref)):
        if is_video_path(path):
            raise ValueError(f"{what} {path}: match works on images; for a video, match a still frame and "
                             "render the video with `vibegrade render --tools`")
        if not path.is_file():
            raise ValueError(f"{what} {path}: no such file" if not path.exists()
                             else f"{what} {path}: not a file")
    if not is_image_path(output):
        raise ValueError(f"OUTPUT {output}: unsupported output type {output.suffix or '(none)'}; "
                         "use .jpg, .png, .webp or .tif")
    if output.resolve() == src.resolve():
        raise ValueError(f"OUTPUT {output}: would overwrite the input; choose another path")
    for target in (output, tools_out):
        if target is not None and not target.parent.is_dir():
            raise ValueError(f"{target}: folder {target.parent} does not exist")
    if tools_out is not None and tools_out.is_dir():
        raise ValueError(f"--tools-out {tools_out}: is a folder, not a file")

    res = match_fit(src, ref, filters=filters)
    text = json.dumps(res.chain.to_wire())
    if show_tools:
        typer.echo(text)
    rep = res.report()
    before, after = rep["before"], rep["after"]
    typer.echo(f"fit in {rep['seconds']:.1f} s ({rep['filters_tried']} filter presets tried): band dE00 "
               f"{before['bands_de00']:.2f} -> {after['bands_de00']:.2f}, W1 L* {before['w1_lightness']:.2f} "
               f"-> {after['w1_lightness']:.2f}, W1 a*b* {before['w1_ab']:.2f} -> {after['w1_ab']:.2f}",
               err=True)
    if tools_out is not None:
        atomic_write_text(tools_out, json.dumps(res.chain.to_wire(), indent=2) + "\n")
        typer.echo(f"wrote {tools_out}", err=True)
    out = render_file(src, output, res.chain, kind="image", quality=quality)
    typer.echo(f"wrote {out.output} ({out.width}x{out.height})", err=True)
