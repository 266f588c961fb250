"""moto's DynamoDB stream records built without copying each image twice, for the emulation.

Every write to a table with a stream adds a record holding the item's images (a MODIFY both, old and new), built by
moto's `Item.to_json`, whose every map or list value is deep-copied and then each copied member replaced by a new
conversion of the original: each nested level is copied as many times as it is deep. The record is then sized as
moto sizes it, the length of its `dynamodb` part written as JSON by moto's own encoder, through a new encoder per
record. Here each image is converted in one walk (the same dicts, lists and values `to_json` gives) and sized by one
encoder kept for every record (the same text: `json.dumps` with moto's encoder class and no other option; no cycle
check, as the record is made of new dicts and lists only). Building a record of an execution record's size (about 30
attributes, nested maps) took ~190 us in moto's way and ~65 here (session 12, loaded machine). The size is still the
length of the text, written by the encoder in C: adding the same length up in Python without writing the text (each
string's escaped length, the separators) took as long as the encoder writing it (about 50 us for a 1.8 KB image).
The same record: tests/integration/test_dynamodb_stream_records.py builds records both ways over varied items.
Upstream note: moto 5.2.5's moto/dynamodb/models/table.py (`StreamRecord.__init__`) could convert each image once
(dynamo_type.py's `Item.to_json`, `DynamoType.to_regular_json`) and keep one encoder; no moto issue asks for it yet.
"""

from __future__ import annotations

import copy
from typing import Any

# What deepcopy gives back as it is: a map's, a list's or a set's members otherwise copied as moto copies them.
_ATOMIC = frozenset({str, bytes, bool, int, float, type(None)})
_installed = False
_moto: Any = None  # moto's table module and DynamoType, imported when installed


def install_dynamodb_stream_records() -> None:
    """Idempotent; call before the emulation serves requests."""
    global _installed, _moto, _encoder
    if _installed:
        return
    from moto.dynamodb.models import table as table_module
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.utilities import DynamoJsonEncoder

    _moto = (table_module, DynamoType)
    _encoder = DynamoJsonEncoder(check_circular=False)
    _build.__wrapped__ = table_module.StreamRecord.__init__  # type: ignore[attr-defined]
    table_module.StreamRecord.__init__ = _build  # type: ignore[method-assign]
    _installed = True


_encoder: Any = None


def _regular(value: Any) -> dict[str, Any]:
    """`value.to_regular_json()`: the same dicts and lists, the same atomic values."""
    inner = value.value
    if isinstance(inner, dict):
        return {value.type: {name: _member(member) for name, member in inner.items()}}
    if isinstance(inner, list):
        return {value.type: [_member(member) for member in inner]}
    return {value.type: inner if type(inner) in _ATOMIC else copy.deepcopy(inner)}


def _member(member: Any) -> Any:
    return _regular(member) if isinstance(member, _moto[1]) else copy.deepcopy(member)


def _image(item: Any) -> dict[str, Any]:
    """`item.to_json()["Attributes"]`: a map's or a list's members converted, any other value as it is held."""
    dynamo_type = _moto[1]
    attributes: dict[str, Any] = {}
    for name, attribute in item.attrs.items():
        inner = attribute.value
        if isinstance(inner, dict):
            attributes[name] = {attribute.type: {key: _regular(member) for key, member in inner.items()}}
        elif isinstance(inner, list):
            attributes[name] = {
                attribute.type: [_regular(member) if isinstance(member, dynamo_type) else member for member in inner]
            }
        else:
            attributes[name] = {attribute.type: inner}
    return attributes


def _build(self: Any, table: Any, stream_type: str, event_name: str, old: Any, new: Any, seq: int) -> None:
    """moto's `StreamRecord.__init__`, line for line but for the images and the encoder."""
    table_module = _moto[0]
    old_a = _image(old) if old is not None else {}
    new_a = _image(new) if new is not None else {}
    rec = old if old is not None else new
    keys = {table.hash_key_attr: rec.hash_key.to_json()}
    if table.range_key_attr is not None and rec is not None:
        keys[table.range_key_attr] = rec.range_key.to_json()
    dynamodb: dict[str, Any] = {
        "StreamViewType": stream_type,
        "ApproximateCreationDateTime": table_module.utcnow(),
        "SequenceNumber": str(seq),
        "SizeBytes": 1,
        "Keys": keys,
    }
    self.record = {
        "eventID": table_module.mock_random.uuid4().hex,
        "eventName": event_name,
        "eventSource": "aws:dynamodb",
        "eventVersion": "1.0",
        "awsRegion": "us-east-1",
        "dynamodb": dynamodb,
    }
    if stream_type in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES") and new is not None:
        dynamodb["NewImage"] = new_a
    if stream_type in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES") and old is not None:
        dynamodb["OldImage"] = old_a
    dynamodb["SizeBytes"] = len(_encoder.encode(dynamodb))
