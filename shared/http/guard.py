"""ASGI middleware every API runs behind: correlation ids, body limits, JSON-only bodies, no stack traces out."""

from __future__ import annotations

import json
import logging
import re
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.problem_handlers import problem_body
from shared.json_numbers import non_json_numbers
from shared.problems import PROBLEM_CONTENT_TYPE, problem_type

logger = logging.getLogger("nexus_forge.http")

CORRELATION_HEADER = "x-correlation-id"
_CORRELATION_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_BODY_METHODS = {"POST", "PUT", "PATCH"}


class _BodyTooLarge(Exception):
    pass


def _is_json_media_type(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


class RequestGuardMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await _GuardedExchange(self.app, self.max_body_bytes, scope, receive, send).run()


class _GuardedExchange:
    """One request through the guard: it tracks what was read and sent so it can still answer with a problem."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, scope: Scope, receive: Receive, send: Send) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.scope = scope
        self._receive = receive
        self._send = send
        self.headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        self.correlation_id = _correlation_id(scope, self.headers)
        scope.setdefault("state", {})["correlation_id"] = self.correlation_id
        self.path = scope.get("path", "/")
        self.response_started = False
        self.body_too_large = False
        self.received = 0
        self._replayed_body: list[Message] = []

    async def run(self) -> None:
        rejection = self._reject_before_reading()
        if rejection is not None:
            await self._send_problem(rejection)
            return
        try:
            if self._carries_json_body():
                rejection = await self._check_json_numbers()
                if rejection is not None:
                    await self._send_problem(rejection)
                    return
            await self.app(self.scope, self.receive, self.send_unless_too_large)
        except _BodyTooLarge:
            if not self.response_started:
                await self._send_problem(self._too_large())
        except Exception:
            logger.exception("unhandled error", extra={"correlation_id": self.correlation_id, "path": self.path})
            if self.response_started:
                raise
            await self._send_problem(_INTERNAL_ERROR)

    async def receive(self) -> Message:
        if self._replayed_body:
            return self._replayed_body.pop()
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.max_body_bytes:
                self.body_too_large = True
                raise _BodyTooLarge
        return message

    async def send_unless_too_large(self, message: Message) -> None:
        # The framework turns a failed body read into its own error; the caller should hear why it failed.
        if not self.body_too_large:
            await self.send(message)
        elif message["type"] == "http.response.start":
            await self._send_problem(self._too_large())

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.response_started = True
            correlation = (CORRELATION_HEADER.encode(), self.correlation_id.encode())
            message["headers"] = [*message.get("headers", []), correlation]
        await self._send(message)

    def _carries_json_body(self) -> bool:
        return self.scope["method"] in _BODY_METHODS and _is_json_media_type(self.headers.get("content-type", ""))

    async def _check_json_numbers(self) -> dict[str, Any] | None:
        """Reads the whole body (within the limit) and refuses numbers JSON does not have; the route then reads the
        same body from this exchange."""
        chunks: list[bytes] = []
        while True:
            message = await self.receive()
            if message["type"] != "http.request":
                self._replayed_body.append(message)
                return None
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        self._replayed_body.append({"type": "http.request", "body": body, "more_body": False})
        invalid = non_json_numbers(body)
        if not invalid:
            return None
        return {
            "type": problem_type("validation-error"),
            "title": "The request is not valid",
            "status": 422,
            "detail": "JSON has no NaN, Infinity or numbers beyond a double's range; send a finite number or a string",
            "invalid-params": [
                {"name": pointer, "reason": f"{literal} is not a JSON number"} for pointer, literal in invalid
            ],
        }

    def _reject_before_reading(self) -> dict[str, Any] | None:
        declared_length = self.headers.get("content-length")
        if declared_length is not None and declared_length.isdigit() and int(declared_length) > self.max_body_bytes:
            return self._too_large()
        has_body = declared_length not in (None, "0") or "chunked" in self.headers.get("transfer-encoding", "")
        content_type = self.headers.get("content-type", "")
        if self.scope["method"] in _BODY_METHODS and has_body and not _is_json_media_type(content_type):
            return {
                "type": problem_type("unsupported-media-type"),
                "title": "Unsupported media type",
                "status": 415,
                "detail": f"Send the body as application/json, not {content_type or 'no content type'}",
            }
        return None

    def _too_large(self) -> dict[str, Any]:
        return {
            "type": problem_type("payload-too-large"),
            "title": "Request body too large",
            "status": 413,
            "detail": f"The body exceeds the limit of {self.max_body_bytes} bytes",
            "max_bytes": self.max_body_bytes,
        }

    async def _send_problem(self, problem: dict[str, Any]) -> None:
        body = problem_body(
            status=problem["status"],
            type_uri=problem["type"],
            title=problem["title"],
            detail=problem.get("detail"),
            instance=self.path,
            correlation_id=self.correlation_id,
            extensions={
                key: value for key, value in problem.items() if key not in {"status", "type", "title", "detail"}
            },
        )
        payload = json.dumps(body, separators=(",", ":")).encode()
        await self.send(
            {
                "type": "http.response.start",
                "status": body["status"],
                "headers": [
                    (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await self.send({"type": "http.response.body", "body": payload})


_INTERNAL_ERROR: dict[str, Any] = {
    "type": problem_type("internal-error"),
    "title": "Internal server error",
    "status": 500,
    "detail": "The server failed to handle the request; quote the correlation id when reporting it.",
}


def _correlation_id(scope: Scope, headers: dict[str, str]) -> str:
    supplied = headers.get(CORRELATION_HEADER, "")
    if _CORRELATION_ID_PATTERN.match(supplied):
        return supplied
    request_id = getattr(scope.get("aws.context"), "aws_request_id", None)
    return str(request_id) if request_id else str(uuid.uuid4())
