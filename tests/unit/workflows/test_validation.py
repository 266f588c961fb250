"""Each rule of workflow validation names its place with a JSON pointer; all findings come back together."""

from __future__ import annotations

from typing import Any

import pytest

from shared.problems import ValidationFailed
from shared.workflows.validation import MAX_DEFINITION_BYTES
from tests.workflows.cases import chain, node
from tests.workflows.support import validate

START = node("start", "manual")


def findings(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], **settings: Any) -> dict[str, str]:
    result = validate({"name": "case", "nodes": nodes, "edges": edges, "settings": settings})
    assert result.definition is None
    return {finding.pointer: finding.reason for finding in result.findings}


def test_the_structure_is_checked_first_with_pointers_into_the_document() -> None:
    result = validate({"nodes": [{"id": "9bad", "type": "manual", "extra": 1}], "edges": [{"from": "a"}]})
    pointers = {finding.pointer for finding in result.findings}
    assert pointers == {"/name", "/nodes/0/id", "/nodes/0/extra", "/edges/0/to"}


@pytest.mark.parametrize("flag", ["true", 1, "yes"])
def test_expose_as_tool_is_a_json_boolean(flag: Any) -> None:
    result = validate({"name": "case", "nodes": [START], "expose_as_tool": flag})
    assert result.definition is None
    assert [finding.pointer for finding in result.findings] == ["/expose_as_tool"]


def test_expose_as_tool_is_kept_in_the_definition() -> None:
    result = validate({"name": "case", "nodes": [START], "expose_as_tool": True})
    assert result.graph is not None and result.graph.model_dump()["expose_as_tool"] is True


def test_ids_types_params_and_edges_are_all_reported_together() -> None:
    found = findings(
        [
            START,
            node("start", "transform", expression="1"),
            node("teleport", "teleport"),
            node("bad", "wait"),
            node("calc", "transform", expression="$states.input +"),
        ],
        [{"from": "start", "to": "ghost"}, {"from": "start", "port": "sideways", "to": "calc"}],
    )
    assert "already used" in found["/nodes/1/id"]
    assert "unknown node type 'teleport'" in found["/nodes/2/type"]
    assert "exactly one of" in found["/nodes/3/params"]
    assert "does not parse" in found["/nodes/4/params/expression"]
    assert "no node has id 'ghost'" in found["/edges/0/to"]
    assert "no port 'sideways'" in found["/edges/1/port"]


def test_exactly_one_trigger() -> None:
    assert "has none" in findings([node("a", "transform", expression="1")], [])["/nodes"]
    found = findings([START, node("hook", "webhook")], [])
    assert "one trigger" in found["/nodes/1/type"]


def test_every_node_reachable_and_nothing_leads_into_a_trigger() -> None:
    found = findings([START, node("island", "transform", expression="1")], [{"from": "island", "to": "start"}])
    assert "can't be reached" in found["/nodes/1"]
    assert "is a trigger" in found["/edges/0/to"]


def test_cycles_are_refused_at_the_edge_that_closes_them() -> None:
    nodes = [START, node("a", "transform", expression="1"), node("b", "condition", expression="true")]
    edges = [*chain("start", "a", "b"), {"from": "b", "port": "true", "to": "a"}]
    assert "closes a cycle" in findings(nodes, edges)["/edges/2"]


def test_a_port_leads_to_one_node_except_the_branches_of_a_parallel() -> None:
    nodes = [START, node("a", "transform", expression="1"), node("b", "transform", expression="2")]
    assert "already leads" in findings(nodes, [*chain("start", "a"), *chain("start", "b")])["/edges/1"]


def test_every_parallel_closes_at_one_join() -> None:
    fan = [
        START,
        node("fan", "parallel"),
        node("a", "transform", expression="1"),
        node("b", "transform", expression="2"),
    ]
    unclosed = findings(fan, [*chain("start", "fan", "a"), *chain("fan", "b")])
    assert "must close at one join" in unclosed["/nodes/1"]
    two_joins = [*fan, node("j1", "join"), node("j2", "join")]
    split = findings(two_joins, [*chain("start", "fan", "a", "j1"), *chain("fan", "b", "j2")])
    assert "'j1', 'j2'" in split["/nodes/1"]
    stray = findings([START, node("j", "join")], chain("start", "j"))
    assert "closes no parallel" in stray["/nodes/1"]


def test_a_node_can_not_belong_to_two_branches() -> None:
    nodes = [
        START,
        node("fan", "parallel"),
        node("a", "transform", expression="1"),
        node("shared", "transform", expression="1"),
        node("j", "join"),
    ]
    edges = [*chain("start", "fan", "shared", "j"), *chain("fan", "a", "shared")]
    assert "reached from both branch 1 of parallel 'fan' and branch 2" in findings(nodes, edges)["/nodes/3"]


def test_a_loop_needs_a_body() -> None:
    found = findings([START, node("each", "loop", items="[1]")], chain("start", "each"))
    assert "has no body" in found["/nodes/1"]


def test_error_handling_only_where_a_state_can_fail() -> None:
    transform = {**node("t", "transform", expression="1"), "retry": {}, "on_error": "continue", "timeout_seconds": 5}
    found = findings([START, transform], chain("start", "t"))
    assert set(found) >= {"/nodes/1/retry", "/nodes/1/on_error", "/nodes/1/timeout_seconds"}


def test_the_error_port_exists_only_with_error_output() -> None:
    call = node("call", "http_request", url="https://example.com")
    nodes = [START, call, node("handle", "transform", expression="1")]
    edges = [*chain("start", "call"), {"from": "call", "port": "error", "to": "handle"}]
    assert "no port 'error'" in findings(nodes, edges)["/edges/1/port"]
    nodes[1] = {**call, "on_error": "error_output"}
    assert validate({"name": "ok", "nodes": nodes, "edges": edges}).findings == []


def test_express_workflows_refuse_waiting_nodes_and_long_timeouts() -> None:
    nodes = [START, node("ask", "approval", message="ok?")]
    found = findings(nodes, chain("start", "ask"), mode="express", timeout_seconds=3600)
    assert "express" in found["/nodes/1/type"]
    assert "300 seconds" in found["/settings/timeout_seconds"]


def test_secrets_are_not_inlined_and_subworkflows_must_exist() -> None:
    call = node("call", "http_request", url="https://example.com", headers={"Authorization": "Bearer x"})
    child = node("child", "subworkflow", workflow_id="someone-elses")
    found = findings([START, call, child], chain("start", "call", "child"))
    assert "credential" in found["/nodes/1/params"]
    assert "no workflow 'someone-elses'" in found["/nodes/2/params/workflow_id"]


def test_a_definition_of_a_megabyte_or_more_is_refused() -> None:
    big = "'" + "x" * 19_000 + "'"
    nodes = [START, *(node(f"t{n}", "transform", expression=big) for n in range(60))]
    found = findings(nodes, chain("start", *(f"t{n}" for n in range(60))))
    assert f"{MAX_DEFINITION_BYTES}" not in found["/nodes"] and "< 1 MB" in found["/nodes"]


def test_findings_become_one_422_problem() -> None:
    result = validate({"name": "x", "nodes": [node("a", "teleport")], "edges": []})
    with pytest.raises(ValidationFailed) as raised:
        result.raise_for_findings()
    assert [param.name for param in raised.value.invalid_params] == ["/nodes/0/type", "/nodes"]


def test_templates_anywhere_in_parameters_are_parsed_and_named_by_pointer() -> None:
    call = node(
        "call",
        "http_request",
        url="{% 'https://example.com/' & $states.input.id %}",
        headers={"X-Trace/Id": "{% $states.input.trace + %}"},
        body={"items": ["literal", "{% $states.input.items[ %}"], "ok": "{% $states.input %}"},
    )
    found = findings([START, call], chain("start", "call"))
    assert "does not parse" in found["/nodes/1/params/headers/X-Trace~1Id"]
    assert "does not parse" in found["/nodes/1/params/body/items/1"]
    assert not any(pointer.startswith(("/nodes/1/params/url", "/nodes/1/params/body/ok")) for pointer in found)


@pytest.mark.parametrize(
    ("expression", "pattern"),
    [
        ("$match($states.input.text, /(a+)+$/)", "/(a+)+$/"),
        ("$replace($states.input.text, /(\\w+\\s?)+$/, '')", "/(\\w+\\s?)+$/"),
        ("$states.input.tags[$contains($, /^(a|aa)+$/i)]", "/^(a|aa)+$/"),
    ],
)
def test_a_regular_expression_that_can_backtrack_catastrophically_is_refused_at_its_node(
    expression: str, pattern: str
) -> None:
    found = findings([START, node("shape", "transform", expression=expression)], chain("start", "shape"))

    assert list(found) == ["/nodes/1/params/expression"]
    assert found["/nodes/1/params/expression"].startswith(f"the regular expression {pattern} can take exponential")


def test_a_regular_expression_with_a_separator_between_its_runs_is_accepted() -> None:
    result = validate(
        {
            "name": "paths",
            "nodes": [START, node("shape", "transform", expression="$match($states.input, /^[a-z]+(\\/[a-z]+)*$/)")],
            "edges": chain("start", "shape"),
        }
    )

    assert result.findings == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        # The platform's own alarm topic, and another tenant's topic.
        ({"topic_arn": "arn:aws:sns:us-east-1:123456789012:nexus-forge-prod-alarms"}, "topic_arn"),
        ({"topic_arn": "arn:aws:sns:us-east-1:123456789012:forge-tenant0002-alerts"}, "topic_arn"),
        # The default bus, another tenant's bus by ARN, and an ARN that names no bus.
        ({"detail_type": "x", "event_bus": "default"}, "event_bus"),
        (
            {"detail_type": "x", "event_bus": "arn:aws:events:us-east-1:123456789012:event-bus/forge-tenant0002-e"},
            "event_bus",
        ),
        (
            {"detail_type": "x", "event_bus": "arn:aws:events:us-east-1:123456789012:rule/forge-tenant0001-e"},
            "event_bus",
        ),
    ],
)
def test_notify_and_emit_event_target_only_the_tenants_own_topics_and_buses(params: dict[str, Any], field: str) -> None:
    node_type = "notify" if "topic_arn" in params else "emit_event"
    found = findings([START, node("out", node_type, **params)], chain("start", "out"))
    assert "forge-tenant0001-" in found[f"/nodes/1/params/{field}"]


def test_the_tenants_own_bus_is_accepted_by_name_or_arn() -> None:
    bus = "arn:aws:events:us-east-1:123456789012:event-bus/forge-tenant0001-orders"
    document = {"name": "ok", "nodes": [START, node("out", "emit_event", detail_type="x", event_bus=bus)]}
    assert validate({**document, "edges": chain("start", "out")}).findings == []
