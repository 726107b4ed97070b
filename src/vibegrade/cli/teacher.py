"""``vibegrade teacher``: label look requests with a large LLM (the teacher).

Commands:

* ``label INTENTS -o OUT.jsonl`` -- label a file of requests (one per line) into dataset rows; safe to
  interrupt and re-run (already labeled requests are skipped).
* ``ask "golden hour"`` -- one request: prints each tool's rationale and settings.

Connection settings come from flags, then the environment (``VIBEGRADE_TEACHER_BASE_URL`` /
``_API_KEY`` / ``_MODEL``, ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``), then the config file (see
``docs/teacher.md``).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import typer

app = typer.Typer(help="Label look requests with a large LLM teacher (any OpenAI-compatible endpoint).",
                  no_args_is_help=True, add_completion=False)

_MAX_BAD_SHOWN = 20


def _err(msg: str) -> None:
    typer.echo(f"error: {msg}", err=True)


def _note(msg: str) -> None:
    typer.echo(msg, err=True)


def _config(base_url: str | None, api_key: str | None, model: str | None, config: Path | None,
            prices: Path | None, cache_dir: Path | None, timeout: float | None,
            max_retries: int | None, concurrency: int | None) -> Any:
    from vibegrade.llm.config import ConfigError, resolve_config

    try:
        return resolve_config(base_url=base_url, api_key=api_key, model=model, config_path=config,
                              prices_path=prices, cache_dir=cache_dir, timeout=timeout,
                              max_retries=max_retries, concurrency=concurrency)
    except ConfigError as e:
        _err(str(e))
        raise typer.Exit(2) from None


# shared options -------------------------------------------------------------------------------------------
_BASE_URL = typer.Option(None, "--base-url", help="Endpoint base URL, e.g. http://localhost:8000/v1 "
                         "[env VIBEGRADE_TEACHER_BASE_URL, OPENAI_BASE_URL]")
_API_KEY = typer.Option(None, "--api-key", help="API key [env VIBEGRADE_TEACHER_API_KEY, OPENAI_API_KEY]")
_MODEL = typer.Option(None, "--model", "-m", help="Model name [env VIBEGRADE_TEACHER_MODEL]")
_CONFIG = typer.Option(None, "--config", help="TOML config file (default ~/.config/vibegrade/teacher.toml)",
                       dir_okay=False)
_PRICES = typer.Option(None, "--prices", help="Price table (TOML or JSON): model -> {input, output} $ per 1M "
                       "tokens", dir_okay=False)
_CACHE_DIR = typer.Option(None, "--cache-dir", file_okay=False,
                          help="Response cache folder (default ~/.cache/vibegrade/teacher, "
                          "or VIBEGRADE_CACHE_DIR)")
_NO_CACHE = typer.Option(False, "--no-cache", help="Neither read nor write the response cache.")
_TIMEOUT = typer.Option(None, "--timeout", help="Seconds per HTTP attempt (default 120).", min=0.001)
_RETRIES = typer.Option(None, "--max-retries", help="Retries on 429/5xx/timeouts (default 5).", min=0)


@app.command()
def label(
    intents: Path = typer.Argument(..., help="Text file, one look request per line (optional TAB category).",
                                   dir_okay=False),
    output: Path = typer.Option(..., "--output", "-o", help="Output JSONL (appended to; re-run to resume).",
                                dir_okay=False),
    base_url: str | None = _BASE_URL,
    model: str | None = _MODEL,
    api_key: str | None = _API_KEY,
    concurrency: int = typer.Option(4, "--concurrency", "-c", min=1,
                                    help="Requests labeled at once (each makes 3 concurrent calls)."),
    config: Path | None = _CONFIG,
    prices: Path | None = _PRICES,
    cache_dir: Path | None = _CACHE_DIR,
    no_cache: bool = _NO_CACHE,
    timeout: float | None = _TIMEOUT,
    max_retries: int | None = _RETRIES,
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Label every request of INTENTS with the teacher and append dataset rows to OUTPUT."""
    from vibegrade.llm.client import FatalError, TeacherClient, TeacherError
    from vibegrade.llm.teacher import label_batch, read_intents

    try:
        parsed = read_intents(intents)
    except ValueError as e:
        _err(str(e))
        raise typer.Exit(2) from None
    for b in parsed.bad[:_MAX_BAD_SHOWN]:
        _note(f"skipped {intents}:{b.lineno}: {b.reason}" + (f": {b.text}" if b.text else ""))
    if len(parsed.bad) > _MAX_BAD_SHOWN:
        _note(f"skipped {len(parsed.bad) - _MAX_BAD_SHOWN} more bad lines")
    if parsed.duplicates:
        _note(f"skipped {len(parsed.duplicates)} repeated request(s)")
    if output.parent and not output.parent.is_dir():
        _err(f"output folder does not exist: {output.parent}")
        raise typer.Exit(2)
    cfg = _config(base_url, api_key, model, config, prices, cache_dir, timeout, max_retries, 3 * concurrency)

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    bar = Progress(TextColumn("labeling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TextColumn("eta"), TimeRemainingColumn(), TextColumn("{task.fields[cost]}"),
                   console=console, disable=not progress, transient=False)
    state: dict[str, Any] = {"task": None, "client": None, "written": 0}

    def on_plan(todo: int, skipped: int) -> None:
        if skipped:
            _note(f"resuming: {skipped} request(s) already in {output}")
        state["task"] = bar.add_task("label", total=todo, cost="")

    def on_row(row: dict[str, Any]) -> None:
        state["written"] += 1
        c = state["client"]
        cost = f"${c.totals.cost_usd:.4f}" if c is not None else ""
        bar.update(state["task"], advance=1, cost=cost)

    def on_failure(item: Any, msg: str) -> None:
        bar.console.print(f"failed line {item.lineno} {item.intent!r}: {msg}", highlight=False, markup=False)
        bar.update(state["task"], advance=1)

    async def run() -> Any:
        client = TeacherClient(cfg, use_cache=not no_cache)
        state["client"] = client
        try:
            if client.price_note:
                _note(f"note: {client.price_note}")
            return await label_batch(client, parsed.items, output, concurrency=concurrency, on_plan=on_plan,
                                     on_row=on_row, on_failure=on_failure)
        finally:
            await client.aclose()

    try:
        with bar:
            report = asyncio.run(run())
    except KeyboardInterrupt:
        _note(f"interrupted after {state['written']} new row(s): {output} holds only complete rows; "
              "run the same command again to resume")
        raise typer.Exit(130) from None
    except FatalError as e:
        _err(str(e))
        raise typer.Exit(1) from None
    except (TeacherError, ValueError, OSError) as e:
        _err(str(e))
        raise typer.Exit(1) from None

    if report.output.repaired_tail:
        _note(f"repaired a half-written last line in {output}")
    if report.output.invalid_lines:
        _note(f"warning: {len(report.output.invalid_lines)} line(s) of {output} are not rows "
              f"(first: line {report.output.invalid_lines[0]})")
    t = report.totals
    _note(f"wrote {report.written} row(s) to {output}; skipped {report.skipped_done} already labeled, "
          f"{len(parsed.bad)} bad line(s), {len(report.failed)} failed")
    _note(f"calls {t.calls} (cached {t.cached_calls}, http {t.http_requests}, retries {t.retries}); "
          f"tokens {t.prompt_tokens} in / {t.completion_tokens} out; cost ${t.cost_usd:.4f}")
    if report.failed:
        _err(f"{len(report.failed)} request(s) failed; run the same command again to retry them")
        raise typer.Exit(1)


@app.command()
def ask(
    request: str = typer.Argument(..., help="The look, e.g. \"golden hour\"."),
    base_url: str | None = _BASE_URL,
    model: str | None = _MODEL,
    api_key: str | None = _API_KEY,
    config: Path | None = _CONFIG,
    prices: Path | None = _PRICES,
    cache_dir: Path | None = _CACHE_DIR,
    no_cache: bool = _NO_CACHE,
    timeout: float | None = _TIMEOUT,
    max_retries: int | None = _RETRIES,
    as_json: bool = typer.Option(False, "--json", help="Print the dataset row as JSON instead."),
    raw: bool = typer.Option(False, "--raw", help="Also print the teacher's raw answers."),
) -> None:
    """Ask the teacher about one request and print the rationale and settings of each tool."""
    from vibegrade.llm.client import TeacherClient, TeacherError
    from vibegrade.llm.prompts import MAX_INTENT_CHARS
    from vibegrade.llm.teacher import label_request

    text = " ".join(request.split())
    if not text:
        _err("the request is empty")
        raise typer.Exit(2)
    if len(text) > MAX_INTENT_CHARS:
        _err(f"the request is longer than {MAX_INTENT_CHARS} characters ({len(text)})")
        raise typer.Exit(2)
    cfg = _config(base_url, api_key, model, config, prices, cache_dir, timeout, max_retries, None)

    async def run() -> Any:
        client = TeacherClient(cfg, use_cache=not no_cache)
        try:
            return await label_request(client, text), client
        finally:
            await client.aclose()

    try:
        lab, client = asyncio.run(run())
    except KeyboardInterrupt:
        _note("interrupted")
        raise typer.Exit(130) from None
    except (TeacherError, ValueError, OSError) as e:
        _err(str(e))
        raise typer.Exit(1) from None

    if client.price_note:
        _note(f"note: {client.price_note}")
    row = lab.to_row()
    if as_json:
        typer.echo(json.dumps(row, ensure_ascii=False))
        return
    typer.echo(f"request: {lab.intent}")
    for t in ("adjust", "selective_adjust", "filter"):
        typer.echo(f"\n[{t}] {lab.rationale.get(t) or '(no rationale)'}")
        typer.echo(json.dumps(row[t], ensure_ascii=False))
        if raw:
            typer.echo("--- raw answer ---\n" + lab.raw.get(t, "") + "\n------------------")
    typer.echo("\nchain: " + json.dumps({k: row[k] for k in ("adjust", "selective_adjust", "filter")},
                                        ensure_ascii=False))
    if lab.flags:
        typer.echo("flags: " + ", ".join(lab.flags))
    u = lab.usage
    typer.echo(f"usage: {u['prompt_tokens']} in / {u['completion_tokens']} out tokens, ${u['cost_usd']:.4f}, "
               f"{lab.latency_ms} ms, cached calls {u['cached_calls']}/3, model {lab.model}")


if __name__ == "__main__":  # pragma: no cover
    app(prog_name="vibegrade teacher")
