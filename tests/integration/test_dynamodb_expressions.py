"""The emulation's DynamoDB with condition expressions lexed once per text (devserver/dynamodb_expressions.py): each
request is still decided by its own values and names, and what moto refuses is still refused."""

from __future__ import annotations

import abc
import copy
import importlib
import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.comparisons import ConditionExpressionParser

from devserver.dynamodb_expressions import COPY_PLANS, install_dynamodb_expressions

REVISION_IS = "#revision = :revision AND attribute_exists(#pk)"


@pytest.fixture
def table() -> Iterator[tuple[Any, str]]:
    install_dynamodb_expressions()
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        name = f"expressions-{uuid.uuid4().hex[:8]}"
        dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.put_item(TableName=name, Item={"pk": {"S": "a"}, "revision": {"N": "1"}})
        yield dynamodb, name


def bump(dynamodb: Any, table: str, expected: int) -> bool:
    try:
        dynamodb.update_item(
            TableName=table,
            Key={"pk": {"S": "a"}},
            UpdateExpression="SET #revision = #revision + :one",
            ConditionExpression=REVISION_IS,
            ExpressionAttributeNames={"#revision": "revision", "#pk": "pk"},
            ExpressionAttributeValues={":revision": {"N": str(expected)}, ":one": {"N": "1"}},
        )
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ConditionalCheckFailedException"
        return False
    return True


def test_one_condition_text_decides_each_request_by_its_own_values(table: tuple[Any, str]) -> None:
    dynamodb, name = table

    assert [bump(dynamodb, name, expected) for expected in (1, 1, 2, 5, 3)] == [True, False, True, False, True]
    assert dynamodb.get_item(TableName=name, Key={"pk": {"S": "a"}})["Item"]["revision"] == {"N": "4"}


def test_a_condition_text_is_lexed_once_however_many_requests_use_it(
    table: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dynamodb, name = table
    lexed: list[str] = []
    lex_one = ConditionExpressionParser._lex_one_node

    def counting(self: ConditionExpressionParser, remaining: str) -> Any:
        lexed.append(remaining)
        return lex_one(self, remaining)

    monkeypatch.setattr(ConditionExpressionParser, "_lex_one_node", counting)
    text = f"attribute_not_exists(#pk) OR #revision < :cap{uuid.uuid4().hex[:6]}"
    placeholder = text.rsplit(" ", 1)[1]

    for cap in range(5):
        dynamodb.put_item(
            TableName=name,
            Item={"pk": {"S": "a"}, "revision": {"N": str(cap)}},
            ConditionExpression=text,
            ExpressionAttributeNames={"#pk": "pk", "#revision": "revision"},
            ExpressionAttributeValues={placeholder: {"N": "100"}},
        )

    assert lexed.count(text) == 1


def test_a_reserved_word_as_a_plain_attribute_name_is_still_refused(table: tuple[Any, str]) -> None:
    dynamodb, name = table

    with pytest.raises(ClientError) as refused:
        dynamodb.put_item(
            TableName=name,
            Item={"pk": {"S": "b"}},
            ConditionExpression="attribute_not_exists(status)",
        )

    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "reserved keyword" in refused.value.response["Error"]["Message"]


def test_one_update_text_applies_each_requests_values_with_its_tree_copied_without_generic_reconstruction(
    table: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dynamodb, name = table
    reconstructed: list[object] = []
    reconstruct = copy._reconstruct  # type: ignore[attr-defined]

    def counting(x: object, *args: Any, **kwargs: Any) -> Any:
        reconstructed.append(x)
        return reconstruct(x, *args, **kwargs)

    monkeypatch.setattr(copy, "_reconstruct", counting)
    text = "SET #log = list_append(if_not_exists(#log, :empty), :entry), #state = :state ADD #count :one REMOVE #lease"
    for step in ("started", "running", "ended"):
        dynamodb.update_item(
            TableName=name,
            Key={"pk": {"S": "a"}},
            UpdateExpression=text,
            ExpressionAttributeNames={"#log": "log", "#state": "state", "#count": "count", "#lease": "lease"},
            ExpressionAttributeValues={
                ":empty": {"L": []},
                ":entry": {"L": [{"S": step}]},
                ":state": {"S": step},
                ":one": {"N": "1"},
            },
        )

    item = dynamodb.get_item(TableName=name, Key={"pk": {"S": "a"}})["Item"]
    assert item["log"] == {"L": [{"S": "started"}, {"S": "running"}, {"S": "ended"}]}
    assert (item["state"], item["count"]) == ({"S": "ended"}, {"N": "3"})
    assert [type(node).__name__ for node in reconstructed if type(node).__module__.endswith("ast_nodes")] == []


def test_walking_an_update_tree_checks_node_classes_without_abcmetas_hook(
    table: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodb.parsing.validators import NoneExistingPathChecker

    expressions: Any = importlib.import_module("moto.dynamodb.parsing.expressions")  # untyped in moto
    tree = expressions.UpdateExpressionParser.make("SET #a = :a, #b = #b + :one REMOVE #c")
    hooked: list[type] = []
    instance_check = abc.ABCMeta.__instancecheck__

    def counting(cls: abc.ABCMeta, instance: Any) -> bool:
        hooked.append(cls)
        return bool(instance_check(cls, instance))

    monkeypatch.setattr(abc.ABCMeta, "__instancecheck__", counting)
    walked = NoneExistingPathChecker().traverse(copy.deepcopy(tree))

    assert type(walked) is type(tree)
    assert hooked == []


CONDITIONS = [
    (
        "(attribute_exists (#0) AND ((#1 IN (:0, :1) AND ((attribute_not_exists (#2) OR #2 <= :2) AND #3 = :3)) "
        "OR #2 < :4))",
        {"#0": "pk", "#1": "status", "#2": "redrive_count", "#3": "revision"},
        [
            {":0": {"S": "RUNNING"}, ":1": {"S": "PENDING"}, ":2": {"N": "0"}, ":3": {"N": "3"}, ":4": {"N": "1"}},
            {":0": {"S": "ENDED"}, ":1": {"S": "PENDING"}, ":2": {"N": "2"}, ":3": {"N": "2"}, ":4": {"N": "5"}},
        ],
    ),
    (
        "#n BETWEEN :low AND :high",
        {"#n": "n"},
        [{":low": {"N": "1"}, ":high": {"N": "5"}}, {":low": {"N": "4"}, ":high": {"N": "9"}}],
    ),
    (
        "begins_with(#s, :prefix) AND size(#l) > :size AND contains(#l, :member) AND NOT #s = :other",
        {"#s": "s", "#l": "l"},
        [
            {":prefix": {"S": "ab"}, ":size": {"N": "1"}, ":member": {"S": "q"}, ":other": {"S": "x"}},
            {":prefix": {"S": "zz"}, ":size": {"N": "0"}, ":member": {"S": "r"}, ":other": {"S": "abc"}},
        ],
    ),
    (
        "attribute_type(#s, :type) OR #m.#i = :inner",
        {"#s": "s", "#m": "m", "#i": "inner"},
        [{":type": {"S": "S"}, ":inner": {"N": "1"}}, {":type": {"S": "N"}, ":inner": {"N": "2"}}],
    ),
    (
        "#l[0] = :first AND #set = :set",
        {"#l": "l", "#set": "set"},
        [{":first": {"S": "q"}, ":set": {"SS": ["a", "b"]}}, {":first": {"S": "r"}, ":set": {"SS": ["b"]}}],
    ),
]
ITEMS: list[dict[str, Any] | None] = [
    None,
    {
        "pk": {"S": "k"},
        "status": {"S": "RUNNING"},
        "revision": {"N": "3"},
        "n": {"N": "3"},
        "s": {"S": "abc"},
        "l": {"L": [{"S": "q"}, {"S": "r"}]},
        "m": {"M": {"inner": {"N": "1"}}},
        "set": {"SS": ["b", "a"]},
    },
    {
        "pk": {"S": "k"},
        "status": {"S": "PENDING"},
        "revision": {"N": "2"},
        "redrive_count": {"N": "0"},
        "n": {"N": "9"},
        "s": {"N": "1"},
        "l": {"L": []},
    },
]


def decided(parse: Any, text: str, names: dict[str, str], values: dict[str, Any]) -> list[object]:
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    parser = ConditionExpressionParser(text, names, values)
    condition = parse(parser)
    answers: list[object] = [parser.expr_attr_names_found, parser.expr_attr_values_found]
    for attributes in ITEMS:
        item = None if attributes is None else Item(DynamoType(attributes["pk"]), None, attributes)
        try:
            answers.append(condition.expr(item))
        except Exception as error:
            answers.append((type(error).__name__, str(error)))
    return answers


@pytest.mark.parametrize(("text", "names", "values_per_request"), CONDITIONS)
def test_a_kept_condition_decides_each_request_by_its_values_as_motos_own_parse_does(
    text: str, names: dict[str, str], values_per_request: list[dict[str, Any]]
) -> None:
    install_dynamodb_expressions()
    kept = ConditionExpressionParser.parse
    motos = kept.__wrapped__  # type: ignore[attr-defined]

    for values in values_per_request * 2:
        assert decided(kept, text, names, copy.deepcopy(values)) == decided(motos, text, names, values)


@pytest.mark.parametrize(
    ("text", "names", "values"),
    [
        ("#a = :missing", {"#a": "a"}, {}),
        ("#a = :v", {}, {":v": {"S": "1"}}),
        ("#a = = :v", {"#a": "a"}, {":v": {"S": "1"}}),
        ("#a BETWEEN :low AND :high", {"#a": "a"}, {":low": {"NULL": True}, ":high": {"N": "5"}}),
        ("((#a = :v))", {"#a": "a"}, {":v": {"S": "1"}}),
        ("status = :v", {}, {":v": {"S": "1"}}),
    ],
)
def test_a_condition_moto_refuses_is_refused_with_motos_error_each_time(
    text: str, names: dict[str, str], values: dict[str, Any]
) -> None:
    install_dynamodb_expressions()
    kept = ConditionExpressionParser.parse
    motos = kept.__wrapped__  # type: ignore[attr-defined]

    def refusal(parse: Any) -> tuple[str, str]:
        with pytest.raises(Exception) as refused:
            parse(ConditionExpressionParser(text, names, values))
        return type(refused.value).__name__, str(refused.value)

    assert refusal(kept) == refusal(kept) == refusal(motos)


def test_a_condition_is_parsed_once_per_text_names_and_value_types_and_each_request_gets_its_own_tree(
    table: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dynamodb, name = table
    comparators: list[object] = []
    apply_comparator = ConditionExpressionParser._apply_comparator

    def counting(self: ConditionExpressionParser, nodes: Any) -> Any:
        comparators.append(self.condition_expression)
        return apply_comparator(self, nodes)

    monkeypatch.setattr(ConditionExpressionParser, "_apply_comparator", counting)
    text = f"attribute_not_exists(#pk) OR #revision < :cap{uuid.uuid4().hex[:6]}"
    placeholder = text.rsplit(" ", 1)[1]
    outcomes = []
    for revision, cap in ((5, "10"), (20, "10"), (7, "10"), (7, "30")):
        try:
            dynamodb.put_item(
                TableName=name,
                Item={"pk": {"S": "a"}, "revision": {"N": str(revision)}},
                ConditionExpression=text,
                ExpressionAttributeNames={"#pk": "pk", "#revision": "revision"},
                ExpressionAttributeValues={placeholder: {"N": cap}, ":unused": {"S": str(revision)}},
            )
            outcomes.append(True)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ConditionalCheckFailedException"
            outcomes.append(False)

    assert outcomes == [True, True, False, True]  # each against the revision the last success wrote
    assert comparators.count(text) == 1


NAMES = {
    "#log": "log",
    "#state": "state",
    "#count": "count",
    "#lease": "lease",
    "#pk": "pk",
    "#revision": "revision",
    "#gk": "gk",
    "#absent": "absent",
}
UPDATES: list[dict[str, Any]] = [
    {"UpdateExpression": "SET #state = :state, #revision = :one", "ReturnValues": "ALL_NEW"},
    {
        "UpdateExpression": "SET #log = list_append(if_not_exists(#log, :empty), :entry), #state = :state "
        "ADD #count :one REMOVE #lease",
        "ConditionExpression": "attribute_exists(#pk) AND #revision = :one",
        "ReturnValues": "UPDATED_NEW",
    },
    {
        "UpdateExpression": "SET #revision = #revision + :one",
        "ConditionExpression": "#revision = :one",
        "ReturnValues": "ALL_OLD",
    },
    {
        "UpdateExpression": "SET #revision = #revision + :one",
        "ConditionExpression": "#revision = :one",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    },
    {"UpdateExpression": "SET #state = :state SET #lease = :one"},
    {"UpdateExpression": "SET #state = :state, #state = :one"},
    {"UpdateExpression": "SET #pk = :state"},
    {"UpdateExpression": "SET #log[0] = :state, #log = :empty"},
    {"UpdateExpression": "SET #count = #state + :one"},
    {"UpdateExpression": "SET #state = :missing"},
    {"UpdateExpression": "SET #unnamed = :state"},
    {"UpdateExpression": "ADD #state :one"},
    {"UpdateExpression": "SET #state = :state", "ConditionExpression": "#state BETWEEN :one AND"},
    {"UpdateExpression": "SET #lease = :state, #revision = :one", "ReturnValues": "UPDATED_OLD"},
    # An index key named plainly (moto checks only those): its type checked, an empty string refused, every action's
    # type first, then every empty string.
    {"UpdateExpression": "SET gk = :state, gn = :one"},
    {"UpdateExpression": "SET gk = :one"},
    {"UpdateExpression": "SET gk = :one, gn = :state"},
    {"UpdateExpression": "SET gk = :blank, gn = :state"},
    {"UpdateExpression": "SET gn = :one, gk = :blank"},
    {"UpdateExpression": "SET gk = :blank REMOVE #lease"},
    {"UpdateExpression": "SET #gk = :one"},
    # Values, names, functions and operations resolved in one walk, and refusals from different walks in one text.
    {"UpdateExpression": "SET #count = if_not_exists(#count, :one) + :one, #log = list_append(:entry, #log)"},
    {"UpdateExpression": "SET #revision = :one - #count ADD #lease :one"},
    {"UpdateExpression": "SET #state = #state + :one, #absent.#state = :one"},
    {"UpdateExpression": "SET #count = #state + :one, #log = list_append(#state, :entry)"},
    {"UpdateExpression": "SET #log = list_append(#state, :entry), #count = #state + :one"},
    {"UpdateExpression": "SET #state = if_not_exists(#absent, #state), #count = #absent - :one"},
    # A path the item may not have, read as a value.
    {"UpdateExpression": "SET #state = #absent, #revision = :one"},
    {"UpdateExpression": "SET #count = #absent + :one REMOVE #state"},
    {"UpdateExpression": "SET #log = list_append(#absent, :entry)"},
    {"UpdateExpression": "SET #absent.#state = :one"},
]


def update_answers() -> list[object]:
    """Each of UPDATES on an item, twice with other values, then on a missing item: moto's answer (or its error's
    code and message) and the item after it."""
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName="updates",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "gk", "AttributeType": "S"},
                {"AttributeName": "gn", "AttributeType": "N"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": f"by-{name}",
                    "KeySchema": [{"AttributeName": name, "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
                for name in ("gk", "gn")
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        answers: list[object] = []
        for key in ("a", "a", "missing"):
            for number, update in enumerate(UPDATES):
                values = {
                    ":state": {"S": f"step-{number}"},
                    ":one": {"N": "1"},
                    ":empty": {"L": []},
                    ":blank": {"S": ""},
                }
                values[":entry"] = {"L": [{"S": f"{key}-{number}"}]}
                request = {"TableName": "updates", "Key": {"pk": {"S": key}}, **update}
                used = {name: value for name, value in NAMES.items() if name in str(update)}
                request["ExpressionAttributeNames"] = used
                request["ExpressionAttributeValues"] = {name: v for name, v in values.items() if name in str(update)}
                try:
                    answer = dynamodb.update_item(**request)
                    answers.append({k: v for k, v in answer.items() if k != "ResponseMetadata"})
                except ClientError as error:
                    answers.append([error.response["Error"], error.response.get("Item")])
                except (KeyError, ValueError) as error:  # moto's own failure (an undefined name, a bad condition)
                    answers.append([type(error).__name__, str(error)])
                answers.append(dynamodb.get_item(TableName="updates", Key={"pk": {"S": key}}).get("Item"))
            dynamodb.put_item(TableName="updates", Item={"pk": {"S": "a"}, "revision": {"N": "1"}})
        return answers


def test_update_items_are_answered_as_motos_own_parse_validation_and_walks_answer_them() -> None:
    import subprocess
    import sys
    from pathlib import Path

    script = "import json, tests.integration.test_dynamodb_expressions as t; print(json.dumps(t.update_answers()))"
    motos = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    install_dynamodb_expressions()

    assert json.loads(json.dumps(update_answers())) == json.loads(motos.stdout)


def structure(value: Any, seen: dict[int, int]) -> Any:
    """A value's classes, attributes and which of its parts are one object (numbered as first met)."""
    if isinstance(value, str | int | float | bool | type(None)):
        return value
    if id(value) in seen:
        return ("seen", seen[id(value)])
    seen[id(value)] = len(seen)
    if isinstance(value, list):
        return ("list", [structure(member, seen) for member in value])
    if isinstance(value, dict):
        return ("dict", {key: structure(member, seen) for key, member in value.items()})
    return (type(value).__name__, [(name, structure(member, seen)) for name, member in vars(value).items()])


@pytest.mark.parametrize(
    "text",
    [
        "SET #a = :a, #b = #b + :one REMOVE #c",
        "SET #log = list_append(if_not_exists(#log, :empty), :entry), #state = :state ADD #count :one",
        "SET a.b[2].c = :v, d = if_not_exists(d, :v) - :one DELETE s :set REMOVE x[1], y",
    ],
)
def test_an_update_tree_is_copied_as_pythons_generic_deepcopy_copies_it(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_dynamodb_expressions()
    expressions: Any = importlib.import_module("moto.dynamodb.parsing.expressions")  # untyped in moto
    node: Any = importlib.import_module("moto.dynamodb.parsing.ast_nodes").Node

    validators: Any = importlib.import_module("moto.dynamodb.parsing.validators")
    tree = expressions.UpdateExpressionParser.make(text)

    copied = copy.deepcopy(tree)
    built = validators.deepcopy(tree)  # what each UpdateItem's validator copies the kept tree with
    monkeypatch.delattr(node, "__deepcopy__")
    generic = copy.deepcopy(tree)

    assert structure(copied, {}) == structure(generic, {}) == structure(built, {})
    originals: dict[int, int] = {}
    structure(tree, originals)
    for made in (copied, built):
        copies: dict[int, int] = {}
        structure(made, copies)
        assert originals.keys().isdisjoint(copies.keys())
    assert built is not validators.deepcopy(tree), "each validator gets its own copy"
    assert COPY_PLANS[id(tree)][0] is tree, "built from the kept tree's plan"


def test_the_function_walk_runs_only_for_an_update_that_calls_a_function(
    table: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dynamodb, name = table
    evaluator: Any = importlib.import_module("moto.dynamodb.parsing.validators").UpdateExpressionFunctionEvaluator
    walked: list[object] = []
    traverse = evaluator.traverse

    def counting(self: Any, node: Any) -> Any:
        walked.append(node)
        return traverse(self, node)

    monkeypatch.setattr(evaluator, "traverse", counting)
    key = {"pk": {"S": "a"}}
    dynamodb.update_item(
        TableName=name, Key=key, UpdateExpression="SET n = :one", ExpressionAttributeValues={":one": {"N": "1"}}
    )
    assert walked == []
    dynamodb.update_item(
        TableName=name,
        Key=key,
        UpdateExpression="SET m = if_not_exists(m, :zero) + n",
        ExpressionAttributeValues={":zero": {"N": "40"}},
    )
    assert len(walked) == 1
    item = dynamodb.get_item(TableName=name, Key=key)["Item"]
    assert (item["n"], item["m"]) == ({"N": "1"}, {"N": "41"})
