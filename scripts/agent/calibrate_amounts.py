"""Measure how far each lever moves each property, to set the first-guess amounts of agent/actions.py.

    .venv/bin/python scripts/agent/calibrate_amounts.py

For every shared photo (proxy, 384 px) and lever, the lever is set to +20 and to -20 globally and the
property measured over the whole picture (agent.measure, the judge's units); the slope is the median over
photos of |change| / 20. The printed amount is the slider value that moves a ``moderate`` item by its
target (checklist.TARGETS) at that slope: BASE_AMOUNT in agent/actions.py is set from these figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from vibegrade.agent.actions import LEVERS  # noqa: E402
from vibegrade.agent.checklist import TARGETS  # noqa: E402
from vibegrade.agent.measure import measure, to_lab  # noqa: E402
from vibegrade.agent.training import PhotoBank  # noqa: E402
from vibegrade.schema import parse_chain  # noqa: E402
from vibegrade.tools.chain import render  # noqa: E402

PHOTOS = ROOT.parent / "shared" / "photos"


def main() -> int:
    bank = PhotoBank(PHOTOS)
    names = sorted(p.name for p in PHOTOS.glob("*.jpg"))
    ones = None
    for prop, levers in LEVERS.items():
        for lever, sign in levers:
            slopes = []
            for name in names:
                proxy = bank.load(name)
                from vibegrade.agent.run import proxy_of

                proxy = proxy_of(proxy)
                ones = np.ones(proxy.shape[:2], np.float32)
                rgb0 = proxy.astype(np.float32) / 255
                before = measure(to_lab(rgb0), rgb0, ones, prop)
                for v in (20, -20):
                    out = render(proxy, parse_chain({"adjust": {lever: v}})).astype(np.float32) / 255
                    after = measure(to_lab(out), out, ones, prop)
                    slopes.append(abs(after - before) / 20)
            slope = float(np.median(slopes))
            amount = TARGETS[prop]["moderate"] / slope if slope > 1e-6 else float("inf")
            print(f"{prop:10s} {lever:12s} slope {slope:.3f}/unit  moderate target {TARGETS[prop]['moderate']:g}"
                  f" -> amount {amount:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
