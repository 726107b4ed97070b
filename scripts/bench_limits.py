#!/usr/bin/env python3
"""What the limits reader costs the shipped student: batch predict with ``retrieval.limits`` on and off,
in the same process, interleaved (``bench_sliders.run``), on three kinds of requests
(docs/experiments.md, "What not to do"):

* ``plain``: the requests of ``vibegrade bench predict`` (the reader reads each and finds no limit);
* ``holds``: a change with something left alone or a limit ("just brighter, don't touch the colours",
  "more contrast without crushing the shadows"): the rest is answered, then held;
* ``splashes``: colour splashes ("black and white except the red"), greyed but for one colour.

    .venv/bin/python scripts/bench_limits.py [--repeats 5] [--json OUT]

Figures are milliseconds per request (median over the repeats of a batch of 256) and depend on the
machine; compare the two columns of one run only.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sliders import run  # noqa: E402  (the command line and timing the reader benchmarks share)

HOLDS = ["just brighter, don't touch the colours", "more contrast without crushing the shadows",
         "cooler but keep the skin tones natural", "warmer, no red faces",
         "brighter but dont blow out the sky", "kodak gold but keep skin natural",
         "sharpen it but leave the contrast", "film noir but dont crush the shadows"]
SPLASHES = ["black and white except the red", "desaturate everything but the blues", "keep only the yellow",
            "b&w but keep the green, more contrast", "make it all grey but keep her orange hat",
            "colour splash on the purple flowers", "monochrome except the blue door",
            "grey everything but the red car"]


def main() -> int:
    return run(__doc__, "limits", lambda requests: {
        "plain": [requests[i % len(requests)] for i in range(256)],
        "holds": [HOLDS[i % len(HOLDS)] for i in range(256)],
        "splashes": [SPLASHES[i % len(SPLASHES)] for i in range(256)],
    })


if __name__ == "__main__":
    sys.exit(main())
