"""The data plane's connections served by one thread that selects over them (devserver/data_plane_connections.py):
what a worker on the other end of a connection notices: each connection's answers come back whole and in order, and
no connection (a slow one, one waiting for an end, one closed mid-request) holds up another."""

from __future__ import annotations

import select
import socket
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from devserver.data_plane import DataPlane, MotoDispatch, _read_response, bind_data_plane
from devserver.emulation import LOCAL_REGION, EmulationChanges
from devserver.end_relay import EndBoard

pytestmark = pytest.mark.usefixtures("emulated_aws")

Answered = tuple[int, dict[str, str], bytes]


class Plane:
    def __init__(self) -> None:
        self.listener, self.url = bind_data_plane("127.0.0.1")
        self.address = self.listener.getsockname()
        self.plane = DataPlane(LOCAL_REGION, EmulationChanges().request, MotoDispatch(), EndBoard())
        self.plane.start(self.listener)

    def connect(self, receive_buffer: int | None = None) -> Connection:
        connection = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer is not None:
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        connection.settimeout(30)
        connection.connect(self.address)
        return Connection(connection)


class Connection:
    def __init__(self, connection: socket.socket) -> None:
        self.socket = connection
        self.stream = connection.makefile("rb")

    def send(self, *requests: bytes) -> None:
        self.socket.sendall(b"".join(requests))

    def answer(self) -> Answered | None:
        return _read_response(self.stream)

    def nothing_came_back(self) -> bool:
        return not select.select([self.socket], [], [], 0)[0]

    def close(self) -> None:
        self.stream.close()
        self.socket.close()


def publish(execution: str, record: bytes) -> bytes:
    return request("POST", f"/forge/execution-ends/t-1/{execution}", record)


def wait_for(execution: str, seconds: float) -> bytes:
    return request("GET", f"/forge/execution-ends/t-1/{execution}?wait={seconds}")


def request(method: str, path: str, body: bytes = b"", *headers: str) -> bytes:
    head = [f"{method} {path} HTTP/1.1", "Host: plane", *headers, f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def dynamodb_call(action: str, body: str) -> bytes:
    return request(
        "POST",
        "/",
        body.encode(),
        f"X-Amz-Target: DynamoDB_20120810.{action}",
        "Content-Type: application/x-amz-json-1.0",
    )


@pytest.fixture
def plane() -> Iterator[Plane]:
    started = Plane()
    yield started
    started.plane.stop()


def make_table(plane: Plane) -> str:
    dynamodb = boto3.client("dynamodb", endpoint_url=plane.url, region_name=LOCAL_REGION)
    table = f"conn-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return table


def test_many_connections_at_once_each_get_their_own_answers_in_the_order_they_asked(plane: Plane) -> None:
    # Given 40 connections, each sending at once a call run on a thread (ListTables), an end's publication and two
    # waits for ends already published
    table = make_table(plane)
    connections = [plane.connect() for _ in range(40)]
    for number, connection in enumerate(connections):
        connection.send(
            dynamodb_call("ListTables", "{}"),
            publish(f"e-{number}", f"record {number}".encode()),
            wait_for(f"e-{number}", 30),
            dynamodb_call("GetItem", f'{{"TableName": "{table}", "Key": {{"pk": {{"S": "none"}}}}}}'),
        )

    # When every connection reads its answers
    answers = [[connection.answer() for _ in range(4)] for connection in connections]

    # Then each connection got its own, in the order it asked
    for number, (tables, published, ended, item) in enumerate(answers):
        assert tables is not None and table.encode() in tables[2]
        assert published == (204, {"Content-Length": "0"}, b"")
        assert ended == (
            200,
            {"Content-Type": "application/json", "Content-Length": str(len(f"record {number}"))},
            f"record {number}".encode(),
        )
        assert item is not None and item[0] == 200 and item[2] == b"{}"


def test_an_answer_is_framed_as_before_and_a_closing_request_closes_its_connection(plane: Plane) -> None:
    connection = plane.connect()

    connection.send(
        publish("e-frame", b"{}"), request("GET", "/forge/execution-ends/t-1/e-frame", b"", "Connection: close")
    )

    everything = b""
    while chunk := connection.socket.recv(1024):
        everything += chunk
    assert everything == (
        b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
    )


def test_a_request_sent_in_pieces_holds_up_no_other_connection(plane: Plane) -> None:
    # Given a connection that has sent half of a request
    slow, quick = plane.connect(), plane.connect()
    whole = publish("e-pieces", b'{"status": "SUCCEEDED"}')
    slow.send(whole[:40])

    # When another connection asks meanwhile
    quick.send(publish("e-quick", b"{}"), wait_for("e-quick", 0))
    answers = [quick.answer(), quick.answer()]

    # Then it is answered, and the first connection's request once its last piece comes
    assert [answer[0] for answer in answers if answer is not None] == [204, 200]
    assert slow.nothing_came_back()
    slow.send(whole[40:], wait_for("e-pieces", 0))
    assert [slow.answer(), slow.answer()] == [
        (204, {"Content-Length": "0"}, b""),
        (200, {"Content-Type": "application/json", "Content-Length": "23"}, b'{"status": "SUCCEEDED"}'),
    ]


def test_a_long_wait_for_an_end_holds_up_no_item_call_and_ends_with_the_end(plane: Plane) -> None:
    # Given a worker's delivery waiting up to 60 s for an end on one connection
    table = make_table(plane)
    waiting = plane.connect()
    waiting.send(wait_for("e-long", 60))
    dynamodb = boto3.client("dynamodb", endpoint_url=plane.url, region_name=LOCAL_REGION)

    # When other calls come meanwhile, then the end is published
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    item = dynamodb.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"]
    still_waiting = waiting.nothing_came_back()
    publisher = plane.connect()
    publisher.send(publish("e-long", b'{"ended": true}'))

    # Then they were answered while it waited, and the wait is answered with the end
    assert item == {"pk": {"S": "a"}, "n": {"N": "1"}}
    assert still_waiting
    assert publisher.answer() == (204, {"Content-Length": "0"}, b"")
    assert waiting.answer() == (200, {"Content-Type": "application/json", "Content-Length": "15"}, b'{"ended": true}')


def test_a_wait_for_an_end_never_published_is_answered_without_it_when_it_is_over(plane: Plane) -> None:
    connection = plane.connect()

    connection.send(wait_for("e-never", 0.05), publish("e-after", b"{}"))

    assert [connection.answer(), connection.answer()] == [
        (204, {"Content-Length": "0"}, b""),
        (204, {"Content-Length": "0"}, b""),
    ]


def test_a_client_closing_mid_request_leaves_the_data_plane_serving_and_its_request_not_applied(plane: Plane) -> None:
    # Given one client that closes half-way through an end's publication and one that sends no request line
    cut = plane.connect()
    cut.send(publish("e-cut", b'{"status": "SUCCEEDED"}')[:-5])
    cut.close()
    garbled = plane.connect()
    garbled.send(b"NOT A REQUEST LINE\r\n\r\n")

    # When another client asks for that end
    other = plane.connect()
    other.send(wait_for("e-cut", 0))

    # Then it is answered: the cut publication was not applied, and the garbled connection was closed unanswered
    assert other.answer() == (204, {"Content-Length": "0"}, b"")
    assert garbled.answer() is None


def test_a_reader_that_does_not_read_its_answer_holds_up_no_other_connection(plane: Plane) -> None:
    # Given an end of 16 MB asked for on a connection whose reader reads nothing yet
    record = b"x" * (16 << 20)
    publisher = plane.connect()
    publisher.send(publish("e-big", record))
    assert publisher.answer() == (204, {"Content-Length": "0"}, b"")
    slow = plane.connect(receive_buffer=4096)
    slow.send(wait_for("e-big", 0))

    # When another connection asks meanwhile
    quick = plane.connect()
    quick.send(publish("e-small", b"{}"), wait_for("e-small", 0))

    # Then it is answered, and the slow reader gets the whole record when it reads
    assert [quick.answer(), quick.answer()] == [
        (204, {"Content-Length": "0"}, b""),
        (200, {"Content-Type": "application/json", "Content-Length": "2"}, b"{}"),
    ]
    answered = slow.answer()
    assert answered is not None and answered[0] == 200 and answered[2] == record


def data_plane_threads() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if thread.name == "aws-data-plane"}


def test_stop_closes_every_connection_and_ends_the_data_planes_thread() -> None:
    others = data_plane_threads()
    for _ in range(3):
        # Given a data plane with an idle connection and one waiting for an end
        started = Plane()
        idle, waiting = started.connect(), started.connect()
        waiting.send(wait_for("e-stop", 60))
        idle.send(publish("e-other", b"{}"))
        assert idle.answer() is not None

        # When it stops
        started.plane.stop()

        # Then both connections are closed, nothing accepts any more and its thread has ended
        assert idle.answer() is None and waiting.answer() is None
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(started.address, timeout=5)
        assert data_plane_threads() == others


def test_a_call_left_to_moto_on_a_thread_is_answered_as_before(plane: Plane) -> None:
    connection = plane.connect()

    connection.send(
        request("POST", "/", b"{}", "X-Amz-Target: Unknown_2020.Call"),
        request(
            "POST",
            "/",
            b"{}",
            "X-Amz-Target: DynamoDB_20120810.DispatchEverything",
            "Content-Type: application/x-amz-json-1.0",
        ),
    )
    answers: list[Any] = [connection.answer(), connection.answer()]

    refusal = b'{"__type":"UnknownOperationException","message":"not served by the data plane"}'
    assert answers[0] == (400, {"Content-Length": str(len(refusal))}, refusal)
    assert answers[1][0] == 500
