"""One connection per table and credentials, knowing the indexes of every model that shares the table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest
from botocore.awsrequest import AWSResponse, HeadersDict
from botocore.useragent import UserAgentString
from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from shared.store.scoped_connections import TenantConnections


class _ByCreation(GlobalSecondaryIndex["_Tenant"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_creation"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class _Member(Model):
    class Meta:
        table_name = "shared-table"
        region = "us-east-1"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class _Tenant(Model):
    class Meta:
        table_name = "shared-table"
        region = "us-east-1"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_creation = _ByCreation()


def test_a_model_with_an_index_queries_it_even_when_a_model_without_came_first() -> None:
    # The order a worker process happened to serve requests in: a member read first, then the tenants list.
    connections = TenantConnections(None)
    first = connections.table(_Member._get_connection())
    second = connections.table(_Tenant._get_connection())
    meta = second.get_meta_table()
    assert first is second
    assert "by_creation" in {index["IndexName"] for index in meta.data["GlobalSecondaryIndexes"]}
    assert meta.get_index_hash_keyname("by_creation") == "gsi1pk"
    assert {"gsi1pk", "gsi1sk"} <= {attribute["AttributeName"] for attribute in meta.data["AttributeDefinitions"]}
    assert connections.table(_Member._get_connection()).get_meta_table().get_index_hash_keyname("by_creation")


def test_the_functions_dynamodb_calls_carry_one_user_agent_put_together_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a connection whose calls are answered before they are sent
    sent: list[str] = []

    def answer(request: Any, **_: Any) -> Any:
        sent.append(request.headers["User-Agent"].decode())
        body = _Body(b'{"Item": {"pk": {"S": "a"}, "sk": {"S": "b"}}}')
        return AWSResponse(request.url, 200, cast(Any, HeadersDict({})), cast(Any, body))

    connection = TenantConnections(None).table(_Member._get_connection())
    connection.connection.client.meta.events.register_first("before-send.dynamodb", answer)
    connection.get_item("a", "b")

    # When botocore's per-call builder of the header would fail
    def no_rebuild(*_: Any) -> Any:
        raise AssertionError("the User-Agent was built again from its parts")

    monkeypatch.setattr(UserAgentString, "_build_sdk_metadata", no_rebuild)
    item = connection.get_item("a", "b")

    # Then the calls still go, each with the same header: the session's (and what handlers add, e.g. Powertools')
    assert item["Item"]["sk"] == {"S": "b"}
    assert sent[0] == sent[1] and sent[0].startswith(connection.connection.session.user_agent())


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data
