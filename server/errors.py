"""Bilingual API errors: every refusal is ``{"error": {"code", "message_zh", "message_en"}}`` with a 4xx.

``ApiError`` is raised by handlers; ``install_error_handlers`` maps it, FastAPI's validation
errors (422, or 400 for malformed JSON), Starlette's HTTP errors (404/405), a database that
cannot be reached (503: the kiosk retries its idempotent calls) and anything unexpected (500,
logged with its traceback, no details leaked) onto that body.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    code: str
    message_zh: str
    message_en: str


class ErrorBody(BaseModel):
    error: ErrorDetail


def error_body(code: str, message_zh: str, message_en: str) -> dict[str, Any]:
    return {"error": {"code": code, "message_zh": message_zh, "message_en": message_en}}


class ApiError(Exception):
    """A refusal with an HTTP status and a bilingual message."""

    def __init__(self, status_code: int, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"{status_code} {code}")
        self.status_code = status_code
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


def _doc(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


# Documented on every route so the OpenAPI schema (and schemathesis) know these answers.
COMMON_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _doc("Malformed JSON or request body"),
    413: _doc("Request body too large"),
    422: _doc("Invalid parameters"),
    503: _doc("Service unavailable"),
}
TERMINAL_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    **COMMON_ERROR_RESPONSES,
    401: _doc("Missing or invalid terminal token"),
    404: _doc("Unknown resource or session"),
    409: _doc("Conflict with the current state"),
}

_HTTP_MESSAGES: dict[int, tuple[str, str, str]] = {
    404: ("not_found", "请求的资源不存在", "Not found"),
    405: ("method_not_allowed", "不支持的请求方法", "Method not allowed"),
    413: ("body_too_large", "请求内容过大", "Request body too large"),
}


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(x) for x in loc if x not in ("body", "query", "path", "header"))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message_zh, exc.message_en), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse(
                error_body("malformed_json", "请求内容不是有效的 JSON", "The body is not valid JSON"), status_code=400
            )
        first = errors[0] if errors else {}
        field = _field_name(first.get("loc", ()))
        reason = str(first.get("msg", "invalid"))
        # Custom validators raise "Value error, <bilingual text>"; keep the Chinese part for residents.
        zh = f"参数 {field} 不正确" if field else "请求参数不正确"
        ctx_error = (first.get("ctx") or {}).get("error")
        if isinstance(ctx_error, ValueError) and len(ctx_error.args) == 2:
            zh, reason = f"{field}：{ctx_error.args[0]}", str(ctx_error.args[1])
        return JSONResponse(
            error_body("invalid_request", zh, f"{field}: {reason}" if field else reason), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, zh, en = _HTTP_MESSAGES.get(exc.status_code, ("http_error", "请求无法处理", str(exc.detail)))
        return JSONResponse(error_body(code, zh, en), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(DBAPIError)
    async def _database(_request: Request, exc: DBAPIError) -> JSONResponse:
        # A lost link (database restarted, failed over, network) or an unreachable server is
        # temporary: 503, which the kiosk retries; any other driver error is a fault of ours.
        if not (exc.connection_invalidated or isinstance(exc, OperationalError)):
            return await _unexpected(_request, exc)
        logger.warning("database unavailable", extra={"error": type(exc.orig).__name__})
        return JSONResponse(
            error_body("database_unavailable", "数据库暂时不可用，请稍后再试", "Database temporarily unavailable"),
            status_code=503,
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        logger.error("unhandled error", exc_info=exc)
        return JSONResponse(
            error_body("internal_error", "服务内部错误，请稍后再试", "Internal server error"), status_code=500
        )
