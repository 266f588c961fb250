"""The emulation evaluates JSONata as Step Functions documents it: $states.input/result/context/errorOutput,
Arguments, Output, Assign and variables, Choice conditions, Map items."""

from __future__ import annotations

import json
import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
from moto.stepfunctions.parser.asl.jsonata.jsonata import JSONataException

from devserver.emulation import LOCAL_PREFIX
from devserver.stepfunctions_expressions import PARSERS, TREES, KeptTrees, compile_bounded_regex, evaluate_jsonata
from tests.workflows.support import PLACEMENT, run

SMOKE_ECHO_ARN = f"arn:aws:lambda:{PLACEMENT.region}:{PLACEMENT.account}:function:{LOCAL_PREFIX}-smoke-echo"


def machine(states: dict[str, Any], start: str) -> dict[str, Any]:
    return {"QueryLanguage": "JSONata", "StartAt": start, "States": states}


def output_of(definition: dict[str, Any], run_input: Any) -> Any:
    execution = run(definition, run_input)
    assert execution["status"] == "SUCCEEDED", execution
    return json.loads(execution["output"])


def test_output_reads_states_input_and_assign_sets_variables_for_later_states(emulated_aws: object) -> None:
    definition = machine(
        {
            "remember": {
                "Type": "Pass",
                "Assign": {"total": "{% $sum($states.input.prices) %}", "who": "{% $states.input.who %}"},
                "Output": {"count": "{% $count($states.input.prices) %}"},
                "Next": "use",
            },
            "use": {
                "Type": "Pass",
                "Output": "{% {'total': $total, 'who': $who, 'count': $states.input.count} %}",
                "End": True,
            },
        },
        "remember",
    )
    result = output_of(definition, {"prices": [1, 2.5], "who": 'Ada "the first"'})
    assert result == {"total": 3.5, "who": 'Ada "the first"', "count": 2}


def test_choice_conditions_pick_the_first_true_rule(emulated_aws: object) -> None:
    definition = machine(
        {
            "route": {
                "Type": "Choice",
                "Choices": [
                    {"Condition": "{% $states.input.n > 10 %}", "Next": "big"},
                    {"Condition": "{% $states.input.n > 1 %}", "Next": "medium"},
                ],
                "Default": "small",
            },
            "big": {"Type": "Pass", "Output": {"size": "big"}, "End": True},
            "medium": {"Type": "Pass", "Output": {"size": "medium"}, "End": True},
            "small": {"Type": "Pass", "Output": {"size": "small"}, "End": True},
        },
        "route",
    )
    assert [output_of(definition, {"n": n})["size"] for n in (20, 5, 0)] == ["big", "medium", "small"]


def test_arguments_go_to_the_task_and_states_result_holds_its_answer(emulated_aws: object) -> None:
    definition = machine(
        {
            "greet": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {
                    "FunctionName": SMOKE_ECHO_ARN,
                    "Payload": {"name": "{% $uppercase($states.input.name) %}"},
                },
                "Output": "{% {'greeting': $states.result.Payload.greeting, 'kept': $states.input.name} %}",
                "End": True,
            }
        },
        "greet",
    )
    result = output_of(definition, {"name": "ada"})
    assert result["kept"] == "ada" and "ADA" in result["greeting"]


def test_states_context_names_the_execution_and_the_state(emulated_aws: object) -> None:
    definition = machine(
        {
            "where": {
                "Type": "Pass",
                "Output": "{% {'state': $states.context.State.Name, 'input': $states.context.Execution.Input} %}",
                "End": True,
            }
        },
        "where",
    )
    assert output_of(definition, {"a": 1}) == {"state": "where", "input": {"a": 1}}


def test_states_context_gives_each_state_its_entered_time_as_step_functions_writes_it(emulated_aws: object) -> None:
    definition = machine(
        {
            "first": {"Type": "Pass", "Assign": {"first": "{% $states.context.State.EnteredTime %}"}, "Next": "second"},
            "second": {
                "Type": "Pass",
                "Output": "{% {'first': $first, 'second': $states.context.State.EnteredTime} %}",
                "End": True,
            },
        },
        "first",
    )

    execution = run(definition, {})

    entered = json.loads(execution["output"])
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entered[state]) for state in entered), entered
    first, second = (datetime.fromisoformat(entered[state]) for state in ("first", "second"))
    # Milliseconds, truncated: the first state's time may fall up to 1 ms before the execution's start.
    assert execution["startDate"] - timedelta(milliseconds=1) <= first <= second <= execution["stopDate"], entered


def test_catch_output_sees_the_error_and_map_items_are_each_an_input(emulated_aws: object) -> None:
    definition = machine(
        {
            "explode": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": "no-such-function", "Payload": {}},
                "Catch": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Next": "each",
                        "Output": "{% {'error': $states.errorOutput.Error, 'items': $states.input.items} %}",
                    }
                ],
                "End": True,
            },
            "each": {
                "Type": "Map",
                "Items": "{% $states.input.items %}",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "double",
                    "States": {"double": {"Type": "Pass", "Output": "{% $states.input * 2 %}", "End": True}},
                },
                "Output": "{% {'doubled': $states.result} %}",
                "End": True,
            },
        },
        "explode",
    )
    assert output_of(definition, {"items": [1, 2, 3]}) == {"doubled": [2, 4, 6]}


def test_an_expression_that_fails_fails_the_execution_with_a_jsonata_error(emulated_aws: object) -> None:
    definition = machine({"bad": {"Type": "Pass", "Output": "{% $number('x') %}", "End": True}}, "bad")
    assert run(definition, {})["status"] == "FAILED"


def test_the_evaluator_returns_plain_json() -> None:
    assert evaluate_jsonata('($states := {"input": {"a": [1, 2, 3]}}; $states.input.a[$ > 1])') == [2, 3]
    assert evaluate_jsonata("$states.input.missing") is None


def test_evaluations_on_new_threads_reuse_idle_parsers_and_each_read_its_own_expression() -> None:
    def evaluate_on_a_new_thread(expression: str) -> Any:
        answers: list[Any] = []

        def evaluate() -> None:
            try:
                answers.append(evaluate_jsonata(expression))
            except JSONataException as failed:
                answers.append(failed)

        thread = threading.Thread(target=evaluate)
        thread.start()
        thread.join()
        if isinstance(answers[0], JSONataException):
            raise answers[0]
        return answers[0]

    evaluate_on_a_new_thread("1")
    built = PARSERS.built
    with pytest.raises(JSONataException):
        evaluate_on_a_new_thread("$states.input.(")  # a parse that fails leaves nothing behind for the next

    answers = [evaluate_on_a_new_thread(f'($states := {{"input": {index}}}; $states.input * 2)') for index in range(5)]

    assert answers == [0, 2, 4, 6, 8]
    assert PARSERS.built == built


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('$replace("abc", /(b)/, "[$1]")', "a[b]c"),
        # A group past the last one: JSONata reads "$10" as group 1 and a 0.
        ('$replace("abc", /(b)/, "[$10]")', "a[b0]c"),
        ('$replace("aBcB", /b/i, function($m) { $lowercase($m.match) })', "abcb"),
        ('$replace("aaa", /a/, "b", 2)', "bba"),
        ('$split("a1b22c", /\\d+/)', ["a", "b", "c"]),
        ('$match("ab12cd34", /\\d+/).match', ["12", "34"]),
        ('$contains("first\\nsecond", /^second$/m)', True),
    ],
)
def test_regular_expressions_behave_as_jsonata_defines(expression: str, expected: Any) -> None:
    assert evaluate_jsonata(expression) == expected


def test_parse_deserialises_json_and_fails_on_anything_else_as_step_functions_documents(emulated_aws: object) -> None:
    parsed = machine({"parse": {"Type": "Pass", "Output": "{% $parse($states.input.text) %}", "End": True}}, "parse")
    assert output_of(parsed, {"text": '{"a": [1, "x"], "b": null}'}) == {"a": [1, "x"], "b": None}
    for not_json in ["1 + 1", "$states.input", "NaN", "{'a': 1}"]:
        assert run(parsed, {"text": not_json})["status"] == "FAILED", not_json


# What holds state while an evaluation runs: bound lambdas and a closure, a comparator, regular expressions (one
# calling back), grouping, the parent operator and a reduction.
STATEFUL_EXPRESSION = (
    "($double := function($n) { $n * 2 }; $times := function($k) { function($n) { $n * $k } };"
    " {'doubled': $map($states.input.items, $double),"
    " 'tripled': $map($states.input.items, $times(3)),"
    " 'sorted': $sort($states.input.items, function($a, $b) { $a < $b }),"
    " 'words': $split($states.input.text, /[ ,]+/),"
    " 'shouted': $replace($states.input.text, /(\\w+)/, function($m) { $uppercase($m.groups[0]) }),"
    " 'lines_per_order': $states.input.orders{id: $count(lines)},"
    " 'lines': $states.input.orders.lines.{'order': %.id, 'sku': sku},"
    " 'total': $reduce($states.input.items, function($sum, $n) { $sum + $n }, 0)})"
)


def varied_input(index: int) -> dict[str, Any]:
    return {
        "items": [(index * 7 + step * 3) % 11 for step in range(index % 5 + 1)],
        "text": " ".join(f"w{index}x{step}" for step in range(index % 3 + 1)),
        "orders": [
            {"id": f"o{index}", "lines": [{"sku": f"s{index}"}, {"sku": f"t{index}"}]},
            {"id": f"p{index}", "lines": [{"sku": f"u{index}"}] * (index % 4)},
        ],
    }


def freshly_parsed_answer(expression: str, run_input: Any) -> Any:
    """jsonata-python's own answer: the text parsed anew, on a thread of its own (its parser is per thread)."""
    from jsonata import Jsonata  # type: ignore[import-untyped]

    def evaluate() -> Any:
        return json.loads(json.dumps(Jsonata(expression).evaluate(None, {"states": {"input": run_input}})))

    with ThreadPoolExecutor(max_workers=1) as fresh:
        return fresh.submit(evaluate).result()


def test_a_kept_expression_answers_every_input_as_a_fresh_parse_with_executions_running_at_once(
    emulated_aws: object,
) -> None:
    shape = {"Type": "Pass", "Output": "{% " + STATEFUL_EXPRESSION + " %}", "End": True}
    definition = machine({"shape": shape}, "shape")
    inputs = [varied_input(index) for index in range(24)]
    assert output_of(definition, inputs[0]) == freshly_parsed_answer(STATEFUL_EXPRESSION, inputs[0])
    parsed = TREES.parsed

    with ThreadPoolExecutor(max_workers=8) as pool:
        outputs = list(pool.map(lambda run_input: output_of(definition, run_input), inputs))

    assert outputs == [freshly_parsed_answer(STATEFUL_EXPRESSION, run_input) for run_input in inputs]
    assert len({json.dumps(output) for output in outputs}) > 10
    assert TREES.parsed == parsed  # the state's text was parsed once, by the first execution


def test_each_execution_of_a_kept_expression_reads_its_own_clock(emulated_aws: object) -> None:
    definition = machine({"when": {"Type": "Pass", "Output": "{% {'now': $now()} %}", "End": True}}, "when")

    executions = [run(definition, {}) for _ in range(3)]

    for execution in executions:
        now = datetime.fromisoformat(json.loads(execution["output"])["now"])
        # Milliseconds, truncated on both sides.
        millisecond = timedelta(milliseconds=1)
        assert execution["startDate"] - millisecond <= now <= execution["stopDate"] + millisecond, execution


def test_an_expression_that_does_not_parse_fails_every_time_with_jsonatas_own_error() -> None:
    from jsonata import Jsonata

    broken = "$states.input.{'a': }"
    with ThreadPoolExecutor(max_workers=1) as fresh, pytest.raises(Exception) as parsed_anew:
        fresh.submit(Jsonata, broken).result()
    parsed = TREES.parsed

    for attempt in range(3):
        with pytest.raises(JSONataException) as failed:
            evaluate_jsonata(broken)
        assert (failed.value.error, failed.value.details) == ("UNKNOWN", str(parsed_anew.value))
        assert TREES.parsed == parsed + attempt + 1


def test_a_thread_with_a_parser_of_its_own_evaluates_with_kept_trees_and_keeps_its_parser() -> None:
    from jsonata import Jsonata

    own = Jsonata.get_parser()  # as workflow validation takes one on the thread it runs on
    factor = uuid.uuid4().int % 1_000_000 + 1  # a text no other evaluation has had
    expression = f"$sum([1, 2, 3]) * {factor}"
    parsed = TREES.parsed

    answers = [evaluate_jsonata(expression) for _ in range(3)]

    assert answers == [6 * factor] * 3
    assert TREES.parsed == parsed + 1
    assert Jsonata.get_parser() is own


def test_kept_trees_hold_at_most_their_characters_of_text_dropping_the_least_recently_used() -> None:
    from jsonata import parser

    trees, jsonata_parser = KeptTrees(chars=40), parser.Parser()
    first, second, third = "$sum([1, 2, 3])", "$count([4, 5, 6])", "$max([7, 8, 9])"  # 15, 17 and 15 characters

    def parse(text: str) -> Any:
        return trees.tree(jsonata_parser, text, compile_bounded_regex)

    kept_first, _ = parse(first), parse(second)
    assert parse(first) is kept_first and trees.parsed == 2  # 32 characters kept
    parse(third)  # 47: the least recently used (the second) goes
    assert parse(first) is kept_first and parse(third) is not None and trees.parsed == 3
    parse(second)
    assert trees.parsed == 4
