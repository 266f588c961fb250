"""The workers' hot DynamoDB item calls handed to moto's response class without moto's generic request set-up.

For every request moto builds a werkzeug request, decodes its body, parses it as a query string, looks the region
and the account up, and then walks the operation's input shape in botocore's service model value by value
(`BaseResponse.setup_class`, `RequestParser`): 10.5% of the emulation's samples at c=32 (py-spy), for calls whose
body is already the JSON the handler reads. Here an item call's body is decoded once and converted by a parser
compiled once per operation from the same shapes, doing exactly what moto's JSON parser does (members the model does
not name and null members dropped, blobs base64-decoded, numbers converted); the handler gets the attributes
`setup_class` would give it, and moto's own `call_action` runs from there: the same action method, atomicity hooks,
expression caches, write-ahead log, stream records, serializer, errors and request id. A request this cannot set up
the way moto would (another content type or encoding, signed or naming an account, IAM authorization or the request
recorder on, a body that is not a JSON object, anything the conversion refuses) goes moto's own way.
Upstream: moto 5.2.5's moto/core/responses.py (`setup_class`) and moto/core/parse.py (`JSONParser`).
tests/integration/test_dynamodb_requests.py sends the same calls both ways and compares answers, items and streams.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlparse

# The item operations the workers send, answered here; any other goes through moto's own set-up.
FAST_OPERATIONS = frozenset(
    {"GetItem", "BatchGetItem", "PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "Query"}
)
_CONTENT_TYPE = "application/x-amz-json-1.0"
_TARGET_PREFIX = "DynamoDB_20120810."
# Headers whose presence changes how moto's set-up reads the request (case-insensitive names).
_SET_UP_BY_MOTO = frozenset({"authorization", "x-moto-account-id", "content-encoding"})

Converter = Callable[[Any], Any]


class ItemRequests:
    """Answers a worker's item call as moto's `DynamoHandler.dispatch` would, or None for moto's own path."""

    def __init__(self, host: str) -> None:
        """`host`: the URL the request is addressed to (https://dynamodb.<region>.amazonaws.com)."""
        from moto.core.responses import BaseResponse
        from moto.utilities.utils import get_partition

        self.host = host
        self.url = host.rstrip("/") + "/"
        self.parsed_url = urlparse(self.url)
        self.region = BaseResponse.region_regex.search(self.url).group(1)  # type: ignore[union-attr]
        self.partition = get_partition(self.region)

    def answer(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], Any] | None:
        target = _header(headers, "x-amz-target")
        if target is None or not target.startswith(_TARGET_PREFIX):
            return None
        action = target[len(_TARGET_PREFIX) :]
        if action not in FAST_OPERATIONS or _header(headers, "content-type") != _CONTENT_TYPE:
            return None
        if any(name.lower() in _SET_UP_BY_MOTO for name in headers) or not _moto_would_set_up_alike():
            return None
        try:
            text = body.decode("utf-8")
            document = json.loads(text)
        except ValueError:
            return None
        if type(document) is not dict or _names_an_action(text):
            return None
        try:
            params = request_parser(action)(document)
        except Exception:  # noqa: BLE001 - whatever moto's parser makes of it, moto's own path answers
            return None
        return self._call(action, headers, body, text, params)

    def _call(
        self, action: str, headers: dict[str, str], body: bytes, text: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, str], Any]:
        from moto.core.utils import utcnow
        from moto.dynamodb.responses import DynamoHandler
        from moto.iam.models import mark_account_as_visited
        from werkzeug.datastructures import Headers
        from werkzeug.http import http_date

        handler: Any = DynamoHandler()
        # What `setup_class` sets for a JSON-protocol POST to the service's root without a query string or form.
        handler.is_werkzeug_request = False
        handler.normalized_request = None
        handler.parsed_url = self.parsed_url
        handler.body = text
        handler.form_data = {}
        handler.raw_body = body
        handler.uri = self.url
        handler.path = "/"
        handler.raw_path = "/"
        handler.querystring = handler.data = {}
        handler.method = "POST"
        handler.region = self.region
        handler.partition = self.partition
        handler.uri_match = {}
        handler.headers = Headers(headers)
        handler.response_headers = {"server": "amazon.com", "date": http_date(utcnow())}
        handler.params = params
        handler.access_key = handler.get_access_key()
        handler.current_account = handler.get_current_account()
        mark_account_as_visited(
            account_id=handler.current_account,
            access_key=handler.access_key,
            service="dynamodb",
            region=self.region,
        )
        return handler.call_action()  # type: ignore[no-any-return]


def _header(headers: dict[str, str], lowered: str) -> str | None:
    value = headers.get(lowered)
    if value is not None:
        return value
    return next((value for name, value in headers.items() if name.lower() == lowered), None)


def _moto_would_set_up_alike() -> bool:
    """Neither IAM authorization (after moto's unauthenticated allowance) nor the request recorder is on."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.moto_api import recorder

    if ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT:
        return False
    return not recorder._user_enabled


def _names_an_action(text: str) -> bool:
    """moto reads the body as a query string too, and an `Action` field there would name the action instead of the
    target header. A JSON object's text is one field (its whole text) unless it holds an `&`."""
    return "&" in text and any(name == "Action" for name, _ in parse_qsl(text, keep_blank_values=True))


@functools.cache
def request_parser(action: str) -> Converter:
    """What moto's JSONParser makes of a decoded body for `action`, as one compiled function."""
    from moto.core.utils import get_service_model

    shape = get_service_model("dynamodb").operation_model(action).input_shape
    compiled: dict[str, Converter | None] = {}
    return _converter(shape, compiled) or _structure_copy


def _structure_copy(value: Any) -> Any:
    return value


def _converter(shape: Any, compiled: dict[str, Converter | None]) -> Converter | None:
    """A function converting a JSON value of `shape` as moto's JSONParser does; None where it keeps the value."""
    if shape.name in compiled:
        known = compiled[shape.name]
        # A shape still being compiled (recursive, as AttributeValue is) is reached through the table.
        return known if known is not _COMPILING else (lambda value: compiled[shape.name](value))  # type: ignore[misc]
    compiled[shape.name] = _COMPILING
    made = _make_converter(shape, compiled)
    compiled[shape.name] = made
    return made


def _compiling(value: Any) -> Any:
    raise AssertionError("a shape converter used before it was compiled")


_COMPILING: Converter = _compiling


def _make_converter(shape: Any, compiled: dict[str, Converter | None]) -> Converter | None:
    import base64

    from moto.core.parse import default_timestamp_parser

    kind = shape.type_name
    if kind == "structure":
        return _structure_converter(shape, compiled)
    if kind == "list":
        member = _converter(shape.member, compiled)
        if member is None:
            return list
        return lambda node: [member(item) for item in node]
    if kind == "map":
        key, value = _converter(shape.key, compiled), _converter(shape.value, compiled)
        return _map(key, value)
    if kind == "blob":
        return base64.b64decode
    if kind == "timestamp":
        return default_timestamp_parser
    if kind in ("float", "double"):
        return float
    if kind in ("integer", "long", "short", "byte"):
        return int
    return None  # strings, booleans: moto's parser keeps the value as it is


def _structure_converter(shape: Any, compiled: dict[str, Converter | None]) -> Converter | None:
    if shape.is_document_type:
        return None
    members = tuple(
        (member.serialization.get("name", name), name, _converter(member, compiled))
        for name, member in shape.members.items()
    )
    structure = _structure(members)
    return _attribute_value(structure) if shape.name == "AttributeValue" else structure


def _structure(members: tuple[tuple[str, str, Converter | None], ...]) -> Converter:
    def structure(value: Any) -> Any:
        if value is None:
            return None
        parsed = {}
        for json_name, name, convert in members:
            raw = value.get(json_name)
            if raw is not None:
                parsed[name] = raw if convert is None else convert(raw)
        return parsed

    return structure


def _map(key: Converter | None, value: Converter | None) -> Converter:
    def mapping(node: Any) -> Any:
        if key is None and value is None:
            return {name: item for name, item in node.items()}
        if key is None:
            return {name: value(item) for name, item in node.items()}  # type: ignore[misc]
        return {key(name): item if value is None else value(item) for name, item in node.items()}

    return mapping


# An attribute value's members moto's parser keeps as they are.
_SCALAR_ATTRIBUTES = frozenset({"S", "N", "BOOL", "NULL"})


def _attribute_value(structure: Converter) -> Converter:
    """Most attribute values are one string, number, boolean or null: kept as moto's parser keeps them."""

    def attribute_value(value: Any) -> Any:
        if type(value) is dict and len(value) == 1:
            ((member, raw),) = value.items()
            if member in _SCALAR_ATTRIBUTES and raw is not None:
                return {member: raw}
        return structure(value)

    return attribute_value
