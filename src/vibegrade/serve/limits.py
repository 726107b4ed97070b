"""Memory bounds of the service: a budget for the images being decoded and graded at once.

A decoded image takes far more memory than its file (a 300 KB PNG of zeros can claim 100 megapixels),
so each upload's cost is estimated from its header before anything is decoded:
``pixels × BYTES_PER_PIXEL[bits]`` (measured peak of decode + render + encode, see docs/service.md).
An image whose cost is over the whole budget is refused (413); otherwise it waits for room, at most
``decode_wait_seconds``, among at most ``max_concurrent_decodes`` images in flight, and is answered 503
with ``Retry-After`` when no room came. So the memory the service spends on pixels stays under
``decode_memory_mb`` however many uploads arrive at once.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Iterator

__all__ = ["DecodeBudget", "DecodeBusy", "BYTES_PER_PIXEL", "decode_cost"]

BYTES_PER_PIXEL = {8: 52, 16: 96}
"""Peak bytes per pixel of grading one image (upload, decode, render with spatial tools, encode, answer) in
a real server process: 51 B for an 8-bit 49-megapixel JPEG (scripts/measure_memory.py: RSS 124 MB idle,
2621 MB peak); 16-bit images take about 1.8 times as much (measured in process: 53 B against 29 B)."""


def decode_cost(pixels: int, bits: int) -> int:
    """Estimated peak memory, in bytes, of grading an image of ``pixels`` pixels at ``bits`` per sample."""
    return pixels * BYTES_PER_PIXEL[16 if bits > 8 else 8]


class DecodeBusy(Exception):
    """No room in the budget came within the wait; ``retry_after`` is a suggested wait in seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"busy; retry after {retry_after} s")
        self.retry_after = retry_after


class DecodeBudget:
    """At most ``max_concurrent`` reservations whose costs add up to at most ``max_bytes``, thread-safe."""

    def __init__(self, max_bytes: int, max_concurrent: int, wait_seconds: float) -> None:
        if max_bytes <= 0 or max_concurrent < 1 or wait_seconds < 0:
            raise ValueError("decode budget: max_bytes > 0, max_concurrent >= 1 and wait_seconds >= 0")
        self.max_bytes = int(max_bytes)
        self.max_concurrent = int(max_concurrent)
        self.wait_seconds = float(wait_seconds)
        self._cond = threading.Condition()
        self._bytes = 0
        self._count = 0
        self.peak_bytes = 0
        self.peak_count = 0

    @property
    def in_use(self) -> tuple[int, int]:
        """``(reservations, bytes)`` held now."""
        with self._cond:
            return self._count, self._bytes

    def _fits(self, cost: int) -> bool:
        return self._count < self.max_concurrent and self._bytes + cost <= self.max_bytes

    @contextlib.contextmanager
    def reserve(self, cost: int) -> Iterator[None]:
        """Hold ``cost`` bytes of the budget for the ``with`` block.

        Raises:
            ValueError: ``cost`` alone is over the budget (it could never run).
            DecodeBusy: no room within ``wait_seconds``.
        """
        cost = max(0, int(cost))
        if cost > self.max_bytes:
            raise ValueError(f"cost {cost} is over the budget of {self.max_bytes} bytes")
        deadline = time.monotonic() + self.wait_seconds
        with self._cond:
            while not self._fits(cost):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise DecodeBusy(max(1, math.ceil(self.wait_seconds)))
                self._cond.wait(left)
            self._count += 1
            self._bytes += cost
            self.peak_count = max(self.peak_count, self._count)
            self.peak_bytes = max(self.peak_bytes, self._bytes)
        try:
            yield
        finally:
            with self._cond:
                self._count -= 1
                self._bytes -= cost
                self._cond.notify_all()
