"""A fixed, seeded train/test split of the vibes dataset.

Phrasing variants of one concept often share their settings, so rows are grouped by their tool chain
before splitting: all rows with identical settings land on the same side, and the test set measures
generalisation to unseen looks rather than to rephrasings of training rows.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Sequence

from vibegrade.data.rows import VibeRow

__all__ = ["split_rows"]


def split_rows(rows: Sequence[VibeRow], test_fraction: float = 0.15, seed: int = 13,
               min_test: int = 450) -> tuple[list[VibeRow], list[VibeRow]]:
    """Split rows into (train, test), deterministically for a given seed, grouped by identical settings.

    Groups are ordered by a seeded hash and taken into the test set until it holds at least
    ``max(min_test, test_fraction * len(rows))`` rows (when there are enough rows).
    """
    if not 0 < test_fraction < 1:
        raise ValueError("test_fraction must be between 0 and 1")
    groups: dict[str, list[VibeRow]] = defaultdict(list)
    for r in rows:
        groups[r.chain.to_json(sort_keys=True)].append(r)

    def order(key: str) -> str:
        return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()

    target = min(len(rows) // 2, max(min_test, round(test_fraction * len(rows))))
    test_keys: set[str] = set()
    count = 0
    for key in sorted(groups, key=order):
        if count >= target:
            break
        test_keys.add(key)
        count += len(groups[key])
    train = [r for r in rows if r.chain.to_json(sort_keys=True) not in test_keys]
    test = [r for r in rows if r.chain.to_json(sort_keys=True) in test_keys]
    return train, test
