"""In `forge dev`'s emulation process, its own DynamoDB and Step Functions calls reach moto without a socket.

The state machines' executor, the node functions it invokes and the status watcher run beside moto in the emulation
process. Their boto3 calls to the local endpoint are handed to moto's backends in-process, the way moto's own
in-process mode (`mock_aws`) serves them: the same botocore serialisation and parsing, the same moto response classes
and backends the server would reach, routed once per URL (devserver/data_plane.py's MotoDispatch). What is skipped is
the HTTP in between. The API workers reach the same backends over the data plane's keep-alive connections; other
processes (tests, the AWS CLI) use the public port.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devserver.data_plane import MotoDispatch

# botocore's service id (as in its event names) → the endpoint prefix moto routes on.
SERVICES = {"dynamodb": "dynamodb", "sfn": "states"}


class InProcessDispatch:
    """A botocore `before-send` handler: answers requests for `endpoint_url` from moto's backends."""

    def __init__(self, endpoint_url: str, region: str, on_request: Callable[[str, str], None]) -> None:
        from devserver.data_plane import MotoDispatch

        self.moto = MotoDispatch()
        self.serve(endpoint_url, region, on_request)

    def serve(self, endpoint_url: str, region: str, on_request: Callable[[str, str], None]) -> None:
        """Answers for this endpoint from now on; `on_request` hears (HTTP method, X-Amz-Target) of each request,
        as the server's requests are reported."""
        self.endpoint_url = endpoint_url.rstrip("/")
        self.hosts = {service: f"https://{prefix}.{region}.amazonaws.com" for service, prefix in SERVICES.items()}
        self.on_request = on_request

    def __call__(self, request: Any, event_name: str, **_: Any) -> Any:
        host = self.hosts.get(event_name.split(".")[1])
        if host is None or not request.url.startswith(self.endpoint_url):
            return None
        from botocore.awsrequest import AWSResponse
        from moto.core.botocore_stubber import MockRawResponse

        request.url = host + request.url[len(self.endpoint_url) :]
        self.on_request(request.method, str(request.headers.get("X-Amz-Target", "")))
        answered = self.moto.process_request(request)
        if answered is None:
            raise RuntimeError(f"the emulation has no route for {request.method} {request.url}")
        status, headers, body = answered
        return AWSResponse(request.url, status, headers, MockRawResponse(body))


_installed: list[InProcessDispatch] = []


def install_inprocess_dispatch(endpoint_url: str, region: str, on_request: Callable[[str, str], None]) -> MotoDispatch:
    """boto3's default session and every botocore session made after this (PynamoDB's) dispatch in-process.
    Installed again (another emulation in the same process), the one handler serves the new endpoint. Returns the
    dispatch to moto's backends it uses, for the data plane to share."""
    import boto3
    from botocore.handlers import BUILTIN_HANDLERS

    if _installed:
        _installed[0].serve(endpoint_url, region, on_request)
        return _installed[0].moto
    dispatch = InProcessDispatch(endpoint_url, region, on_request)
    _installed.append(dispatch)
    BUILTIN_HANDLERS.append(("before-send", dispatch))
    if boto3.DEFAULT_SESSION is not None:
        boto3.DEFAULT_SESSION.events.register("before-send", dispatch)
    return dispatch.moto
