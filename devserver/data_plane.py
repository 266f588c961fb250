"""The emulation's data plane: DynamoDB and Step Functions for `forge dev`'s API worker processes.

The API workers (devserver/api_workers.py) run the real handlers in their own processes; their DynamoDB and Step
Functions calls reach the emulation here, over keep-alive HTTP/1.1 connections on a private loopback port
(botocore's per-service endpoints `AWS_ENDPOINT_URL_DYNAMODB` and `AWS_ENDPOINT_URL_SFN` name it). moto's own server
(the emulation's public port) closes every connection and routes each request through its host inference and a
Flask app; here each request is handed to moto's backends exactly as the in-process dispatch does
(devserver/inprocess_dispatch.py): the same response classes and backends, the same atomicity and write-ahead log.
The same port carries the ends of executions between the workers (devserver/end_relay.py): `POST` an ended record
to `/forge/execution-ends/<tenant>/<execution>`, `GET` it with `?wait=<seconds>` (200 with the record, or 204).
"""

from __future__ import annotations

import functools
import inspect
import io
import logging
import os
import re
import socket
import string
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from devserver.data_plane_connections import MAX_LINE, Answer, ConnectionLoop, Reply, Request, Timer
from devserver.dynamodb_requests import FAST_OPERATIONS
from devserver.end_relay import ENDS_PATH, EndBoard
from devserver.stepfunctions_performance import KeptThreads

logger = logging.getLogger("nexus_forge.local")

# The X-Amz-Target prefix of each JSON-protocol service served here → the endpoint prefix moto routes on.
TARGET_PREFIXES = {"DynamoDB_20120810": "dynamodb", "AWSStepFunctions": "states"}
# botocore's per-service endpoint variables (by service id) a worker is given to reach this data plane.
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SFN")
# The calls the data plane's thread answers itself (`DataPlane.answers_at_once`); any other runs on a thread of its own.
_AT_ONCE_TARGETS = frozenset(
    [f"DynamoDB_20120810.{operation}" for operation in FAST_OPERATIONS]
    + [f"AWSStepFunctions.{action}" for action in ("StartExecution", "DescribeExecution", "StopExecution")]
)
# A thread that ran a call the data plane's thread does not answer itself waits this long for the next.
CALL_THREAD_IDLE_SECONDS = 10.0
_FAILED: Answer = (500, {}, b'{"__type":"InternalFailure"}')


# The botocore service ids (as in `choose-signer.<id>` events) whose calls a worker sends to the data plane.
DATA_PLANE_SERVICES = ("dynamodb", "sfn")


def unsigned(**_: Any) -> Any:
    """A `choose-signer` handler: the request goes unsigned."""
    import botocore

    return botocore.UNSIGNED


def send_data_plane_calls_unsigned() -> None:
    """A worker's DynamoDB and Step Functions calls go unsigned to the data plane, which, like moto, checks no
    signature (it routes by URL and target, and moto reads the account from the default when no credentials are
    named): SigV4 was 14% of a worker's CPU under webhook load (py-spy). The credentials a call would be signed with
    are still chosen as before (a tenant's assumed role for its data). Every call's User-Agent is put together from
    parts cleaned once, and the DynamoDB and Step Functions calls are sent by `DirectDataPlaneCalls` (but
    StartSyncExecution: `DirectStepFunctionsCalls`). For clients made after this; idempotent."""
    _clean_user_agent_parts_once()
    handlers: list[tuple[str, Callable[..., Any]]] = [
        (f"choose-signer.{service}", unsigned) for service in DATA_PLANE_SERVICES
    ]
    endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
    if endpoint and not any(isinstance(entry[1], DirectDataPlaneCalls) for entry in _builtin_handlers()):
        direct = DirectDataPlaneCalls(endpoint)
        handlers.append(("before-send.dynamodb", direct))
        if os.environ.get("AWS_ENDPOINT_URL_SFN") == endpoint:
            # On the same kept connection of the thread: one data-plane thread per worker thread, not two.
            handlers.append(("before-send.sfn", DirectStepFunctionsCalls(direct)))
    for handler in handlers:
        _register_everywhere(handler)


def _builtin_handlers() -> list[tuple[Any, ...]]:
    from botocore.handlers import BUILTIN_HANDLERS

    return BUILTIN_HANDLERS


def _register_everywhere(handler: tuple[str, Callable[..., Any]]) -> None:
    """On every botocore session made from now on, and on boto3's default session if it exists already."""
    import boto3

    if handler not in _builtin_handlers():
        _builtin_handlers().append(handler)
        if boto3.DEFAULT_SESSION is not None:
            boto3.DEFAULT_SESSION.events.register(*handler)


USER_AGENT_PARTS = 1024


def _clean_user_agent_parts_once() -> None:
    """botocore builds every request's User-Agent header again from its parts, cleaning each part character by
    character (`sanitize_user_agent_string_component`): 5% of a worker's CPU under webhook load (py-spy). The parts
    are a few names and versions, so each is cleaned once. Upstream: botocore/useragent.py. Idempotent."""
    from botocore import useragent

    clean = useragent.sanitize_user_agent_string_component
    if not hasattr(clean, "cache_info"):
        useragent.sanitize_user_agent_string_component = functools.lru_cache(maxsize=USER_AGENT_PARTS)(clean)


DATA_PLANE_READ_SECONDS = 60.0
DATA_PLANE_CONNECT_SECONDS = 3.0


class _Body:
    """A response body as botocore reads an HTTP response's (`stream()`)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


class DirectDataPlaneCalls:
    """A worker's `before-send` handler for its DynamoDB calls: each goes to the data plane on a connection kept per
    thread, written and read by hand, instead of through urllib3's pool and http.client, whose connection checks, URL
    parsing and email-package header parsing were a quarter of a worker's CPU under webhook load (py-spy). botocore
    still builds the request and parses the answer; what the data plane cannot answer comes back as the errors
    urllib3 would give botocore (its retries apply): a connection refused, closed without an answer, or an answer not
    read within DATA_PLANE_READ_SECONDS."""

    def __init__(self, endpoint_url: str) -> None:
        address = urlsplit(endpoint_url)
        self.endpoint_url = endpoint_url.rstrip("/")
        self.address = (address.hostname or "127.0.0.1", address.port or 80)
        self.host = address.netloc
        self._local = threading.local()

    def __call__(self, request: Any, **_: Any) -> Any:
        if not request.url.startswith(self.endpoint_url):
            return None
        from botocore.awsrequest import AWSResponse, HeadersDict

        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        path = request.url[len(self.endpoint_url) :] or "/"
        lines = [f"{request.method} {path} HTTP/1.1", f"Host: {self.host}"]
        for name, value in request.headers.items():
            if name.lower() not in ("host", "content-length"):
                lines.append(f"{name}: {value.decode('latin-1') if isinstance(value, bytes) else value}")
        lines.append(f"Content-Length: {len(body)}")
        message = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + bytes(body)
        status, headers, answer = self._exchange(message)
        return AWSResponse(request.url, status, cast(Any, HeadersDict(headers)), _Body(answer))

    def _exchange(self, message: bytes) -> tuple[int, dict[str, str], bytes]:
        from botocore.exceptions import ConnectionClosedError, ReadTimeoutError

        kept = getattr(self._local, "connection", None)
        connection = kept or self._connect()
        while True:
            try:
                connection[0].sendall(message)
                answered = _read_response(connection[1])
            except TimeoutError:
                self._close()
                raise ReadTimeoutError(endpoint_url=self.endpoint_url) from None
            except OSError:
                answered = None
            if answered is not None:
                return answered
            self._close()
            if connection is not kept:
                raise ConnectionClosedError(endpoint_url=self.endpoint_url)
            # A kept connection the data plane closed meanwhile: a new one, as urllib3's pool would open.
            connection = self._connect()

    def _connect(self) -> tuple[socket.socket, Any]:
        from botocore.exceptions import EndpointConnectionError

        try:
            connection = socket.create_connection(self.address, timeout=DATA_PLANE_CONNECT_SECONDS)
        except OSError as error:
            raise EndpointConnectionError(endpoint_url=self.endpoint_url, error=error) from None
        connection.settimeout(DATA_PLANE_READ_SECONDS)
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._local.connection = (connection, connection.makefile("rb"))
        return self._local.connection  # type: ignore[no-any-return]

    def _close(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            connection[1].close()
            connection[0].close()


SYNC_START_TARGET = "AWSStepFunctions.StartSyncExecution"


class DirectStepFunctionsCalls:
    """A worker's `before-send` handler for its Step Functions calls: sent by `direct` (the DynamoDB calls' handler,
    on the same kept connection of the thread), but StartSyncExecution: it answers when the run ends and is read for
    its caller's wait (the client's read timeout, shared/aws/clients.py), not for DATA_PLANE_READ_SECONDS, so it stays
    on urllib3."""

    def __init__(self, direct: DirectDataPlaneCalls) -> None:
        self.direct = direct

    def __call__(self, request: Any, **kwargs: Any) -> Any:
        target = request.headers.get("X-Amz-Target", b"")
        if (target.decode("latin-1") if isinstance(target, bytes) else target) == SYNC_START_TARGET:
            return None
        return self.direct(request, **kwargs)


def _read_response(stream: Any) -> tuple[int, dict[str, str], bytes] | None:
    """The status, headers and body of the next answer on a kept connection, or None if it closed first."""
    status_line = stream.readline(MAX_LINE)
    parts = status_line.split(None, 2)
    if len(parts) < 2:
        return None
    headers: dict[str, str] = {}
    while (line := stream.readline(MAX_LINE)) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip()] = value.strip()
    length = int(next((value for name, value in headers.items() if name.lower() == "content-length"), 0) or 0)
    body = stream.read(length)
    if len(body) < length:
        return None
    return int(parts[1]), headers, body


def bind_data_plane(host: str) -> tuple[socket.socket, str]:
    """A socket bound to a free port of `host`, and the endpoint URL the workers are given for it."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((host, 0))
    return listener, f"http://{host}:{listener.getsockname()[1]}"


class MotoDispatch:
    """moto's `BotocoreStubber.process_request` with its routing looked up once per URL instead of per request.

    moto matches every request's URL against the patterns of all its services (hundreds of regular expressions),
    then against its service's URL table, and only then calls the response class: the route of a URL never changes
    while the process runs (the backends' `urls` are class-level tables), so it is found once and kept. What the
    route does (the response class, the backend and its state) runs for every request, as before.
    """

    def __init__(self) -> None:
        self._routes: dict[str, Callable[..., Any] | None] = {}
        self._lock = threading.Lock()
        _look_actions_up_directly()

    def route(self, clean_url: str) -> Callable[..., Any] | None:
        route = self._routes.get(clean_url, _UNKNOWN)
        if route is _UNKNOWN:
            route = _find_route(clean_url)
            with self._lock:
                self._routes[clean_url] = route
        return route  # type: ignore[no-any-return]

    def process_request(self, request: Any) -> Any:
        """(status, headers, body) as moto's stubber answers, or None when no service serves the URL."""
        from moto.core.request import normalize_request
        from moto.moto_api import recorder
        from werkzeug.exceptions import HTTPException

        base, _, _ = request.url.partition("?")
        route = self.route(base)
        if route is None:
            return None
        normalized = moto_request(request.method, request.url, request.headers, request.body)
        if normalized is None:
            normalized = normalize_request(request)
        try:
            recorder._record_request(normalized)
            status, headers, body = route(normalized, normalized.raw_url, normalized.headers)
        except HTTPException as error:
            return error.code, error.get_headers(), error.get_body()
        return status, headers, body


_UNKNOWN: Any = object()


def moto_request(method: str, url: str, headers: Any, body: Any) -> Any:
    """The request moto's `Request.from_primitives` makes of a JSON-protocol call (a POST to the service's root, no
    query, a content type, a body), its WSGI environment written directly instead of by werkzeug's `EnvironBuilder`,
    which parsed the URL and the headers again and measured the body by seeking a stream: 47 → 9 µs of CPU a
    request (3-10% of the emulation's samples under webhook load, py-spy). None for any other request (moto builds
    it).
    tests/integration/test_emulation_caches.py compares both environments."""
    scheme, separator, address = url.partition("://")
    host, slash, path = address.partition("/")
    if not separator or scheme not in ("http", "https") or path or not slash or not host:
        return None
    if isinstance(body, str):
        body = body.encode()
    if not isinstance(body, bytes) or not body:
        return None  # (werkzeug sets no length for an empty body; moto adds it last)
    from moto.core.request import PRESERVED_HEADER_NAMES_ENVIRON_KEY, Request

    from_headers = _header_environ(headers)
    if from_headers is None or "CONTENT_TYPE" not in from_headers[0]:
        return None
    header_keys, preserved = from_headers
    server, colon, port = host.partition(":")
    # In werkzeug's order: the request's own keys, the body's type and length, the headers (Host's in place).
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "REQUEST_URI": "/",
        "RAW_URI": "/",
        "SERVER_NAME": server,
        "SERVER_PORT": port if colon else ("443" if scheme == "https" else "80"),
        "HTTP_HOST": host,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "CONTENT_TYPE": header_keys.pop("CONTENT_TYPE"),
        "CONTENT_LENGTH": str(len(body)),
    }
    environ.update(header_keys)
    request = Request(environ)
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = preserved
    return request


def _header_environ(headers: Any) -> tuple[dict[str, str], dict[str, str]] | None:
    """The WSGI keys of a request's headers as werkzeug writes them (Content-Length left to the body), and the names
    moto preserves; None for a repeated header (werkzeug joins them) or a name or value not plain text."""
    from moto.core.request import environ_key_for_header, should_preserve_original_header_name

    environ: dict[str, str] = {}
    preserved: dict[str, str] = {}
    seen: set[str] = set()
    for name, value in headers.items():
        lowered = name.lower()
        text = value.decode("utf-8") if isinstance(value, bytes) else value
        if lowered in seen or not name.isascii() or not isinstance(text, str):
            return None
        seen.add(lowered)
        if lowered in ("transfer-encoding", "content-length"):
            continue
        environ["CONTENT_TYPE" if lowered == "content-type" else f"HTTP_{name.upper().replace('-', '_')}"] = text
        if should_preserve_original_header_name(name):
            preserved[environ_key_for_header(name)] = name
    return environ, preserved


class _ActionNames:
    """Whether a response class has a method of a name, as `name in method_names_from_class(cls)` answers."""

    def __init__(self, response_class: type) -> None:
        self.response_class = response_class

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and inspect.isfunction(getattr(self.response_class, name, None))


def _look_actions_up_directly() -> None:
    """moto's `BaseResponse.call_action` lists every method of the response class (`inspect.getmembers`, a few
    hundred attributes) on every request, only to ask whether the action is one of them: 3% of the emulation's CPU
    under webhook load (py-spy). The same question is answered with one attribute lookup. Upstream: moto 5.2.5's
    moto/core/responses.py (`call_action`); no getmoto/moto issue yet. Idempotent."""
    import moto.core.responses as responses

    responses.method_names_from_class = _ActionNames  # type: ignore[attr-defined,assignment]
    responses.gen_amzn_requestid_long = _request_id  # type: ignore[attr-defined]
    responses.BaseResponse._enrich_response = staticmethod(_enriched)  # type: ignore[method-assign]


_REQUEST_ID_CHARACTERS = string.ascii_letters + string.digits


def _request_id(headerdict: dict[str, Any] | None = None) -> str:
    """moto's `gen_amzn_requestid_long`: 52 characters of letters and digits drawn from moto's random source (so
    seeding it still repeats them), in one draw instead of one call of `choice` a character (2% of a request's CPU).
    Upstream: moto 5.2.5's moto/moto_api/_internal/moto_random.py (`get_random_string`)."""
    from moto.moto_api._internal import mock_random

    request_id = "".join(mock_random.choices(_REQUEST_ID_CHARACTERS, k=52))
    if isinstance(headerdict, dict):
        headerdict["x-amzn-requestid"] = request_id
    return request_id


_XML_REQUEST_ID = re.compile(r"(?<=<RequestId>).*(?=<\/RequestId>)")


def _enriched(headers: dict[str, str], body: Any) -> tuple[dict[str, str], Any]:
    """moto's `BaseResponse._enrich_response` (the status as text, a request id, the id put into an XML body's
    RequestId), without searching a body that has no RequestId element: every JSON answer was scanned with a
    look-behind pattern (1% of a request's CPU). Upstream: moto 5.2.5's moto/core/responses.py."""
    if "status" in headers:
        headers["status"] = str(headers["status"])
    request_id = _request_id(headers)
    if isinstance(body, str) and "<RequestId>" in body:
        body = _XML_REQUEST_ID.sub(request_id, body)
    return headers, body


def _find_route(clean_url: str) -> Callable[..., Any] | None:
    """What moto's stubber would call for `clean_url` (no query string), or None if no service serves it."""
    import moto.backend_index as backend_index
    import moto.backends as backends
    from moto.core.base_backend import BackendDict
    from moto.core.config import passthrough_service, passthrough_url, service_whitelisted
    from moto.core.exceptions import ServiceNotWhitelisted
    from moto.core.models import DEFAULT_ACCOUNT_ID

    if passthrough_url(clean_url):
        return None
    for service, pattern in backend_index.backend_url_patterns:
        if not pattern.match(clean_url):
            continue
        if passthrough_service(service):
            return None
        if not service_whitelisted(service):
            raise ServiceNotWhitelisted(service)
        backend_dict = backends.get_backend(service)  # type: ignore[call-overload]
        if isinstance(backend_dict, BackendDict):
            regions = backend_dict[DEFAULT_ACCOUNT_ID]
            backend = regions["us-east-1"] if "us-east-1" in regions else regions["aws"]
        else:
            backend = backend_dict["global"]
        for url, method in backend.urls.items():
            if re.compile(url).match(clean_url):
                return method  # type: ignore[no-any-return]
    return None


class DataPlane:
    """Serves moto's DynamoDB and Step Functions backends over keep-alive HTTP on a socket already bound."""

    def __init__(
        self,
        region: str,
        on_request: Callable[[str, str], None],
        dispatch: MotoDispatch,
        ends: EndBoard | None = None,
    ) -> None:
        self.hosts = {target: f"https://{prefix}.{region}.amazonaws.com" for target, prefix in TARGET_PREFIXES.items()}
        self.on_request = on_request
        self.dispatch = dispatch
        self.ends = ends if ends is not None else EndBoard()
        self._item_requests: Any = None
        self._loop: ConnectionLoop | None = None
        self._listener: socket.socket | None = None
        self._call_threads = KeptThreads(CALL_THREAD_IDLE_SECONDS)

    def start(self, listener: socket.socket) -> None:
        """Serves on `listener`, a bound socket (see `bind_data_plane`)."""
        listener.listen(128)
        self._listener = listener
        self._loop = ConnectionLoop(self.serve, "aws-data-plane")
        self._loop.start(listener)

    def stop(self) -> None:
        """Closes the listener and every connection; a call still running on a thread is not answered."""
        if self._loop is not None:
            self._loop.stop()
            self._loop = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def serve(self, request: Request, reply: Reply) -> None:
        """Answers a request on the data plane's thread if it cannot block (`answers_at_once`), waits for an end
        without a thread, and hands any other call to a thread of its own (StartSyncExecution runs the whole
        execution, and a call not known here might wait as long)."""
        method, path, headers, _ = request
        if path.startswith(ENDS_PATH) and method != "POST":
            self._wait_for_end(path, reply)
        elif self.answers_at_once(method, path, headers):
            reply(self._answer_or_fail(request))
        else:
            self._call_threads.run(lambda: reply(self._answer_or_fail(request)))

    def answers_at_once(self, method: str, path: str, headers: dict[str, str]) -> bool:
        """An end's publication, the item calls of the fast path (or moto's, for a call set up otherwise) and the
        Step Functions calls that only start, read or stop an execution: none of them waits for anything but the
        item lock, which runs DynamoDB's item operations one at a time anyway."""
        return (method == "POST" and path.startswith(ENDS_PATH)) or headers.get("X-Amz-Target") in _AT_ONCE_TARGETS

    def _answer_or_fail(self, request: Request) -> Answer:
        method, path, headers, body = request
        try:
            return self.answer(method, path, headers, body)
        except Exception:
            logger.exception("the data plane failed to answer %s", headers.get("X-Amz-Target"))
            return _FAILED

    def _wait_for_end(self, path: str, reply: Reply) -> None:
        """A wait for an end (GET ?wait=<seconds>), answered by the data plane's thread when the end is published or
        the wait is over."""
        addressed = _end_address(path)
        if addressed is None:
            reply((404, {}, b""))
            return
        key, query = addressed
        try:
            wait = _waited_seconds(query)
        except ValueError:
            logger.exception("the data plane failed to answer a wait for the end of %s", key[1])
            reply(_FAILED)
            return
        _EndWait(self.ends, reply.loop, key, reply).start(wait)

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        from botocore.awsrequest import AWSPreparedRequest

        if path.startswith(ENDS_PATH):
            return self.publish_end(method, path, body)

        target = headers.get("X-Amz-Target", "")
        host = self.hosts.get(target.partition(".")[0])
        if host is None:
            return 400, {}, b'{"__type":"UnknownOperationException","message":"not served by the data plane"}'
        self.on_request(method, target)
        if method == "POST" and path == "/" and (items := self._items(host)) is not None:
            fast = items.answer(headers, body)
            if fast is not None:
                return _answered(fast)
        request = AWSPreparedRequest(method, host + path, headers, body, stream_output=False)  # type: ignore[arg-type]
        answered = self.dispatch.process_request(request)
        if answered is None:
            return 404, {}, b'{"__type":"UnknownOperationException"}'
        return _answered(answered)

    def _items(self, host: str) -> Any:
        """The fast path for DynamoDB item calls (devserver/dynamodb_requests.py), when moto routes `host`'s root to
        its DynamoDB response class; None otherwise."""
        if self._item_requests is None:
            from moto.dynamodb.responses import DynamoHandler

            from devserver.dynamodb_requests import ItemRequests

            dynamodb = self.hosts["DynamoDB_20120810"]
            route = self.dispatch.route(dynamodb + "/")
            routed = getattr(route, "__func__", None) is getattr(DynamoHandler.dispatch, "__func__", ())
            self._item_requests = ItemRequests(dynamodb) if routed else False
        return self._item_requests if self._item_requests and host == self._item_requests.host else None

    def publish_end(self, method: str, path: str, body: bytes) -> Answer:
        """Publishes an ended record (POST); a wait for one is `serve`'s (`_wait_for_end`), which holds no thread."""
        addressed = _end_address(path)
        if addressed is None:
            return 404, {}, b""
        if method != "POST":
            return 405, {"Allow": "POST"}, b""
        self.ends.publish(addressed[0], body)
        return 204, {}, b""


def _end_address(path: str) -> tuple[tuple[str, str], str] | None:
    """The (tenant, execution) an end's path names and its query, or None if it names no execution."""
    address = urlsplit(path)
    tenant_id, _, execution_id = address.path[len(ENDS_PATH) :].partition("/")
    return ((tenant_id, execution_id), address.query) if tenant_id and execution_id else None


def _waited_seconds(query: str) -> float:
    return float(parse_qs(query).get("wait", ["0"])[0])


def _answered(answered: tuple[int, Any, Any]) -> Answer:
    status, response_headers, response_body = answered
    if isinstance(response_body, str):
        response_body = response_body.encode()
    return status, dict(response_headers), response_body or b""


class _EndWait:
    """One request's wait for an end on the data plane's thread: answered with the record when it is published (on
    whichever thread publishes it) or, when the wait is over, with whatever the board holds then."""

    def __init__(self, board: EndBoard, loop: ConnectionLoop, key: tuple[str, str], reply: Reply) -> None:
        self.board = board
        self.loop = loop
        self.key = key
        self.reply = reply
        self.timer: Timer | None = None
        self.notify = self.published  # one bound method, so the board can tell it from the others

    def start(self, wait: float) -> None:
        ended = self.board.notify_when_ended(self.key, self.notify)
        if ended is not None:
            self.reply(_ended_answer(ended))
        else:
            self.timer = self.loop.call_later(wait, self.finish)

    def published(self) -> None:
        self.loop.call_soon(self.finish)

    def finish(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.reply(_ended_answer(self.board.stop_notifying(self.key, self.notify)))


def _ended_answer(ended: bytes | None) -> Answer:
    return (200, {"Content-Type": "application/json"}, ended) if ended is not None else (204, {}, b"")
