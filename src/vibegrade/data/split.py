"""Fixed, seeded splits of the vibes dataset, grouped by concept.

Rows carry a ``concept`` id shared by the phrasing variants of one look ("golden hour", "Golden hour
vibes pls 🌅") and a ``group`` shared by concepts that are the same look written twice.
:func:`split_by_concept` keeps every group on one side, so the test set measures unseen looks, and holds
out a few *wordings* of training concepts as a separate phrasing test. Rows without a concept are
grouped by identical settings (the round-one rule).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from vibegrade.data.rows import VibeRow

__all__ = ["split_rows", "dev_split", "split_by_concept", "ConceptSplit", "group_key"]


def group_key(row: VibeRow) -> str:
    """The unit that never straddles a split: the row's concept group, else its concept, else its settings."""
    if row.group or row.concept:
        return f"concept:{row.group or row.concept}"
    return "settings:" + row.chain.to_json(sort_keys=True)


def _order(seed: int, key: str) -> str:
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


def split_rows(rows: Sequence[VibeRow], test_fraction: float = 0.15, seed: int = 13,
               min_test: int = 450) -> tuple[list[VibeRow], list[VibeRow]]:
    """Split rows into (train, test), deterministically for a given seed, grouped by :func:`group_key`.

    Groups are ordered by a seeded hash and taken into the test set until it holds at least
    ``max(min_test, test_fraction * len(rows))`` rows (at most half of the rows).
    """
    if not 0 < test_fraction < 1:
        raise ValueError("test_fraction must be between 0 and 1")
    groups: dict[str, list[VibeRow]] = defaultdict(list)
    for r in rows:
        groups[group_key(r)].append(r)
    target = min(len(rows) // 2, max(min_test, round(test_fraction * len(rows))))
    test_keys: set[str] = set()
    count = 0
    for key in sorted(groups, key=lambda k: _order(seed, k)):
        if count >= target:
            break
        test_keys.add(key)
        count += len(groups[key])
    train = [r for r in rows if group_key(r) not in test_keys]
    test = [r for r in rows if group_key(r) in test_keys]
    return train, test


def dev_split(rows: Sequence[VibeRow], fraction: float, seed: int) -> tuple[list[VibeRow], list[VibeRow]]:
    """The (train, dev) rows a student trains and chooses its epoch on: a :func:`split_rows` split holding
    out about ``fraction`` of the rows (at least one). ``(rows, [])`` when ``fraction`` is not within
    (0, 1) or nothing would be left to train on."""
    rows = list(rows)
    if not 0 < fraction < 1:
        return rows, []
    n_dev = max(1, int(round(fraction * len(rows))))
    train, dev = split_rows(rows, test_fraction=fraction, seed=seed, min_test=n_dev)
    return (train, dev) if train else (rows, [])


@dataclass
class ConceptSplit:
    train: list[VibeRow]
    test: list[VibeRow]  # unseen concepts
    phrasing: list[VibeRow]  # new wordings of training concepts (their other wordings are in train)


def split_by_concept(rows: Sequence[VibeRow], test_fraction: float = 0.15, phrasing_fraction: float = 0.12,
                     seed: int = 13, min_test: int = 450) -> ConceptSplit:
    """Concept-grouped train / test split plus a phrasing test.

    The phrasing test takes, from a seeded ``phrasing_fraction`` of the training concepts that have at
    least three wordings, one wording that is not the bare request (``phrasing != "bare"``); the
    concept's remaining wordings stay in train.
    """
    if not 0 <= phrasing_fraction < 1:
        raise ValueError("phrasing_fraction must be between 0 and 1")
    train, test = split_rows(rows, test_fraction=test_fraction, seed=seed, min_test=min_test)
    groups: dict[str, list[VibeRow]] = defaultdict(list)
    for r in train:
        if r.concept:
            groups[group_key(r)].append(r)
    eligible = [k for k, g in groups.items() if len(g) >= 3 and any(r.phrasing != "bare" for r in g)]
    eligible.sort(key=lambda k: _order(seed + 1, k))
    held: set[int] = set()
    for key in eligible[:round(phrasing_fraction * len(eligible))]:
        variants = sorted((r for r in groups[key] if r.phrasing != "bare"),
                          key=lambda r: _order(seed + 2, r.intent))
        held.add(id(variants[0]))
    phrasing = [r for r in train if id(r) in held]
    train = [r for r in train if id(r) not in held]
    return ConceptSplit(train, test, phrasing)
