"""One pure-ASGI middleware for the gateway's cross-cutting concerns.

- request id: taken from ``X-Request-ID`` (if sane) or generated; echoed in the response and
  put in every log line of the request;
- body limit: a declared or streamed body larger than ``max_body_bytes`` gets 413 unread;
- fault switch (demo dock, tests): ``down`` answers 503 to everything, ``slow`` sleeps
  ``slow_seconds`` before serving;
- access log: method, path (never the query string: it may carry a verification code), status, ms.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from server.errors import error_body
from server.logs import request_id_var

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
FAULT_MODES = (None, "down", "slow")


class FaultState:
    """Shared, switchable fault mode (see ``EmbeddedServer.set_fault``)."""

    def __init__(self) -> None:
        self.mode: str | None = None
        self.slow_seconds: float = 8.0

    def set(self, mode: str | None, slow_seconds: float | None = None) -> None:
        if mode not in FAULT_MODES:
            raise ValueError(f"fault mode must be one of {FAULT_MODES}, got {mode!r}")
        self.mode = mode
        if slow_seconds is not None:
            self.slow_seconds = slow_seconds
        logger.warning("fault mode set", extra={"fault": str(mode)})


async def _send_json(send: Send, status: int, body: dict[str, Any], request_id: str) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"x-request-id", request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class GatewayMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int, faults: FaultState) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex[:16]
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status_holder = {"status": 0}
        try:
            if self.faults.mode == "down":
                status_holder["status"] = 503
                await _send_json(
                    send,
                    503,
                    error_body("service_down", "服务暂时不可用，请稍后再试", "Service temporarily unavailable"),
                    request_id,
                )
                return
            if self.faults.mode == "slow":
                await asyncio.sleep(self.faults.slow_seconds)
            declared = headers.get(b"content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
                status_holder["status"] = 413
                await _send_json(
                    send, 413, error_body("body_too_large", "请求内容过大", "Request body too large"), request_id
                )
                return
            # Read the (small, bounded) body up front so an oversized chunked upload is refused
            # here rather than surfacing as a parse error deep inside FastAPI.
            chunks: list[bytes] = []
            received = 0
            more = scope.get("method") not in ("GET", "HEAD", "DELETE", "OPTIONS")
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    return  # client went away
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > self.max_body_bytes:
                    status_holder["status"] = 413
                    await _send_json(
                        send, 413, error_body("body_too_large", "请求内容过大", "Request body too large"), request_id
                    )
                    return
                chunks.append(chunk)
                more = message.get("more_body", False)
            body_sent = False

            async def replay_receive() -> Message:
                nonlocal body_sent
                if not body_sent:
                    body_sent = True
                    return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
                return await receive()

            async def tracking_send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status_holder["status"] = message["status"]
                    message["headers"] = list(message.get("headers", [])) + [(b"x-request-id", request_id.encode())]
                await send(message)

            await self.app(scope, replay_receive, tracking_send)
        finally:
            logger.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status_holder["status"],
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)
