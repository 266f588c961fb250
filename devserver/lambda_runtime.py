"""Runs catalog handlers in-process for Lambda `Invoke` calls made against the local emulation."""

from __future__ import annotations

import importlib
import io
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ClientError
from botocore.response import StreamingBody

from shared.catalog import CATALOG, FunctionSpec, function_physical_name

_INVOKE_PATH_PREFIX = "/2015-03-31/functions/"
logger = logging.getLogger("nexus_forge.local.lambda")
# Runs an invocation in another process: (physical name, payload) → (result, function error or None).
InvokeElsewhere = Callable[[str, bytes], tuple[bytes, str | None]]


@dataclass
class LocalLambdaContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: int
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "local"
    client_context: Any = None
    identity: Any = None
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LocalLambdaRuntime:
    """Maps function names and ARNs to catalog entries and runs their real handlers."""

    def __init__(self, prefix: str, region: str, account: str) -> None:
        self.region = region
        self.account = account
        self._specs_by_physical_name = {function_physical_name(prefix, spec.name): spec for spec in CATALOG}
        self._handlers: dict[str, Callable[[Any, Any], Any]] = {}
        self._import_lock = threading.Lock()
        self._elsewhere: frozenset[str] = frozenset()
        self._invoke_elsewhere: InvokeElsewhere | None = None

    def run_elsewhere(self, functions: frozenset[str], invoke: InvokeElsewhere) -> None:
        """From now on the invocations of these catalog functions are run by `invoke` (physical name, payload →
        result, function error), another process's runtime (devserver/function_workers.py), not in this one."""
        self._elsewhere = functions
        self._invoke_elsewhere = invoke

    def function_arn(self, physical_name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{physical_name}"

    def resolve(self, function_name: str) -> tuple[str, FunctionSpec]:
        """Accepts a name, a full or partial ARN, with or without a qualifier, as Lambda does."""
        name = function_name
        if name.startswith("arn:"):
            name = name.split(":")[6]
        elif ":function:" in name:
            name = name.split(":function:", 1)[1]
        name = name.split(":", 1)[0]
        spec = self._specs_by_physical_name.get(name)
        if spec is None:
            raise ClientError(
                {
                    "Error": {
                        "Code": "ResourceNotFoundException",
                        "Message": f"Function not found: {self.function_arn(name)}",
                    },
                    "ResponseMetadata": {
                        "HTTPStatusCode": 404,
                        "RequestId": str(uuid.uuid4()),
                        "HostId": "",
                        "HTTPHeaders": {},
                        "RetryAttempts": 0,
                    },
                },
                "Invoke",
            )
        return name, spec

    def invoke(self, function_name: str, payload: bytes, invocation_type: str = "RequestResponse") -> dict[str, Any]:
        physical_name, spec = self.resolve(function_name)
        if spec.name in self._elsewhere and self._invoke_elsewhere is not None:
            return self._invoked_elsewhere(self._invoke_elsewhere, physical_name, payload, invocation_type)
        event = json.loads(payload) if payload else {}
        context = LocalLambdaContext(
            function_name=physical_name,
            invoked_function_arn=self.function_arn(physical_name),
            memory_limit_in_mb=spec.memory_mb,
            timeout_seconds=spec.timeout_seconds,
        )
        handler = self._handler(spec)
        if invocation_type == "Event":
            threading.Thread(target=self._run, args=(handler, event, context), daemon=True).start()
            return {"StatusCode": 202, "Payload": _body(b"")}
        result, function_error = self._run(handler, event, context)
        response: dict[str, Any] = {"StatusCode": 200, "ExecutedVersion": "$LATEST", "Payload": _body(result)}
        if function_error:
            response["FunctionError"] = function_error
        return response

    @staticmethod
    def _invoked_elsewhere(
        invoke: InvokeElsewhere,
        physical_name: str,
        payload: bytes,
        invocation_type: str,
    ) -> dict[str, Any]:
        if invocation_type == "Event":
            threading.Thread(target=invoke, args=(physical_name, payload), daemon=True).start()
            return {"StatusCode": 202, "Payload": _body(b"")}
        result, function_error = invoke(physical_name, payload)
        response: dict[str, Any] = {"StatusCode": 200, "ExecutedVersion": "$LATEST", "Payload": _body(result)}
        if function_error:
            response["FunctionError"] = function_error
        return response

    @staticmethod
    def _run(handler: Callable[[Any, Any], Any], event: Any, context: LocalLambdaContext) -> tuple[bytes, str | None]:
        try:
            return json.dumps(handler(event, context)).encode(), None
        except Exception as error:
            # The trace goes to the log only: Step Functions makes the error payload the task's cause, which
            # tenants read (shared/executions/causes.py).
            logger.exception("%s failed", context.function_name, extra={"correlation_id": context.aws_request_id})
            report = {
                "errorMessage": str(error),
                "errorType": type(error).__name__,
                "requestId": context.aws_request_id,
            }
            return json.dumps(report).encode(), "Unhandled"

    def _handler(self, spec: FunctionSpec) -> Callable[[Any, Any], Any]:
        with self._import_lock:
            if spec.name not in self._handlers:
                module = importlib.import_module(spec.handler_module)
                self._handlers[spec.name] = module.handler
            return self._handlers[spec.name]

    def before_invoke(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        """A botocore `before-call.lambda.Invoke` hook: answers the call instead of sending it."""
        path = params["url_path"].split("?", 1)[0]
        function_name = unquote(path[len(_INVOKE_PATH_PREFIX) :].rsplit("/invocations", 1)[0])
        invocation_type = params.get("headers", {}).get("X-Amz-Invocation-Type", "RequestResponse")
        body = params.get("body") or b""
        parsed = self.invoke(function_name, body if isinstance(body, bytes) else body.encode(), invocation_type)
        parsed["ResponseMetadata"] = {"HTTPStatusCode": parsed["StatusCode"], "HTTPHeaders": {}, "RetryAttempts": 0}
        return AWSResponse(params.get("url", ""), parsed["StatusCode"], HTTPHeaders(), None), parsed

    def install(self, session: boto3.Session | None = None) -> None:
        target = session or boto3._get_default_session()
        target.events.register(
            "before-call.lambda.Invoke",
            self.before_invoke,  # type: ignore[arg-type]
            unique_id="nexus-forge-local-lambda",
        )


def _body(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))
