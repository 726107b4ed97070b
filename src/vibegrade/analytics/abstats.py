"""Statistics for A/B tests on project completion rate (exported / started).

Given per-variant counts ``{variant: (started, exported)}`` this module computes

* per variant: completion rate ``p = x / n`` and its **Wilson score 95% interval**
  (Wilson 1927; recommended over the Wald interval by Newcombe 1998, "Two-sided confidence
  intervals for the single proportion: comparison of seven methods", Stat Med 17:857-872)::

      centre = (p + z^2 / 2n) / (1 + z^2 / n)
      half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2)

* each treatment vs the control (the experiment's first variant):

  - absolute difference ``p2 - p1``;
  - **ratio** ``p2 / p1`` with a 95% CI on the log scale (delta method; Katz et al. 1978,
    "Obtaining confidence intervals for the risk ratio in cohort studies", Biometrics 34:469-474)::

        se(log ratio) = sqrt((1 - p1) / (p1 n1) + (1 - p2) / (p2 n2))
        CI = exp(log(p2 / p1) +- z * se)

    When either arm has zero exports, 0.5 is added to the exported and not-exported cells of
    both arms (x + 0.5, n + 1; Haldane-Anscombe) and ``continuity_corrected`` is set;
  - **pooled two-proportion z-test**, two-sided::

        p = (x1 + x2) / (n1 + n2);  z = (p2 - p1) / sqrt(p (1 - p) (1/n1 + 1/n2))
        p-value = 2 * (1 - Phi(|z|))

    (equal to Pearson's chi-square test on the 2x2 table without continuity correction);
    ``significant`` when p-value < alpha (0.05). No multiple-comparison correction is applied
    with more than one treatment.

* **sample-ratio mismatch (SRM)**: chi-square goodness of fit of the started counts against
  the configured weights, ``chi2 = sum((O - E)^2 / E)`` with ``k - 1`` degrees of freedom,
  flagged when p < 0.001 (Kohavi, Tang & Xu 2020, "Trustworthy Online Controlled Experiments",
  ch. 21; Fabijan et al. 2019, "Diagnosing Sample Ratio Mismatch in Online Controlled
  Experiments", KDD). An SRM means the assignment or logging is broken and the comparison
  should not be trusted.

Values that cannot be computed (e.g. a rate with zero started projects) are ``None`` so the
report stays valid JSON.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from vibegrade.analytics.experiments import Experiment
from vibegrade.extras import require

_stats = require("scipy.stats", "analytics", "A/B statistics")
norm = _stats.norm

__all__ = [
    "ALPHA",
    "SRM_ALPHA",
    "Counts",
    "normalise_counts",
    "wilson_ci",
    "two_proportion_ztest",
    "ratio_ci",
    "srm_check",
    "ab_report",
    "format_report",
]

ALPHA = 0.05
SRM_ALPHA = 0.001

Counts = Mapping[str, tuple[int, int] | Sequence[int] | Mapping[str, int]]


def _z(alpha: float) -> float:
    return float(norm.ppf(1.0 - alpha / 2.0))


def _count(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, float)) or value != int(value):
        raise ValueError(f"{what} must be a whole number (got {value!r})")
    if value < 0:
        raise ValueError(f"{what} must be >= 0 (got {value!r})")
    return int(value)


def normalise_counts(counts: Counts) -> dict[str, tuple[int, int]]:
    """Accept ``{name: (started, exported)}`` or ``{name: {"started": n, "exported": m}}``; validate."""
    out: dict[str, tuple[int, int]] = {}
    for name, value in counts.items():
        if isinstance(value, Mapping):
            unknown = set(value) - {"started", "exported"}
            if unknown:
                raise ValueError(
                    f"counts for {name!r}: unknown key(s) {', '.join(sorted(map(repr, unknown)))}")
            if "started" not in value or "exported" not in value:
                raise ValueError(f"counts for {name!r}: need 'started' and 'exported'")
            started, exported = value["started"], value["exported"]
        else:
            try:
                started, exported = value
            except (TypeError, ValueError):
                raise ValueError(f"counts for {name!r}: expected (started, exported)") from None
        n = _count(started, f"counts for {name!r}: started")
        x = _count(exported, f"counts for {name!r}: exported")
        if x > n:
            raise ValueError(f"counts for {name!r}: exported ({x}) > started ({n})")
        out[str(name)] = (n, x)
    return out


def wilson_ci(exported: int, started: int, alpha: float = ALPHA) -> tuple[float | None, float | None]:
    """Wilson score interval for a binomial proportion (Wilson 1927; Newcombe 1998, method 3).

    Returns ``(None, None)`` when ``started == 0``. Bounds are clipped to [0, 1].
    """
    if started <= 0:
        return None, None
    ci = _stats.binomtest(exported, started).proportion_ci(confidence_level=1.0 - alpha, method="wilson")
    return max(0.0, float(ci.low)), min(1.0, float(ci.high))


def two_proportion_ztest(x1: int, n1: int, x2: int, n2: int) -> tuple[float | None, float | None]:
    """Pooled two-proportion z-test of ``p2 - p1``; returns ``(z, two-sided p-value)``.

    ``(None, None)`` when an arm has no data; ``(0.0, 1.0)`` when the pooled rate is 0 or 1
    (no variation, so no evidence of a difference).
    """
    if n1 <= 0 or n2 <= 0:
        return None, None
    pooled = (x1 + x2) / (n1 + n2)
    var = pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2)
    if var <= 0:
        return 0.0, 1.0
    z = (x2 / n2 - x1 / n1) / math.sqrt(var)
    return z, float(2.0 * norm.sf(abs(z)))


def ratio_ci(
    x1: int, n1: int, x2: int, n2: int, alpha: float = ALPHA
) -> tuple[float | None, float | None, float | None, bool]:
    """Ratio ``p2 / p1`` with a log-scale (delta method) CI: ``(ratio, low, high, corrected)``.

    ``se = sqrt((1-p1)/(p1 n1) + (1-p2)/(p2 n2))``. With a zero export count in either arm,
    0.5 is added to both cells of both arms (``x + 0.5``, ``n + 1``) and ``corrected`` is True.
    All ``None`` when an arm has no started projects.
    """
    if n1 <= 0 or n2 <= 0:
        return None, None, None, False
    corrected = x1 == 0 or x2 == 0
    a1, m1, a2, m2 = (x1 + 0.5, n1 + 1.0, x2 + 0.5, n2 + 1.0) if corrected else (x1, n1, x2, n2)
    p1, p2 = a1 / m1, a2 / m2
    ratio = p2 / p1
    se = math.sqrt((1 - p1) / (p1 * m1) + (1 - p2) / (p2 * m2))
    z = _z(alpha)
    log_r = math.log(ratio)
    return ratio, math.exp(log_r - z * se), math.exp(log_r + z * se), corrected


def srm_check(
    started: Sequence[int], weights: Sequence[float], threshold: float = SRM_ALPHA
) -> dict[str, Any]:
    """Chi-square goodness of fit of started counts against the design weights (Kohavi et al.).

    Returns ``{"chi2", "df", "p_value", "srm", "threshold", "expected"}``; no SRM when nothing started.
    """
    obs = np.asarray(started, dtype=float)
    w = np.asarray(weights, dtype=float)
    if obs.shape != w.shape or obs.ndim != 1 or len(obs) < 2:
        raise ValueError("srm_check: need one started count per weight (at least two)")
    if np.any(w <= 0):
        raise ValueError("srm_check: weights must be > 0")
    total = obs.sum()
    expected = total * w / w.sum()
    df = len(obs) - 1
    if total <= 0:
        return {"chi2": 0.0, "df": df, "p_value": 1.0, "srm": False, "threshold": threshold,
                "expected": expected.tolist()}
    res = _stats.chisquare(obs, f_exp=expected)
    stat, p = float(res.statistic), float(res.pvalue)
    return {"chi2": stat, "df": df, "p_value": p, "srm": bool(p < threshold), "threshold": threshold,
            "expected": expected.tolist()}


def ab_report(
    experiment: Experiment, counts: Counts, alpha: float = ALPHA, srm_threshold: float = SRM_ALPHA
) -> dict[str, Any]:
    """A JSON-ready report: per-variant rates, treatment-vs-control comparisons, SRM check.

    Variants missing from ``counts`` count as zero; names not in the experiment raise ``ValueError``.
    """
    data = normalise_counts(counts)
    names = [v.name for v in experiment.variants]
    unknown = [k for k in data if k not in names]
    if unknown:
        raise ValueError(
            f"counts name variant(s) not in experiment {experiment.name!r}: {', '.join(map(repr, unknown))}"
            f" (variants: {', '.join(names)})"
        )
    rows: list[dict[str, Any]] = []
    for v, w in zip(experiment.variants, experiment.weights):
        n, x = data.get(v.name, (0, 0))
        lo, hi = wilson_ci(x, n, alpha)
        rows.append({
            "name": v.name, "model": v.model, "weight": w, "started": n, "exported": x,
            "rate": x / n if n else None, "ci_low": lo, "ci_high": hi,
        })
    control = rows[0]
    n1, x1 = control["started"], control["exported"]
    comparisons: list[dict[str, Any]] = []
    for row in rows[1:]:
        n2, x2 = row["started"], row["exported"]
        z, p = two_proportion_ztest(x1, n1, x2, n2)
        ratio, rlo, rhi, corrected = ratio_ci(x1, n1, x2, n2, alpha)
        comparisons.append({
            "variant": row["name"], "control": control["name"],
            "diff": (x2 / n2 - x1 / n1) if n1 and n2 else None,
            "ratio": ratio, "ratio_ci_low": rlo, "ratio_ci_high": rhi,
            "continuity_corrected": corrected,
            "z": z, "p_value": p, "significant": bool(p is not None and p < alpha),
        })
    srm = srm_check([r["started"] for r in rows], experiment.weights, srm_threshold)
    return {
        "experiment": experiment.name,
        "control": control["name"],
        "active": experiment.is_active(),
        "alpha": alpha,
        "metric": "completion rate = exported / started",
        "variants": rows,
        "comparisons": comparisons,
        "srm": srm,
    }


def _f(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def _p(value: float | None) -> str:
    if value is None:
        return "-"
    return "<0.0001" if value < 1e-4 else f"{value:.4f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return [line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows]


def format_report(report: Mapping[str, Any]) -> str:
    """A readable plain-text version of :func:`ab_report`'s output."""
    conf = f"{100 * (1 - report['alpha']):g}%"
    out = [
        f"experiment {report['experiment']}  (control: {report['control']}; metric: {report['metric']})", ""]
    out += _table(
        ["variant", "weight", "started", "exported", "rate", f"{conf} CI (Wilson)"],
        [[r["name"], f"{r['weight']:.3f}", str(r["started"]), str(r["exported"]), _f(r["rate"], ".2%"),
          f"[{_f(r['ci_low'], '.2%')}, {_f(r['ci_high'], '.2%')}]"] for r in report["variants"]],
    )
    if report["comparisons"]:
        out.append("")
        out += _table(
            ["vs control", "diff", "ratio", f"{conf} CI", "z", "p-value", "significant"],
            [[c["variant"],
              _f(None if c["diff"] is None else 100 * c["diff"], "+.2f")
              + (" pp" if c["diff"] is not None else ""),
              _f(c["ratio"], ".3f") + ("*" if c["continuity_corrected"] else ""),
              f"[{_f(c['ratio_ci_low'], '.3f')}, {_f(c['ratio_ci_high'], '.3f')}]",
              _f(c["z"], "+.2f"), _p(c["p_value"]), "YES" if c["significant"] else "no"]
             for c in report["comparisons"]],
        )
        if any(c["continuity_corrected"] for c in report["comparisons"]):
            out.append("* zero exports in an arm: ratio computed with +0.5 continuity correction")
    srm = report["srm"]
    out.append("")
    verdict = "SAMPLE RATIO MISMATCH - do not trust the comparison" if srm["srm"] else "ok"
    out.append(f"SRM check: chi2 = {srm['chi2']:.2f} (df {srm['df']}), p = {srm['p_value']:.4g}"
               f" (flag below {srm['threshold']:g}): {verdict}")
    return "\n".join(out)
