"""`preset`: a node of the tenant's node library (a connector's operation or an agent a marketplace install added,
shared/store/node_presets.py), compiled to the node it stands for.

A connector operation becomes an `http_request`: the server URL and path with the path values filled in (URL-encoded;
a `{% … %}` value makes the URL one expression), query and header values, the JSON body, and the tenant credential
named by reference. An agent becomes an `agent` node: the preset's parameters with the node's values over them
(a prompt, say). Both are then checked and emitted by that node type, so the states are exactly its states.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, Field, ValidationError

from shared.store.node_presets import PRESET_ID_PATTERN
from shared.workflows.nodes.agent import NODE_TYPE as AGENT
from shared.workflows.nodes.base import CompileTarget, NodeParams, NodeType, States, Wiring, template_expression
from shared.workflows.nodes.http_request import NODE_TYPE as HTTP_REQUEST

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_CONCRETE: dict[str, NodeType[Any]] = {HTTP_REQUEST.type: HTTP_REQUEST, AGENT.type: AGENT}


class PresetParams(NodeParams):
    preset: str = Field(pattern=PRESET_ID_PATTERN, description="A node preset of the tenant (GET /v1/node-presets)")
    values: dict[str, Any] = Field(
        default_factory=dict, max_length=200, description="The preset's form: literal values or `{% … %}` expressions"
    )


class PresetUnusable(Exception):
    """The preset is missing or the values do not fit it: (pointer inside params, reason) pairs."""

    def __init__(self, reasons: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(reason for _, reason in reasons))
        self.reasons = reasons


def _url_segment(value: Any) -> str:
    """A path value as JSONata string concatenation: a literal URL-encoded, an expression encoded when it runs."""
    body = template_expression(value)
    if body is None:
        return json.dumps(quote(str(value), safe=""))
    return f"$encodeUrlComponent($string(({body})))"


def _url(template: dict[str, Any], values: dict[str, Any]) -> str:
    """The server URL and path with the path values in: a literal URL, or one expression if any value is one."""
    path_values = [
        (parameter["name"], values[parameter["name"]])
        for parameter in template["parameters"]
        if parameter["location"] == "path" and parameter["name"] in values
    ]
    rest = str(template["server_url"]).rstrip("/") + str(template["path"])
    if all(template_expression(value) is None for _, value in path_values):
        for name, value in path_values:
            rest = rest.replace("{" + name + "}", quote(str(value), safe=""))
        return rest
    given = dict(path_values)
    # re.split with one group: literal text at even positions, placeholder names at odd ones.
    pieces = _PLACEHOLDER.split(rest)
    parts = [
        json.dumps(piece)
        if position % 2 == 0
        else _url_segment(given[piece])
        if piece in given
        else json.dumps("{" + piece + "}")
        for position, piece in enumerate(pieces)
        if position % 2 or piece
    ]
    return "{% " + " & ".join(parts) + " %}"


def _http_params(template: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    by_location: dict[str, dict[str, str]] = {"query": {}, "header": {}}
    for parameter in template["parameters"]:
        if parameter["location"] in by_location and parameter["name"] in values:
            value = values[parameter["name"]]
            by_location[parameter["location"]][parameter["name"]] = (
                value if isinstance(value, str) else json.dumps(value)
            )
    params: dict[str, Any] = {"method": template["method"], "url": _url(template, values)}
    if by_location["query"]:
        params["query"] = by_location["query"]
    if by_location["header"]:
        params["headers"] = by_location["header"]
    if template.get("has_body") and "body" in values:
        params["body"] = values["body"]
    if template.get("credential"):
        params["credential"] = template["credential"]
    return params


def _form_errors(template: dict[str, Any], values: dict[str, Any]) -> list[tuple[str, str]]:
    known = {parameter["name"]: parameter for parameter in template["parameters"]}
    if template.get("has_body"):
        known["body"] = {"name": "body", "required": False}
    errors = [(f"/values/{name}", "is not a field of the preset") for name in sorted(set(values) - set(known))]
    errors += [
        (f"/values/{name}", "is required")
        for name, parameter in known.items()
        if parameter.get("required") and name not in values
    ]
    return errors


def resolve_preset(params: PresetParams, target: CompileTarget) -> tuple[NodeType[Any], BaseModel]:
    """The node type a preset node stands for and its parsed parameters; PresetUnusable says why not."""
    found = target.node_preset(params.preset)
    if found is None or found[0] not in _CONCRETE:
        raise PresetUnusable([("/preset", f"no node preset {params.preset!r} exists in this tenant")])
    node_type_name, template = found
    if node_type_name == HTTP_REQUEST.type:
        errors = _form_errors(template, params.values)
        if errors:
            raise PresetUnusable(errors)
        document = _http_params(template, params.values)
    else:
        document = {**template, **params.values}
    node_type = _CONCRETE[node_type_name]
    try:
        return node_type, node_type.params_model.model_validate(document)
    except ValidationError as error:
        raise PresetUnusable(
            [("/values" + "".join(f"/{part}" for part in item["loc"]), str(item["msg"])) for item in error.errors()]
        ) from error


class PresetNode(NodeType[PresetParams]):
    type = "preset"
    summary = "A node of the tenant's node library (a connector operation or an agent from the marketplace)"
    params_model = PresetParams
    handles_errors = True
    supports_timeout = True

    def references(self, params: PresetParams, target: CompileTarget) -> Iterator[tuple[str, str]]:
        try:
            node_type, concrete = resolve_preset(params, target)
        except PresetUnusable as unusable:
            yield from unusable.reasons
            return
        for where, reason in node_type.references(concrete, target):
            yield f"/values{where}", reason

    def emit(self, params: PresetParams, wiring: Wiring) -> States:
        node_type, concrete = resolve_preset(params, wiring.target)
        return node_type.emit(concrete, wiring)


NODE_TYPE = PresetNode()
