"""The emulation's per-call work done once, never a stale answer: the data plane's routes kept per URL (over one
keep-alive connection), ASL parse trees kept per definition text (an updated definition or another version runs as
it is written; executions of one definition never share their running state)."""

from __future__ import annotations

import inspect
import json
import socket
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import botocore.handlers
import httpx
import pytest
from botocore.config import Config

from devserver.data_plane import DataPlane, MotoDispatch, bind_data_plane, send_data_plane_calls_unsigned
from devserver.emulation import LOCAL_ACCOUNT, LOCAL_REGION, LOCAL_ROLE_ARN, EmulationChanges

pytestmark = pytest.mark.usefixtures("emulated_aws")


def pass_result(value: object) -> str:
    return json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "Result": value, "End": True}}})


PARALLEL = json.dumps(
    {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "End": True,
                "Branches": [
                    {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "Result": "left", "End": True}}},
                    {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "Result": "right", "End": True}}},
                ],
            }
        },
    }
)


def finished_output(sfn: Any, execution_arn: str) -> object:
    deadline = time.monotonic() + 30
    while (described := sfn.describe_execution(executionArn=execution_arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not end"
        time.sleep(0.02)
    assert described["status"] == "SUCCEEDED", described
    return json.loads(described["output"])


def run(sfn: Any, arn: str) -> object:
    return finished_output(sfn, sfn.start_execution(stateMachineArn=arn, name=uuid.uuid4().hex)["executionArn"])


def test_an_updated_definition_and_each_published_version_run_as_written() -> None:
    sfn = boto3.client("stepfunctions", region_name=LOCAL_REGION)
    created = sfn.create_state_machine(
        name=f"cache-{uuid.uuid4().hex[:8]}", definition=pass_result(1), roleArn=LOCAL_ROLE_ARN, publish=True
    )
    machine, first_version = created["stateMachineArn"], created["stateMachineVersionArn"]
    assert run(sfn, machine) == 1

    second_version = sfn.update_state_machine(stateMachineArn=machine, definition=pass_result(2), publish=True)[
        "stateMachineVersionArn"
    ]

    assert run(sfn, machine) == 2
    assert run(sfn, second_version) == 2
    assert run(sfn, first_version) == 1


# Waits while its input says so: an execution that is still running when the test starts others with its name.
WAITING_OR_NOT = json.dumps(
    {
        "StartAt": "Which",
        "States": {
            "Which": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.wait", "BooleanEquals": True, "Next": "Wait"}],
                "Default": "Done",
            },
            "Wait": {"Type": "Wait", "Seconds": 300, "End": True},
            "Done": {"Type": "Pass", "End": True},
        },
    }
)


def name_check_outcome(check: Any, machine: Any, name: str, execution_input: str) -> object:
    """What a StartExecution name check answers: no execution, the running one it is, or the refusal it raises."""
    from moto.stepfunctions.exceptions import ExecutionAlreadyExists

    try:
        found = check(machine, name, execution_input)
    except ExecutionAlreadyExists as refused:
        return ("refused", refused.message)
    return None if found is None else ("same execution", found.execution_arn)


def test_a_name_in_use_is_answered_as_motos_walk_over_every_execution_answers_it() -> None:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    from devserver import stepfunctions_performance

    sfn = boto3.client("stepfunctions", region_name=LOCAL_REGION)
    arn = sfn.create_state_machine(
        name=f"names-{uuid.uuid4().hex[:8]}", definition=WAITING_OR_NOT, roleArn=LOCAL_ROLE_ARN
    )["stateMachineArn"]
    waiting, not_waiting = json.dumps({"wait": True}), json.dumps({"wait": False})
    running = sfn.start_execution(stateMachineArn=arn, name="running", input=waiting)["executionArn"]
    ended = [sfn.start_execution(stateMachineArn=arn, name=f"ended-{index}", input=not_waiting) for index in range(40)]
    for started in ended:
        finished_output(sfn, started["executionArn"])
    machine = stepfunctions_parser_backends[LOCAL_ACCOUNT][LOCAL_REGION].describe_state_machine(arn)
    cases = [
        ("running", waiting),
        ("running", not_waiting),
        ("ended-0", not_waiting),
        ("ended-39", not_waiting),
        ("new", not_waiting),
    ]

    try:
        outcomes = {
            case: name_check_outcome(type(machine)._handle_name_input_idempotency, machine, *case) for case in cases
        }
        again = sfn.start_execution(stateMachineArn=arn, name="running", input=waiting)["executionArn"]
        with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
            sfn.start_execution(stateMachineArn=arn, name="ended-7", input=not_waiting)
    finally:
        sfn.stop_execution(executionArn=running)

    assert outcomes == {
        case: name_check_outcome(stepfunctions_performance.MOTOS_NAME_CHECK, machine, *case) for case in cases
    }
    assert outcomes[("running", waiting)] == ("same execution", running)
    assert outcomes[("new", not_waiting)] is None
    assert again == running


def test_an_execution_keeps_what_motos_copy_of_its_machine_keeps_but_the_machines_versions() -> None:
    import copy

    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    sfn = boto3.client("stepfunctions", region_name=LOCAL_REGION)
    arn = sfn.create_state_machine(
        name=f"snapshot-{uuid.uuid4().hex[:8]}", definition=pass_result(0), roleArn=LOCAL_ROLE_ARN, publish=True
    )["stateMachineArn"]
    for value in (1, 2, 3):
        sfn.update_state_machine(stateMachineArn=arn, definition=pass_result(value), publish=True)
    sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": f"{arn}:3", "weight": 100}]
    )
    backend = stepfunctions_parser_backends[LOCAL_ACCOUNT][LOCAL_REGION]
    machine = backend.describe_state_machine(arn)
    motos_copy = copy.deepcopy(machine, {id(machine.executions): [], id(machine.backend): machine.backend})

    execution_arn = sfn.start_execution(stateMachineArn=arn, name=uuid.uuid4().hex)["executionArn"]

    assert finished_output(sfn, execution_arn) == 3
    execution: Any = backend.describe_execution(execution_arn)  # the parser's execution, typed as moto's older one
    snapshot = execution.state_machine
    left_out: dict[str, object] = {"versions": {}, "aliases": {}, "latest_version": None}
    assert vars(snapshot) == vars(motos_copy) | left_out
    assert len(motos_copy.versions) == 4 and motos_copy.latest_version is not None


def test_executions_one_after_another_run_on_a_kept_thread_each_in_a_fresh_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import contextvars
    import threading

    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    from devserver.stepfunctions_performance import EXECUTION_THREADS

    left_behind: contextvars.ContextVar[str] = contextvars.ContextVar("left_behind")
    seen: list[tuple[threading.Thread, str | None]] = []
    execution_logic = ExecutionWorker._execution_logic

    def observed(self: Any) -> None:
        seen.append((threading.current_thread(), left_behind.get(None)))
        left_behind.set(self._evaluation_details.execution_details.name)
        execution_logic(self)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(ExecutionWorker, "_execution_logic", observed)
    sfn = boto3.client("stepfunctions", region_name=LOCAL_REGION)
    machine = sfn.create_state_machine(
        name=f"threads-{uuid.uuid4().hex[:8]}", definition=pass_result({"ran": True}), roleArn=LOCAL_ROLE_ARN
    )["stateMachineArn"]
    assert run(sfn, machine) == {"ran": True}
    started = EXECUTION_THREADS.started

    outputs = [run(sfn, machine) for _ in range(5)]

    assert outputs == [{"ran": True}] * 5
    assert EXECUTION_THREADS.started == started
    assert len({thread for thread, _ in seen}) < len(seen)
    assert [value for _, value in seen] == [None] * 6


def test_concurrent_executions_of_one_definition_each_run_their_own_states() -> None:
    sfn = boto3.client("stepfunctions", region_name=LOCAL_REGION)
    machine = sfn.create_state_machine(
        name=f"parallel-{uuid.uuid4().hex[:8]}", definition=PARALLEL, roleArn=LOCAL_ROLE_ARN
    )["stateMachineArn"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        outputs = list(pool.map(lambda _: run(sfn, machine), range(16)))

    assert outputs == [["left", "right"]] * 16


@pytest.fixture
def data_plane() -> Iterator[tuple[str, EmulationChanges]]:
    changes = EmulationChanges()
    plane = DataPlane(LOCAL_REGION, changes.request, MotoDispatch())
    listener, url = bind_data_plane("127.0.0.1")
    plane.start(listener)
    yield url, changes
    plane.stop()


def first_arguments(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[Any]:
    """The first argument (a method's instance) of every call of `owner.name` from now on; each call still runs."""
    seen: list[Any] = []
    original = getattr(owner, name)

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, recording)
    return seen


class Connections:
    """Counts the TCP connections botocore opens."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from urllib3.util import connection

        self.opened = 0
        create = connection.create_connection

        def counted(*args: Any, **kwargs: Any) -> socket.socket:
            self.opened += 1
            return create(*args, **kwargs)

        monkeypatch.setattr(connection, "create_connection", counted)


def test_the_data_plane_serves_dynamodb_and_step_functions_on_one_kept_connection(
    data_plane: tuple[str, EmulationChanges], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, changes = data_plane
    connections = Connections(monkeypatch)
    session = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name=LOCAL_REGION)
    one_connection = Config(max_pool_connections=1)
    dynamodb = session.client("dynamodb", endpoint_url=url, config=one_connection)
    sfn = session.client("stepfunctions", endpoint_url=url, config=one_connection)
    table = f"plane-{uuid.uuid4().hex[:8]}"

    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for value in range(5):
        dynamodb.put_item(TableName=table, Item={"pk": {"S": "a"}, "value": {"N": str(value)}})
    item = dynamodb.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"]
    machine = sfn.create_state_machine(
        name=f"plane-{uuid.uuid4().hex[:8]}", definition=pass_result({"said": "ok"}), roleArn=LOCAL_ROLE_ARN
    )["stateMachineArn"]

    assert item == {"pk": {"S": "a"}, "value": {"N": "4"}}
    assert run(sfn, machine) == {"said": "ok"}
    assert connections.opened == 2, "one kept connection per client"
    assert changes.generation >= 7, "every write is counted for the next snapshot"
    with pytest.raises(dynamodb.exceptions.ResourceNotFoundException):
        dynamodb.get_item(TableName=f"{table}-missing", Key={"pk": {"S": "a"}})


def test_the_data_plane_finds_each_action_without_listing_the_response_class(
    data_plane: tuple[str, EmulationChanges], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = data_plane
    listed = first_arguments(monkeypatch, inspect, "getmembers")
    dynamodb = boto3.client("dynamodb", endpoint_url=url, region_name=LOCAL_REGION)
    sfn = boto3.client("stepfunctions", endpoint_url=url, region_name=LOCAL_REGION)

    tables = dynamodb.list_tables()["TableNames"]
    machines = sfn.list_state_machines()["stateMachines"]
    unknown = httpx.post(
        url,
        headers={"X-Amz-Target": "DynamoDB_20120810.DispatchEverything", "Content-Type": "application/x-amz-json-1.0"},
        content=b"{}",
    )

    assert isinstance(tables, list) and isinstance(machines, list)
    assert unknown.status_code == 500, "an action moto does not have is still not run"
    assert listed == []


def test_a_workers_calls_reach_the_data_plane_unsigned_and_are_answered_as_signed_ones(
    data_plane: tuple[str, EmulationChanges], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = data_plane
    # What a worker installs for its whole life stays inside this test.
    monkeypatch.setattr(botocore.handlers, "BUILTIN_HANDLERS", list(botocore.handlers.BUILTIN_HANDLERS))
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    signed = boto3.client("dynamodb", endpoint_url=url, region_name=LOCAL_REGION)
    table = f"unsigned-{uuid.uuid4().hex[:8]}"
    signed.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    authorizations: list[str | None] = []

    def seen(request: Any, **_: Any) -> None:
        authorizations.append(request.headers.get("Authorization"))

    send_data_plane_calls_unsigned()
    session = boto3.Session(aws_access_key_id="tenant", aws_secret_access_key="tenant", region_name=LOCAL_REGION)
    dynamodb = session.client("dynamodb", endpoint_url=url)
    dynamodb.meta.events.register("before-send.dynamodb", seen)
    sfn = session.client("stepfunctions", endpoint_url=url)
    sfn.meta.events.register("before-send.sfn", seen)

    dynamodb.put_item(TableName=table, Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException):
        dynamodb.put_item(TableName=table, Item={"pk": {"S": "a"}}, ConditionExpression="attribute_not_exists(pk)")
    machines = sfn.list_state_machines()["stateMachines"]

    assert signed.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}, "n": {"N": "1"}}
    assert isinstance(machines, list)
    assert authorizations == [None, None, None]


def test_a_kept_definition_runs_again_without_its_text_rebuilt_from_its_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    from antlr4.tree.Tree import TerminalNodeImpl  # type: ignore[import-untyped]

    sfn = boto3.client("stepfunctions", region_name=LOCAL_REGION)
    machine = sfn.create_state_machine(
        name=f"texts-{uuid.uuid4().hex[:8]}", definition=PARALLEL, roleArn=LOCAL_ROLE_ARN
    )["stateMachineArn"]
    assert run(sfn, machine) == ["left", "right"]
    tokens_read = first_arguments(monkeypatch, TerminalNodeImpl, "getText")

    assert run(sfn, machine) == ["left", "right"]
    assert tokens_read == []


def test_the_data_plane_reads_each_request_without_the_standard_librarys_header_parser(
    data_plane: tuple[str, EmulationChanges], monkeypatch: pytest.MonkeyPatch
) -> None:
    from http.server import BaseHTTPRequestHandler

    url, _ = data_plane
    parsed = first_arguments(monkeypatch, BaseHTTPRequestHandler, "parse_request")
    dynamodb = boto3.client("dynamodb", endpoint_url=url, region_name=LOCAL_REGION)

    tables = [dynamodb.list_tables()["TableNames"] for _ in range(3)]
    closing = httpx.post(
        url,
        headers={"X-Amz-Target": "DynamoDB_20120810.ListTables", "Connection": "close"},
        content=b"{}",
    )

    assert tables[0] == tables[2] and closing.json()["TableNames"] == tables[0]
    assert parsed == []
    assert closing.headers["connection"] == "close"


def test_a_workers_calls_carry_botocores_user_agent_built_from_parts_cleaned_once(
    data_plane: tuple[str, EmulationChanges],
) -> None:
    from botocore import useragent

    url, _ = data_plane
    agents: list[str] = []

    def seen(request: Any, **_: Any) -> None:
        agents.append(request.headers["User-Agent"].decode())

    send_data_plane_calls_unsigned()
    dynamodb = boto3.client("dynamodb", endpoint_url=url, region_name=LOCAL_REGION)
    dynamodb.meta.events.register("before-send.dynamodb", seen)
    dynamodb.list_tables()
    clean: Any = useragent.sanitize_user_agent_string_component
    cleaned = clean.cache_info()

    dynamodb.list_tables()

    assert agents[0] == agents[1] and agents[0].startswith("Boto3/")
    assert clean.cache_info().misses == cleaned.misses


def test_a_workers_dynamodb_calls_go_on_one_kept_connection_without_urllib3_with_the_same_answers(
    data_plane: tuple[str, EmulationChanges], monkeypatch: pytest.MonkeyPatch
) -> None:
    from devserver.data_plane import DirectDataPlaneCalls

    url, _ = data_plane
    pooled = Connections(monkeypatch)
    opened = first_arguments(monkeypatch, socket, "create_connection")
    dynamodb = boto3.client("dynamodb", endpoint_url=url, region_name=LOCAL_REGION)
    dynamodb.meta.events.register("before-send.dynamodb", DirectDataPlaneCalls(url))
    table = f"direct-{uuid.uuid4().hex[:8]}"

    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "a"}, "data": {"B": b"\x00\xff"}})
    with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException) as refused:
        dynamodb.put_item(
            TableName=table,
            Item={"pk": {"S": "a"}},
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    item = dynamodb.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"]

    assert item == {"pk": {"S": "a"}, "data": {"B": b"\x00\xff"}}
    assert refused.value.response.get("Item") == item
    assert len(opened) == 1 and pooled.opened == 0


def test_a_workers_step_functions_calls_go_on_a_kept_connection_and_a_synchronous_start_through_urllib3(
    data_plane: tuple[str, EmulationChanges], monkeypatch: pytest.MonkeyPatch
) -> None:
    """StartExecution and the other short calls are sent by hand on the thread's kept connection, the one its DynamoDB
    calls use; StartSyncExecution, read for its caller's wait (the client's read timeout), goes through urllib3."""
    from devserver.data_plane import DirectDataPlaneCalls, DirectStepFunctionsCalls

    url, _ = data_plane
    pooled = Connections(monkeypatch)
    opened = first_arguments(monkeypatch, socket, "create_connection")
    sfn = boto3.client(
        "stepfunctions", endpoint_url=url, region_name=LOCAL_REGION, config=Config(inject_host_prefix=False)
    )
    direct = DirectDataPlaneCalls(url)
    dynamodb = boto3.client("dynamodb", endpoint_url=url, region_name=LOCAL_REGION)
    dynamodb.meta.events.register("before-send.dynamodb", direct)
    sfn.meta.events.register("before-send.sfn", DirectStepFunctionsCalls(direct))
    dynamodb.list_tables()
    name = f"direct-{uuid.uuid4().hex[:8]}"
    standard = sfn.create_state_machine(name=name, definition=pass_result({"said": "std"}), roleArn=LOCAL_ROLE_ARN)
    express = sfn.create_state_machine(
        name=f"{name}-x", definition=pass_result({"said": "sync"}), roleArn=LOCAL_ROLE_ARN, type="EXPRESS"
    )

    standard_output = run(sfn, standard["stateMachineArn"])
    direct_connections = (len(opened), pooled.opened)
    synchronous = sfn.start_sync_execution(stateMachineArn=express["stateMachineArn"], input="{}")

    assert standard_output == {"said": "std"} and direct_connections == (1, 0)
    assert json.loads(synchronous["output"]) == {"said": "sync"} and pooled.opened == 1
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.describe_state_machine(stateMachineArn=f"{standard['stateMachineArn']}-missing")


def environment_of(request: Any) -> list[tuple[str, object]]:
    """A moto request's WSGI environment in order, its streams by what they hold."""
    shown: list[tuple[str, object]] = []
    for key, value in request.environ.items():
        if key == "wsgi.input":
            value = value.getvalue()
        elif key in ("werkzeug.request", "wsgi.errors"):
            value = type(value).__name__
        shown.append((key, value))
    return shown


JSON_CALLS = [
    (
        "https://dynamodb.us-east-1.amazonaws.com/",
        {
            "X-Amz-Target": "DynamoDB_20120810.GetItem",
            "Content-Type": "application/x-amz-json-1.0",
            "User-Agent": "Boto3/1.40 md/Botocore#1.44.5 lang/python#3.11",
            "amz-sdk-invocation-id": str(uuid.UUID(int=7)),
            "amz-sdk-request": "attempt=1",
            "Content-Length": "999",
        },
        b'{"TableName": "t", "Key": {"pk": {"S": "caf\xc3\xa9"}}}',
    ),
    (
        "https://states.us-east-1.amazonaws.com/",
        {"X-Amz-Target": b"AWSStepFunctions.StartExecution", "Content-Type": b"application/x-amz-json-1.0"},
        '{"stateMachineArn": "arn", "input": "{}"}',
    ),
    (
        "http://127.0.0.1:4566/",
        {"Host": "127.0.0.1:4566", "content-type": "application/x-amz-json-1.0", "X-Amz-Meta-Some_Name": "kept"},
        b"{}",
    ),
    (
        "https://dynamodb.us-east-1.amazonaws.com/",
        {"Content-Type": "application/x-amz-json-1.0", "Transfer-Encoding": "chunked", "X-Amz-Target": "x"},
        b"{}",
    ),
]


@pytest.mark.parametrize(("url", "headers", "body"), JSON_CALLS)
def test_a_json_call_reaches_moto_as_the_request_moto_would_build_without_werkzeugs_builder(
    url: str, headers: dict[str, Any], body: Any
) -> None:
    from moto.core.request import Request

    from devserver.data_plane import moto_request

    built = moto_request("POST", url, headers, body)
    motos = Request.from_primitives("POST", url, headers, body)

    assert built is not None
    assert environment_of(built) == environment_of(motos)
    assert (built.data, built.url, list(built.headers.items())) == (motos.data, motos.url, list(motos.headers.items()))


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("https://s3.us-east-1.amazonaws.com/bucket/key", {"Content-Type": "text/plain"}),
        ("https://dynamodb.us-east-1.amazonaws.com/?Action=ListTables", {"Content-Type": "application/json"}),
        ("https://dynamodb.us-east-1.amazonaws.com/", {}),
        ("https://dynamodb.us-east-1.amazonaws.com/", {"Content-Type": "application/json", "content-type": "text/x"}),
    ],
)
def test_any_other_request_is_left_to_moto_to_build(url: str, headers: dict[str, str]) -> None:
    from devserver.data_plane import moto_request

    assert moto_request("POST", url, headers, b"{}") is None
    assert moto_request("POST", "https://dynamodb.us-east-1.amazonaws.com/", {"Content-Type": "x"}, b"") is None


@pytest.mark.parametrize(
    ("body", "enriched"),
    [
        (
            '{"Item": {"pk": {"S": "<RequestId>x</RequestId>"}}}',
            '{"Item": {"pk": {"S": "<RequestId>{id}</RequestId>"}}}',
        ),
        ('{"Count": 0}', '{"Count": 0}'),
        ("<R><RequestId>moto</RequestId></R>", "<R><RequestId>{id}</RequestId></R>"),
        (b"<RequestId>bytes</RequestId>", b"<RequestId>bytes</RequestId>"),
    ],
)
def test_each_answer_gets_a_request_id_of_52_letters_and_digits_put_in_an_xml_body_as_moto_puts_it(
    body: Any, enriched: Any
) -> None:
    from moto.core.responses import BaseResponse

    MotoDispatch()  # the data plane's answers
    headers: dict[str, Any] = {"status": 200}
    headers, answered = BaseResponse._enrich_response(headers, body)
    request_id = headers["x-amzn-requestid"]

    assert len(request_id) == 52 and request_id.isalnum() and request_id.isascii()
    assert headers["status"] == "200"
    assert answered == (enriched.replace("{id}", request_id) if isinstance(enriched, str) else enriched)
    assert BaseResponse._enrich_response({}, "")[0]["x-amzn-requestid"] != request_id
