"""Agreement of the programmatic judge with authored pairwise preferences, and its calibration.

    .venv/bin/python scripts/agent/judge_agreement.py --json docs/results/agent_judge_agreement.json

For every pair of data/agent/preferences/pairs.jsonl both answers are rendered on the photo's proxy with
masks frozen from the original and judged against the request's authored checklist; the judge prefers
the answer with the higher reward (a tie when the rewards differ by less than TIE). Agreement is counted
on the pairs where the authors chose a side: with each author, and with their consensus (pairs where both
chose the same side). The two authors' agreement with each other is the ceiling.

Calibration: the reward's penalty weights (agent.judge.RewardWeights) are chosen on a grid to maximise
agreement with the consensus, by two-fold cross-validation over the pairs (fit on one half, score the
other), so the reported calibrated agreement is on pairs the weights were not chosen on; the weights
chosen on all pairs are printed for agent/judge.py's DEFAULT_WEIGHTS.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from vibegrade.agent.checklist import parse_checklist  # noqa: E402
from vibegrade.agent.judge import DEFAULT_WEIGHTS, Verdict, reward  # noqa: E402
from vibegrade.agent.search import Evaluator  # noqa: E402
from vibegrade.agent.training import PhotoBank  # noqa: E402
from vibegrade.schema import parse_chain  # noqa: E402

PREFS = ROOT / "data" / "agent" / "preferences"
PHOTOS = ROOT.parent / "shared" / "photos"
TIE = 0.01


def load(path: Path) -> dict[str, str]:
    return {o["id"]: o["choice"] for o in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


def verdicts() -> dict[str, tuple[Verdict, Verdict]]:
    bank = PhotoBank(PHOTOS)
    out = {}
    for line in (PREFS / "pairs.jsonl").read_text(encoding="utf-8").splitlines():
        p = json.loads(line)
        proxy, masks = bank.get(p["photo"])
        ev = Evaluator(proxy, masks, parse_checklist(p["checklist"]))
        out[p["id"]] = (ev(parse_chain(p["a"])), ev(parse_chain(p["b"])))
    return out


def judge_choice(va: Verdict, vb: Verdict, weights) -> str:
    ra, rb = reward(va, weights), reward(vb, weights)
    return "tie" if abs(ra - rb) < TIE else ("a" if ra > rb else "b")


def agreement(ids, judged: dict[str, str], truth: dict[str, str]) -> dict[str, float]:
    sided = [i for i in ids if truth.get(i) in ("a", "b")]
    agree = sum(judged[i] == truth[i] for i in sided)
    ties = sum(judged[i] == "tie" for i in sided)
    return {"pairs": len(sided), "agreement": round(agree / max(1, len(sided)), 4),
            "judge_ties": ties}


GRID = {"preservation": (0.0, 0.02, 0.04, 0.08, 0.15), "skin": (0.0, 0.02, 0.05),
        "clipping": (0.0, 0.05, 0.15), "halo": (0.0, 0.2, 0.5)}


def best_weights(ids, vs, truth):
    best = (-1.0, DEFAULT_WEIGHTS)
    for combo in itertools.product(*GRID.values()):
        w = dataclasses.replace(DEFAULT_WEIGHTS, **dict(zip(GRID, combo)))
        judged = {i: judge_choice(*vs[i], w) for i in ids}
        a = agreement(ids, judged, truth)["agreement"]
        if a > best[0]:
            best = (a, w)
    return best[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    a, b = load(PREFS / "author_a.jsonl"), load(PREFS / "author_b.jsonl")
    ids = sorted(a)
    consensus = {i: a[i] for i in ids if a[i] == b.get(i) and a[i] in ("a", "b")}
    vs = verdicts()
    judged = {i: judge_choice(*vs[i], DEFAULT_WEIGHTS) for i in ids}
    both_sided = [i for i in ids if a[i] in ("a", "b") and b.get(i) in ("a", "b")]
    # two-fold cross-validated calibration on the consensus
    fold = {i: int(hashlib.sha256(i.encode()).hexdigest(), 16) % 2 for i in ids}
    cv_judged: dict[str, str] = {}
    for f in (0, 1):
        fit = [i for i in ids if fold[i] != f]
        w = best_weights(fit, vs, consensus)
        cv_judged.update({i: judge_choice(*vs[i], w) for i in ids if fold[i] == f})
    w_all = best_weights(ids, vs, consensus)
    result = {
        "pairs": len(ids),
        "author_choices": {"a": {c: list(a.values()).count(c) for c in ("a", "b", "tie")},
                           "b": {c: list(b.values()).count(c) for c in ("a", "b", "tie")}},
        "authors_agree": {"pairs": len(both_sided),
                          "agreement": round(sum(a[i] == b[i] for i in both_sided)
                                             / max(1, len(both_sided)), 4)},
        "default_weights": {"author_a": agreement(ids, judged, a), "author_b": agreement(ids, judged, b),
                            "consensus": agreement(ids, judged, consensus)},
        "calibrated_cross_validated": {"author_a": agreement(ids, cv_judged, a),
                                       "author_b": agreement(ids, cv_judged, b),
                                       "consensus": agreement(ids, cv_judged, consensus)},
        "weights_on_all_pairs": dataclasses.asdict(w_all),
    }
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
