"""How ``vibegrade serve`` runs uvicorn: timeouts and limits against slow or idle clients.

What uvicorn (0.30+, h11) offers and what we add:

* ``timeout_keep_alive``: an idle keep-alive connection is closed this many seconds after its last response.
* ``limit_concurrency``: over this many open connections or running requests, new requests get uvicorn's
  own ``503 Service Unavailable`` (plain text: it is answered before the app runs) and are closed.
* ``h11_max_incomplete_event_size``: request line plus headers larger than this are a 400.
* **No header read timeout**: uvicorn starts no timer on a new connection nor while a request's headers
  arrive, so a client that sends half a header line and idles keeps its connection (and a slot of
  ``limit_concurrency``) for as long as it likes. :class:`HeaderTimeoutH11Protocol` adds one: a connection
  is closed when a request's headers are not complete within ``header_timeout`` seconds of the
  connection opening or of the first byte of a following request.
* **No body read timeout** in uvicorn either: :class:`vibegrade.serve.errors.BodyLimitMiddleware` answers
  ``408`` when the body stops arriving for ``body_timeout_seconds`` (a setting of the app).

A reverse proxy in front (docs/service.md has an nginx example) is still the place for per-address limits
and TLS.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["HeaderTimeoutH11Protocol", "HEADER_TIMEOUT_ENV", "DEFAULT_HEADER_TIMEOUT_S", "uvicorn_options"]

HEADER_TIMEOUT_ENV = "VIBEGRADE_HEADER_TIMEOUT_SECONDS"
DEFAULT_HEADER_TIMEOUT_S = 10.0


def _configured_header_timeout(config: Any) -> float:
    value = getattr(config, "header_timeout", None)
    if value is None:
        value = os.environ.get(HEADER_TIMEOUT_ENV, "").strip() or DEFAULT_HEADER_TIMEOUT_S
    return float(value)


class HeaderTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus a header read timeout (see the module docstring).

    The timeout comes from ``config.header_timeout`` when set, else env ``VIBEGRADE_HEADER_TIMEOUT_SECONDS``
    (so that ``vibegrade serve --workers N`` passes it to every worker process), else 10 s.
    """

    def __init__(self, config: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.header_timeout = _configured_header_timeout(config)
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch_headers()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # between requests uvicorn's keep-alive timer applies; ours starts again with the next bytes
        self._cancel_header_timer()

    def _waiting_for_headers(self) -> bool:
        # IDLE: no complete request (line + headers) yet. A fresh connection counts from its start;
        # a kept-alive one only once the next request's first bytes came in (keep-alive covers the gap).
        return self.conn.their_state is h11.IDLE and self.cycle is None or (
            self.conn.their_state is h11.IDLE and bool(self.conn.trailing_data[0]))

    def _watch_headers(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        if self._waiting_for_headers():
            if self._header_timer is None:
                self._header_timer = self.loop.call_later(self.header_timeout, self._on_header_timeout)
        else:
            self._cancel_header_timer()

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _on_header_timeout(self) -> None:
        self._header_timer = None
        if self.transport is not None and not self.transport.is_closing() and self._waiting_for_headers():
            self.logger.debug("closing a connection whose request headers took over %.1f s",
                              self.header_timeout)
            self.transport.close()


def uvicorn_options(*, timeout_keep_alive: float, limit_concurrency: int | None, max_header_bytes: int,
                    graceful_shutdown: float | None = None) -> dict[str, Any]:
    """The keyword arguments ``vibegrade serve`` gives ``uvicorn.run`` / ``uvicorn.Config``."""
    return {"http": HeaderTimeoutH11Protocol, "timeout_keep_alive": timeout_keep_alive,
            "limit_concurrency": limit_concurrency, "h11_max_incomplete_event_size": max_header_bytes,
            "timeout_graceful_shutdown": graceful_shutdown}
