"""``vibegrade data from-events``: build a vibes dataset from the behavioural event store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from vibegrade.cli.errors import friendly_errors

if TYPE_CHECKING:
    from vibegrade.data.events import EventStore

app = typer.Typer(help="Datasets from behavioural events (projects and exports).", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Keeps ``from-events`` a sub-command even though it is the only one."""


@app.command("from-events")
@friendly_errors
def from_events_command(
    output: Path = typer.Option(..., "-o", "--output",
                                help="JSONL file to write (vibes row format; data/refine rows with "
                                     "--refinements)."),
    database_url: str | None = typer.Option(
        None, "--database-url",
        help="Event store URL (default: $VIBEGRADE_DATABASE_URL or the local SQLite file)."),
    refinements: bool = typer.Option(
        False, "--refinements",
        help="Write the follow-up requests (before chain, request, after chain, op) of exported projects "
             "instead, in the data/refine row format (see docs/refine.md)."),
) -> None:
    """Per request and tool, keep the served setting users exported most (see docs/events.md); with
    --refinements, the follow-ups typed on projects that were exported (docs/refine.md)."""
    from vibegrade.data.events import EventStore

    store = EventStore(database_url)
    try:
        counts = store.counts()
        if refinements:
            n = _write_refinements(store, output)
            typer.echo(f"{counts['projects']} projects, {counts['exports']} exports, {store.turns.count()} "
                       f"turns -> {n} refinement rows written to {output}")
            return
        from vibegrade.data.from_events import dataset_from_events
        from vibegrade.data.rows import write_rows

        rows = dataset_from_events(store)
    finally:
        store.close()
    write_rows(output, rows)
    typer.echo(f"{counts['projects']} projects, {counts['exports']} exports -> "
               f"{len(rows)} rows written to {output}")


def _write_refinements(store: EventStore, output: Path) -> int:
    """Write the refinement rows to ``output`` (atomically); returns how many."""
    from vibegrade.data.refine_from_events import refine_row, refinement_triples
    from vibegrade.files import atomic_write_text

    lines = [json.dumps(refine_row(t), ensure_ascii=False) + "\n" for t in refinement_triples(store)]
    atomic_write_text(output, "".join(lines))
    return len(lines)
