"""A/B test commands: ``ab report`` and ``ab simulate``.

Register with the main app via ``app.add_typer(ab_app, name="ab")``.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from vibegrade.cli.errors import friendly_errors

app = typer.Typer(help="Online A/B tests between student models (completion rate = exported / started).",
                  no_args_is_help=True, add_completion=False)

DEFAULT_CONFIG = Path("experiments.toml")


@app.callback()
def _main() -> None:
    """Online A/B tests between student models."""


def counts_from_file(path: Path) -> dict[str, tuple[int, int]]:
    """Read ``{variant: {"started": n, "exported": m}}`` from a JSON file -> ``{variant: (n, m)}``.

    This is one counts source; another (e.g. the event store) only has to return the same mapping.
    """
    from vibegrade.analytics.abstats import normalise_counts

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: invalid JSON: {e.msg} (line {e.lineno}, column {e.colno})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected an object {{variant: {{\"started\": n, \"exported\": m}}}}")
    try:
        return normalise_counts(data)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None


def counts_from_events(experiment: str, database_url: str | None = None) -> dict[str, tuple[int, int]]:
    """Counts per variant from the event store: projects started, and projects with at least one export."""
    from vibegrade.data.events import EventStore

    store = EventStore(database_url)
    try:
        stats = store.ab.variant_stats(experiment)
    finally:
        store.close()
    return {str(v): (s["started"], s["exported"]) for v, s in stats.items() if v is not None}


@app.command()
@friendly_errors
def report(
    experiment: str = typer.Argument(..., help="Experiment name (from the config file)."),
    counts: Path | None = typer.Option(None, "--counts",
                                       help='JSON file {variant: {"started": n, "exported": m}}; '
                                          "default: the event store."),
    database_url: str | None = typer.Option(None, "--database-url", help="Event store URL (default: "
                                               "$VIBEGRADE_DATABASE_URL or the local SQLite file)."),
    config: Path = typer.Option(DEFAULT_CONFIG, "--config", "-c", help="Experiments file (.toml or .json)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Completion rates per variant, each variant vs the control, and a sample-ratio-mismatch check."""
    from vibegrade.analytics.abstats import ab_report, format_report
    from vibegrade.analytics.experiments import load_experiments

    exp = load_experiments(config).get(experiment)
    rep = ab_report(exp, counts_from_file(counts) if counts is not None
                    else counts_from_events(experiment, database_url))
    typer.echo(json.dumps(rep, indent=2) if as_json else format_report(rep))


@app.command()
@friendly_errors
def simulate(
    url: str = typer.Option("http://127.0.0.1:8000", "--url",
                            help="A running vibegrade service on this machine."),
    prob: list[str] = typer.Option(..., "--prob", help="VARIANT=P export probability, e.g. --prob a=0.3 "
                                   "(variant 'none' when no experiment is active)."),
    users: int = typer.Option(200, "--users", min=1, max=100_000, help="Simulated users (one request each)."),
    seed: int = typer.Option(0, "--seed"),
    concurrency: int = typer.Option(4, "--concurrency", min=1, max=32),
    time_limit: float = typer.Option(120.0, "--time-limit", min=1.0, help="Stop after this many seconds."),
) -> None:
    """Bounded simulated traffic against a local service (users export with a given probability per
    variant)."""
    from vibegrade.analytics.simulate import simulate_traffic

    probs = {}
    for item in prob:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--prob {item!r}: expected VARIANT=P")
        try:
            probs[name.strip()] = float(value)
        except ValueError:
            raise ValueError(f"--prob {item!r}: P must be a number") from None
    res = simulate_traffic(url, probs, users=users, seed=seed, concurrency=concurrency,
                           time_limit_s=time_limit)
    typer.echo(json.dumps(res.to_dict()))
