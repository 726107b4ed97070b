"""How long a conversation turn takes as the history grows: the history is rebuilt from the stored turns
on every request (nothing is kept in memory), so its cost grows with the turns; the service caps a
project at MAX_TURNS (500).

A temporary SQLite event store, one project; a trivial refiner (temperature +1, so the model's own time is
not in the figures). For 0, 100 and 500 stored turns it prints the median of 7 runs of reading the
history (GET .../history's work) and of one more turn (POST .../refine's work, recorded each time), next
to the 0-turn baseline::

    .venv/bin/python scripts/conversation_replay_bench.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from vibegrade.data.events import EventStore  # noqa: E402
from vibegrade.schema import ToolChain  # noqa: E402
from vibegrade.serve.services import conversation  # noqa: E402
from vibegrade.students.refine import Refinement  # noqa: E402

USER = "bench-user"
RUNS = 7


class Warmer:
    """Temperature +1 (wrapping), so every turn makes a new chain."""

    def refine(self, chain: ToolChain, request: str) -> Refinement:
        wire = chain.to_wire()
        adjust = dict(wire["adjust"])
        adjust["temperature"] = (adjust.get("temperature", 0) + 1) % 100
        return Refinement("edit", ToolChain.model_validate({**wire, "adjust": adjust}), request)


def median_ms(fn) -> float:
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(times)


def main() -> None:
    refiner = Warmer()
    with tempfile.TemporaryDirectory() as tmp:
        store = EventStore(f"sqlite:///{Path(tmp) / 'events.db'}")
        pid = store.projects.record(user_id=USER, intent="golden hour", tools={"adjust": {"contrast": 20}},
                                    model="default")
        print(f"{'stored turns':>12}  {'read history ms':>15}  {'one turn ms':>11}")
        base = None
        for target in (0, 100, conversation.MAX_TURNS - RUNS):
            while store.turns.count() < target:
                conversation.refine_project(store, refiner, pid, USER, "warmer")
            read = median_ms(lambda: conversation.load_conversation(store, pid, USER))
            turn = median_ms(lambda: conversation.refine_project(store, refiner, pid, USER, "warmer"))
            base = base or (read, turn)
            print(f"{target:>12}  {read:>15.2f}  {turn:>11.2f}   "
                  f"(x{read / base[0]:.1f}, x{turn / base[1]:.1f} of 0 turns)")
        store.close()


if __name__ == "__main__":
    main()
