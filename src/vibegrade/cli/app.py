"""The root ``vibegrade`` Typer apps and the input helpers shared by the command modules.

The command modules (:mod:`vibegrade.cli.main`, :mod:`vibegrade.cli.students`) register their commands on
:data:`app` and :data:`bench_app`; :mod:`vibegrade.cli.main` imports them all, so nothing imports the main
module back.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from vibegrade.schema import ToolChain

__all__ = ["app", "bench_app", "load_chain_arg", "resolve_input", "INPUT_HELP", "TOOLS_HELP"]

app = typer.Typer(
    name="vibegrade",
    help="Say the look you want, get your photo or video colour-graded.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
bench_app = typer.Typer(help="Benchmarks that print figures (JSON with --json).", no_args_is_help=True)


@app.callback()
def _application() -> None:
    """Say the look you want, get your photo or video colour-graded."""
    from vibegrade.runtime import tune_allocator

    tune_allocator()


app.add_typer(bench_app, name="bench")


def load_chain_arg(value: str) -> ToolChain:
    """CHAIN = a path to a JSON file or an inline JSON object."""
    from vibegrade.schema import parse_chain
    from vibegrade.tools.filters import preset_names

    text = value.strip()
    if not text.startswith("{"):
        p = Path(value)
        if not p.exists():
            raise ValueError(f"--tools: {value!r} is neither an existing JSON file nor an inline JSON object")
        if p.is_dir():
            raise ValueError(f"--tools: {value} is a folder, not a JSON file")
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"--tools: {value} is not a UTF-8 text file") from None
    return parse_chain(text, presets=preset_names())


TOOLS_HELP = "Tool chain: a JSON file path or an inline JSON string."
INPUT_HELP = ("Input image (JPEG, PNG, WebP, TIFF, HEIC/HEIF, camera RAW) or video; 'sample:NAME' for a "
              "bundled sample photo.")


def resolve_input(path: Path) -> Path:
    """``sample:astronaut`` -> the bundled sample photo; anything else unchanged."""
    text = str(path)
    if text.startswith("sample:"):
        from vibegrade.samples import sample_path

        return sample_path(text.split(":", 1)[1])
    return path
