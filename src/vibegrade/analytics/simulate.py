"""Simulated A/B traffic against a running vibegrade service (``vibegrade ab simulate``).

Each simulated user is a fresh HTTP client (so a fresh anonymous cookie and a sticky variant). A user
sends a look request to ``/v1/predict`` and, with the export probability of the variant it was served,
exports the project through ``/v1/projects/{id}/export``. The run is bounded by a number of users and
a time limit, stops by itself, and only talks to the local machine (loopback addresses): it is a test
tool, not a load generator for other hosts.
"""

from __future__ import annotations

import ipaddress
import random
import time
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlparse

__all__ = ["SimulationResult", "simulate_traffic", "check_loopback"]

INTENTS = ("golden hour", "the matrix", "cozy autumn evening", "wes anderson", "x-ray", "moody forest",
           "black and white", "summer vibes", "cyberpunk city at night", "make it brighter")


def check_loopback(base_url: str) -> None:
    """Raise ``ValueError`` unless ``base_url`` points at this machine (127.0.0.0/8, ::1 or localhost)."""
    host = urlparse(base_url).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ValueError(f"{base_url}: simulated traffic only goes to this machine (127.0.0.1, ::1 or localhost)")


@dataclass
class SimulationResult:
    users: int = 0
    predicts: int = 0
    exports: int = 0
    errors: int = 0
    by_variant: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0
    stopped_early: bool = False

    def to_dict(self) -> dict:
        return {"users": self.users, "predicts": self.predicts, "exports": self.exports,
                "errors": self.errors,
                "by_variant": self.by_variant, "seconds": round(self.seconds, 2),
                "stopped_early": self.stopped_early}


def simulate_traffic(base_url: str, export_prob: Mapping[str, float], *, users: int = 200, seed: int = 0,
                     concurrency: int = 4, time_limit_s: float = 120.0,
                     intents: Sequence[str] = INTENTS) -> SimulationResult:
    """Send ``users`` simulated users to the service; returns what was sent and exported per variant.

    ``export_prob`` maps variant names (``"none"`` when no experiment is active) to the probability that a
    user served that variant exports. Every user's anonymous id and random draws come from ``seed`` and the
    user index, so a run (variants, requests, exports) is reproducible whatever the thread scheduling.
    """
    import httpx

    check_loopback(base_url)
    if users < 1 or users > 100_000:
        raise ValueError("users must be within 1..100000")
    for v, p in export_prob.items():
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"export probability of {v!r} must be within 0..1")
    result = SimulationResult()
    deadline = time.monotonic() + time_limit_s
    t0 = time.monotonic()

    def one(i: int) -> tuple[str | None, bool, bool]:
        if time.monotonic() > deadline:
            return None, False, True
        rng = random.Random(f"{seed}:{i}")
        # a deterministic anonymous id per simulated user: reproducible variants, sticky like a browser cookie
        cookies = {"vg_uid": f"sim-{seed}-{i:06d}"}
        with httpx.Client(base_url=base_url, timeout=30.0, cookies=cookies) as client:
            try:
                r = client.post("/v1/predict", json={"intent": rng.choice(list(intents))})
                r.raise_for_status()
                body = r.json()
                variant = body.get("variant") or "none"
                exported = False
                if rng.random() < export_prob.get(variant, 0.0):
                    e = client.post(f"/v1/projects/{body['project_id']}/export",
                                    json={"event_id": str(uuid.UUID(int=rng.getrandbits(128))),
                                          "tools_kept": {"adjust": True, "selective_adjust": True,
                                                         "filter": True}})
                    e.raise_for_status()
                    exported = True
                return variant, exported, False
            except (httpx.HTTPError, ValueError, KeyError):
                return "__error__", False, False

    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, 32))) as pool:
        for variant, exported, late in pool.map(one, range(users)):
            if late:
                result.stopped_early = True
                continue
            if variant == "__error__":
                result.errors += 1
                continue
            assert variant is not None
            result.users += 1
            result.predicts += 1
            result.exports += exported
            tally = result.by_variant.setdefault(variant, {"started": 0, "exported": 0})
            tally["started"] += 1
            tally["exported"] += exported
    result.seconds = time.monotonic() - t0
    return result
