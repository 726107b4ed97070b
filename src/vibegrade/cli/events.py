"""``vibegrade data from-events``: build a vibes dataset from the behavioural event store."""

from __future__ import annotations

from pathlib import Path

import typer

from vibegrade.cli.errors import friendly_errors

app = typer.Typer(help="Datasets from behavioural events (projects and exports).", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Keeps ``from-events`` a sub-command even though it is the only one."""


@app.command("from-events")
@friendly_errors
def from_events_command(
    output: Path = typer.Option(..., "-o", "--output", help="JSONL file to write (vibes row format)."),
    database_url: str | None = typer.Option(
        None, "--database-url",
        help="Event store URL (default: $VIBEGRADE_DATABASE_URL or the local SQLite file)."),
) -> None:
    """Per request and tool, keep the served setting users exported most (see docs/events.md)."""
    from vibegrade.data.events import EventStore
    from vibegrade.data.from_events import dataset_from_events
    from vibegrade.data.rows import write_rows

    store = EventStore(database_url)
    try:
        counts = store.counts()
        rows = dataset_from_events(store)
    finally:
        store.close()
    write_rows(output, rows)
    typer.echo(f"{counts['projects']} projects, {counts['exports']} exports -> "
               f"{len(rows)} rows written to {output}")
