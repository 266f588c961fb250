"""Answers SageMaker Runtime `InvokeEndpoint` in `forge dev` for the local endpoints, each a handler in this process.

The handlers speak the platform's endpoint contract (shared/agents/providers/sagemaker.py): a request document in,
an answer document out, or `LocalEndpointFailure` for a non-2xx answer, which SageMaker reports as a ModelError with
the endpoint's status and body. One endpoint is built in, `nexus-forge-local-echo`: it answers the last user text,
so an agent node with `provider: sagemaker` runs without an account; devserver/sagemaker_hosting.py adds the trained
models' endpoints. The same handlers answer on the emulation's port (`wsgi`), for the API worker processes.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ClientError
from botocore.response import StreamingBody

EndpointHandler = Callable[[dict[str, Any]], dict[str, Any]]
ECHO_ENDPOINT = "nexus-forge-local-echo"
_EVENT = "before-call.sagemaker-runtime.InvokeEndpoint"
_UNIQUE_ID = "nexus-forge-local-sagemaker"
_INVOCATIONS = re.compile(r"/endpoints/[^/]+/invocations")


class LocalEndpointFailure(Exception):
    """A local endpoint's non-2xx answer: its HTTP status and JSON body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body


def echo_endpoint(request: dict[str, Any]) -> dict[str, Any]:
    """The contract's answer with the last user message's text."""
    texts = [
        block["text"]
        for message in request.get("messages", [])
        if message.get("role") == "user"
        for block in message.get("content", [])
        if "text" in block
    ]
    answer = texts[-1] if texts else ""
    return {
        "message": {"role": "assistant", "content": [{"text": answer}]},
        "stop_reason": "end_turn",
        "usage": {"input_tokens": sum(len(text.split()) for text in texts), "output_tokens": len(answer.split())},
    }


class LocalSageMakerEndpoints:
    """Endpoint name → handler; a botocore hook answers InvokeEndpoint for them instead of sending it."""

    def __init__(self, account: str, handlers: Mapping[str, EndpointHandler] | None = None) -> None:
        self.account = account
        self.handlers = dict(handlers if handlers is not None else {ECHO_ENDPOINT: echo_endpoint})

    def before_invoke_endpoint(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        content = self.invoke(_endpoint_of(params["url_path"]), params.get("body") or b"{}")
        parsed = {
            "Body": StreamingBody(io.BytesIO(content), len(content)),
            "ContentType": "application/json",
            "InvokedProductionVariant": "AllTraffic",
            "ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0},
        }
        return AWSResponse(params.get("url", ""), 200, HTTPHeaders(), None), parsed

    def invoke(self, endpoint: str, body: bytes) -> bytes:
        """The endpoint's answer to the request `body`, or the ClientError SageMaker Runtime answers."""
        handler = self.handlers.get(endpoint)
        if handler is None:
            raise _client_error("ValidationError", f"Endpoint {endpoint} of account {self.account} not found.", 400)
        try:
            answer = handler(json.loads(body))
        except LocalEndpointFailure as failure:
            raise _client_error(
                "ModelError",
                f'Received client error ({failure.status}) from primary with message "{json.dumps(failure.body)}".',
                424,
                OriginalStatusCode=failure.status,
                OriginalMessage=json.dumps(failure.body),
            ) from None
        return json.dumps(answer).encode()

    def wsgi(self, app: Any) -> Any:
        """`app` (the emulation's server) answering InvokeEndpoint for clients in other processes."""

        def serve(environ: dict[str, Any], start_response: Any) -> Any:
            path = str(environ.get("PATH_INFO", ""))
            if environ.get("REQUEST_METHOD") != "POST" or not _INVOCATIONS.fullmatch(path):
                return app(environ, start_response)
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            try:
                status, content = "200 OK", self.invoke(_endpoint_of(path), body)
                headers = [("Content-Type", "application/json"), ("x-Amzn-Invoked-Production-Variant", "AllTraffic")]
            except ClientError as error:
                code = error.response["ResponseMetadata"]["HTTPStatusCode"]
                status = f"{code} {HTTPStatus(code).phrase}"
                fields = {
                    key: value for key, value in error.response.items() if key not in ("Error", "ResponseMetadata")
                }
                content = json.dumps({"message": error.response["Error"]["Message"], **fields}).encode()
                headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", error.response["Error"]["Code"])]
            start_response(status, [*headers, ("Content-Length", str(len(content)))])
            return [content]

        return serve

    def install(self, session: boto3.Session | None = None) -> None:
        target = session or boto3._get_default_session()
        target.events.register(_EVENT, self.before_invoke_endpoint, unique_id=_UNIQUE_ID)  # type: ignore[arg-type]


def _endpoint_of(path: str) -> str:
    """The endpoint name in an InvokeEndpoint path, `/endpoints/<name>/invocations`."""
    return unquote(path.split("?", 1)[0].removeprefix("/endpoints/").rsplit("/invocations", 1)[0])


def _client_error(code: str, message: str, status: int, **fields: Any) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {
            "HTTPStatusCode": status,
            "RequestId": str(uuid.uuid4()),
            "HTTPHeaders": {},
            "RetryAttempts": 0,
        },
        **fields,
    }
    return ClientError(response, "InvokeEndpoint")
