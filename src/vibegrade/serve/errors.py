"""JSON errors of the service: ``{"error": {"code", "message"[, "field"]}}`` for every 4xx/5xx.

:class:`ApiError` is raised by endpoints; :func:`install_error_handlers` turns it (and FastAPI's own
validation and HTTP errors) into JSON; :class:`BodyLimitMiddleware` answers 413 before a too-large body
is parsed.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from vibegrade.media.errors import Corrupt, MediaError, TooLarge, UnsupportedFormat, WriteError

log = logging.getLogger("vibegrade.serve")

__all__ = ["ApiError", "ErrorDetail", "ErrorResponse", "ERRORS", "BodyLimitMiddleware",
           "install_error_handlers", "error_response", "too_large_message", "require_utf8_multipart",
           "MEDIA_ERRORS", "media_api_error"]


class ApiError(Exception):
    """An error answered as ``{"error": {"code", "message"[, "field"]}}`` with ``status``."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}


def _error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        err["field"] = field
    return {"error": err}


def error_response(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse(_error_body(code, message, field), status_code=status)


_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 408: "request_timeout", 413: "payload_too_large",
               415: "unsupported_media_type",
               409: "conflict", 422: "invalid_request", 429: "too_many_requests", 503: "unavailable"}


MEDIA_ERRORS: tuple[tuple[type[MediaError], int, str, str | None], ...] = (
    (TooLarge, 413, "image_too_large", "file"),
    (UnsupportedFormat, 415, "unsupported_media_type", "file"),
    (Corrupt, 422, "invalid_image", "file"),
    (WriteError, 422, "cannot_encode", None),
    (MediaError, 422, "invalid_image", "file"),
)
"""How an image's :class:`~vibegrade.media.errors.MediaError` is answered: the first row whose class matches
gives ``(status, code, field)``; errors about the uploaded file are prefixed ``file: ``."""


def media_api_error(e: MediaError, message: str | None = None) -> ApiError:
    """The :class:`ApiError` for a media error of an image request (see :data:`MEDIA_ERRORS`).

    ``message``: the text to show instead of ``str(e)`` (e.g. with server paths replaced by the upload's
    name).
    """
    msg = str(e) if message is None else message
    for cls, status, code, field in MEDIA_ERRORS:
        if isinstance(e, cls):
            return ApiError(status, code, f"{field}: {msg}" if field else msg, field)
    raise TypeError(f"not a media error: {e!r}")  # unreachable: the last row matches every MediaError


def too_large_message(limit: int) -> str:
    return f"upload is larger than the limit of {limit:,} bytes"


class _UploadTooLarge(Exception):
    pass


class _BodyTimeout(Exception):
    pass


class BodyLimitMiddleware:
    """Reject request bodies over ``limit`` bytes with 413, from Content-Length and while streaming.

    A pure ASGI middleware so the limit holds before FastAPI parses (and spools) a multipart body.
    """

    def __init__(self, app: Any, limit: int, body_timeout: float | None = None) -> None:
        self.app = app
        self.limit = limit
        self.body_timeout = body_timeout

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0:
                    await error_response(400, "bad_request", "invalid Content-Length header")(
                        scope, receive, send)
                    return
                if declared > limit:
                    await error_response(413, "payload_too_large", too_large_message(limit))(
                        scope, receive, send)
                    return
        state = {"received": 0, "too_large": False, "timed_out": False, "started": False, "body_done": False}
        timeout = self.body_timeout

        async def limited_receive() -> dict:
            if state["body_done"] or timeout is None:
                message = await receive()
            else:
                try:
                    message = await asyncio.wait_for(receive(), timeout)
                except TimeoutError:
                    state["timed_out"] = True
                    raise _BodyTimeout() from None
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if not message.get("more_body", False):
                    state["body_done"] = True
                if state["received"] > limit:
                    state["too_large"] = True
                    raise _UploadTooLarge()
            return message

        async def guarded_send(message: dict) -> None:
            if state["too_large"] or state["timed_out"]:
                return  # whatever the app made of the aborted body is replaced by our 413 / 408
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _UploadTooLarge:
            state["too_large"] = True
        except _BodyTimeout:
            state["timed_out"] = True
        if state["started"]:
            return
        if state["too_large"]:
            await error_response(413, "payload_too_large", too_large_message(limit))(scope, receive, send)
        elif state["timed_out"]:
            resp = error_response(408, "request_timeout",
                                  f"the request body stopped arriving for {timeout:g} s")
            resp.headers["Connection"] = "close"
            await resp(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        resp = error_response(exc.status, exc.code, exc.message, exc.field)
        for k, v in exc.headers.items():
            resp.headers[k] = v
        return resp

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        first_field = None
        for err in exc.errors():
            if err.get("type") == "json_invalid":  # loc is ("body", character offset): not a field
                pos = err.get("loc", ("body", "?"))[-1]
                detail = (err.get("ctx") or {}).get("error", "JSON decode error")
                parts.append(f"(body): malformed JSON at character {pos}: {detail}")
                first_field = first_field or "(body)"
                continue
            loc = [str(x) for x in err.get("loc", ())]
            if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
                loc = loc[1:]
            field = ".".join(loc) or "(body)"
            first_field = first_field or field
            msg = str(err.get("msg", "invalid value"))
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, "):]
            parts.append(f"{field}: {msg}")
        return error_response(422, "validation_error", "; ".join(parts) or "invalid request", first_field)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # The framework's own 400s are bodies it could not parse (bytes that are not UTF-8 JSON,
            # broken multipart); like every other bad body they are 422 (endpoints raise ApiError).
            detail = str(exc.detail).rstrip(".")
            if detail == "There was an error parsing the body":  # FastAPI's words for any failure
                detail = _body_parse_reason(exc.__cause__)
            return error_response(422, "malformed_body",
                                  f"(body): the request body cannot be parsed ({detail})", "(body)")
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        resp = error_response(exc.status_code, code, str(exc.detail))
        for k, v in (exc.headers or {}).items():
            resp.headers[k] = v
        return resp

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Last resort, so that no path answers a plain-text 500: a JSON 500 with an id to find the
        # traceback in the log (the details stay there, never in the answer).
        error_id = uuid.uuid4().hex[:16]
        log.error("internal error %s on %s %s", error_id, request.method, request.url.path,
                  exc_info=(type(exc), exc, exc.__traceback__))
        return error_response(500, "internal_error",
                              f"internal error (id {error_id}); the request was not completed")


def _body_parse_reason(cause: BaseException | None) -> str:
    """Why FastAPI could not parse a JSON body, from the exception it wrapped (no Python internals)."""
    if isinstance(cause, RecursionError):
        return "JSON is nested too deeply"
    if isinstance(cause, UnicodeDecodeError):
        return "JSON must be UTF-8 text"
    if isinstance(cause, ValueError):
        from vibegrade.schema import json_value_error

        return f"invalid JSON: {json_value_error(cause)}"
    return "JSON must be UTF-8 text; uploads must be multipart/form-data as documented"


def _strict_utf8_decode(src: bytes | bytearray, codec: str) -> str:
    try:
        return src.decode(codec)
    except (UnicodeDecodeError, LookupError):
        raise MultiPartException(f"multipart fields and file names must be {codec or 'utf-8'} text "
                                 "(bytes that are not valid text were sent)") from None


def require_utf8_multipart() -> None:
    """Make Starlette refuse multipart fields that are not valid text in their charset (UTF-8 unless the
    form says otherwise) instead of decoding them as Latin-1 behind our back (mojibake in the store).

    Starlette has no option for it, so its module-level decoder is replaced (idempotent); the parse error
    becomes our 422 ``malformed_body``. ``test_multipart_field_not_utf8_is_422`` fails if Starlette changes.
    """
    from starlette import formparsers

    if not hasattr(formparsers, "_user_safe_decode"):
        raise RuntimeError("starlette.formparsers._user_safe_decode is gone: update require_utf8_multipart")
    formparsers._user_safe_decode = _strict_utf8_decode



class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": ErrorResponse}
                                           for status in (413, 415, 422, 503)}
