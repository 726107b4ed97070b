"""``vibegrade data stats``: parameter distributions and preset frequencies as PNG plots."""

from __future__ import annotations

import collections
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vibegrade.data.rows import VibeRow
from vibegrade.files import atomic_path
from vibegrade.schema import ADJUST_PARAMS, SELECTIVE_KEYS

__all__ = ["dataset_stats", "write_plots"]


def dataset_stats(rows: Sequence[VibeRow]) -> dict[str, Any]:
    """Range, mean and standard deviation of every parameter over the rows that use its tool."""
    adj = np.array([r.chain.adjust.vector() for r in rows
                    if r.chain.adjust.used], dtype=float).reshape(-1, 14)
    sel = np.array([r.chain.selective_adjust.vector() for r in rows if r.chain.selective_adjust.used],
                   dtype=float).reshape(-1, 12)
    ints = np.array([r.chain.filter.intensity for r in rows if r.chain.filter.used], dtype=float)

    def summary(col: np.ndarray) -> dict[str, float]:
        if col.size == 0:
            return {"n": 0}
        return {"n": int(col.size), "min": float(col.min()), "max": float(col.max()),
                "mean": round(float(col.mean()), 2), "std": round(float(col.std()), 2),
                "nonzero": round(float((col != 0).mean()), 3)}

    presets = collections.Counter(r.chain.filter.name for r in rows if r.chain.filter.used)
    return {
        "rows": len(rows),
        "adjust": {p.name: summary(adj[:, i]) for i, p in enumerate(ADJUST_PARAMS)},
        "selective_adjust": {f"{c}.{ch}": summary(sel[:, i]) for i, (c, ch) in enumerate(SELECTIVE_KEYS)},
        "filter_intensity": summary(ints),
        "presets": dict(presets.most_common()),
    }


def write_plots(rows: Sequence[VibeRow], out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write ``presets_top15.png``, ``adjust_params.png`` and ``selective_params.png`` into ``out_dir``."""
    from vibegrade.extras import require

    matplotlib = require("matplotlib", "plots", "plots")

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    stats = dataset_stats(rows)

    top = list(stats["presets"].items())[:15]
    fig, ax = plt.subplots(figsize=(8, 5))
    if top:
        names, counts = zip(*top)
        ax.barh(list(reversed(names)), list(reversed(counts)), color="#4a7bb7")
        for i, c in enumerate(reversed(counts)):
            ax.text(c, i, f" {c}", va="center", fontsize=8)
    ax.set_title(f"Top-15 filter presets ({sum(stats['presets'].values())} of {len(rows)} rows use a filter)")
    ax.set_xlabel("rows")
    fig.tight_layout()
    written.append(_save(fig, out / "presets_top15.png"))

    for tool, keys, title in (
        ("adjust", [p.name for p in ADJUST_PARAMS], "adjust parameters (rows using adjust)"),
        ("selective_adjust", [f"{c}.{ch}" for c, ch in SELECTIVE_KEYS], "selective_adjust (rows using it)"),
    ):
        if tool == "adjust":
            data = np.array([r.chain.adjust.vector() for r in rows
                             if r.chain.adjust.used], float).reshape(-1, 14)
        else:
            data = np.array([r.chain.selective_adjust.vector() for r in rows
                             if r.chain.selective_adjust.used],
                            float).reshape(-1, 12)
        fig, ax = plt.subplots(figsize=(10, 0.45 * len(keys) + 1.5))
        if data.shape[0]:
            ax.boxplot([data[:, i] for i in range(len(keys))], orientation="horizontal", tick_labels=keys,
                       showmeans=True,
                       flierprops={"markersize": 2, "alpha": 0.4})
            for i, k in enumerate(keys):
                s = stats[tool][k]
                ax.text(1.01, (i + 1) / len(keys) - 0.5 / len(keys),
                        f"[{s['min']:.0f}, {s['max']:.0f}]  mean {s['mean']:.1f}  sd {s['std']:.1f}",
                        transform=ax.transAxes, fontsize=7, va="center")
        ax.set_title(f"{title}: n = {data.shape[0]}")
        ax.axvline(0, color="grey", lw=0.5)
        fig.tight_layout()
        written.append(_save(fig, out / f"{tool}_params.png"))
    return written


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)
    return path
