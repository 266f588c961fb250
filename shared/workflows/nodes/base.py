"""What every node type declares (parameters, ports, structure) and what the graph walker hands it to emit states."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from shared.workflows.model import DEFAULT_PORT, Node

if TYPE_CHECKING:
    from shared.agents.tools.canonical import CanonicalTool

State = dict[str, Any]
States = dict[str, State]
# How the walker treats a node: it knows these shapes, never the node types themselves.
Structure = Literal["trigger", "step", "fork", "join", "loop"]

P = TypeVar("P", bound=BaseModel)


class NodeParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


def expression(text: str) -> str:
    """A JSONata expression as Step Functions reads it in a JSONata state."""
    return "{% " + text + " %}"


def template_expression(value: object) -> str | None:
    """The JSONata inside a `{% … %}` string value, or None for a literal."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("{%") and stripped.endswith("%}") and len(stripped) >= 4:
            return stripped[2:-2].strip()
    return None


def find_templates(value: object, pointer: str = "") -> Iterator[tuple[str, str]]:
    """Every `{% … %}` string inside a parameter value, with its JSON pointer.

    Walks parsed parameters in place (a model's fields by name, as `model_dump` would name them) rather than
    dumping a copy of every node's parameters first."""
    if isinstance(value, str):
        body = template_expression(value)
        if body is not None:
            yield pointer, body
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from find_templates(item, f"{pointer}/{_escape(str(key))}")
    elif isinstance(value, list | tuple):
        for position, item in enumerate(value):
            yield from find_templates(item, f"{pointer}/{position}")
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from find_templates(getattr(value, name), f"{pointer}/{_escape(name)}")


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class CompileTarget:
    """Where a workflow will run: the identities and ARNs its states name. Never credentials."""

    tenant_id: str
    workflow_id: str
    # A catalog function's name (what a node type declares in `function`) → the ARN its Task states invoke.
    function_arn: Callable[[str], str]
    approvals_queue_url: str
    # (workflow id, version or None for the live alias) → ARN to start, or None when the tenant has no such version.
    subworkflow_arn: Callable[[str, int | None], str | None]
    # MCP server id → the tools its last refresh cached in this tenant (none: no such server); None reads the tenant's
    # registered servers.
    mcp_server_tools: Callable[[str], list[CanonicalTool]] | None = None
    # Node preset id → (node type, template) of the tenant's preset (None: no such preset); None reads the tenant's
    # node library.
    node_preset_lookup: Callable[[str], tuple[str, dict[str, Any]] | None] | None = None

    def mcp_tools(self, server_id: str) -> list[CanonicalTool]:
        """The cached tools of the tenant's MCP server of that id, empty when the tenant has none."""
        if self.mcp_server_tools is not None:
            return self.mcp_server_tools(server_id)
        # The MCP client's module (and the data layer) only when a definition names an MCP server.
        from shared.agents.mcp.client import server_tools

        return server_tools(self.tenant_id, server_id)

    def node_preset(self, preset_id: str) -> tuple[str, dict[str, Any]] | None:
        """(node type, template) of the tenant's node preset of that id, None when the tenant has none."""
        if self.node_preset_lookup is not None:
            return self.node_preset_lookup(preset_id)
        from shared.store.context import TenantContext
        from shared.store.node_presets import NodePresets

        item = NodePresets(TenantContext(self.tenant_id)).get(preset_id)
        return None if item is None else (item.node_type, item.template)


@dataclass
class Wiring:
    """What the walker hands a node type: where each port leads, error handling, and nested scopes."""

    node: Node
    target: CompileTarget
    next_by_port: dict[str, str | None]
    error_handling: State = field(default_factory=dict)
    branches: list[State] = field(default_factory=list)
    body: State | None = None
    join_output: str | None = None
    extra_states: States = field(default_factory=dict)

    def transition(self, port: str = DEFAULT_PORT) -> State:
        following = self.next_by_port.get(port)
        return {"Next": following} if following else {"End": True}

    def next_state(self, port: str = DEFAULT_PORT) -> str:
        """A state to go to from `port`; where the path ends there, a `Succeed` state that ends it."""
        following = self.next_by_port.get(port)
        if following:
            return following
        name = f"{self.node.id}__{port}_end"
        self.extra_states[name] = {"Type": "Succeed"}
        return name


class NodeType(Generic[P]):
    """One kind of node. Subclasses live one per module in `shared/workflows/nodes/`."""

    type: ClassVar[str]
    summary: ClassVar[str]
    params_model: builtins.type[P]
    structure: ClassVar[Structure] = "step"
    # Task, Parallel and Map states take Retry and Catch; only Task states take TimeoutSeconds.
    handles_errors: ClassVar[bool] = False
    supports_timeout: ClassVar[bool] = False
    # Express workflows can't wait for callbacks or run `.sync` integrations.
    standard_only: ClassVar[bool] = False
    # The catalog function (shared/catalog.py) the node's Task states invoke, if any.
    function: ClassVar[str | None] = None

    def ports(self, params: P) -> tuple[str, ...]:
        return (DEFAULT_PORT,)

    def standard_only_for(self, params: P) -> bool:
        """Whether these parameters need a standard workflow; by default, whether the type always does."""
        return self.standard_only

    def expressions(self, params: P) -> Iterator[tuple[str, str]]:
        """(pointer inside params, JSONata text) of every expression; by default the `{% … %}` values."""
        yield from find_templates(params)

    def references(self, params: P, target: CompileTarget) -> Iterator[tuple[str, str]]:
        """(pointer inside params, reason) for everything the parameters name that the tenant may not use."""
        yield from ()

    def emit(self, params: P, wiring: Wiring) -> States:
        raise NotImplementedError

    def function_arn(self, wiring: Wiring) -> str:
        """The ARN of the catalog function this node type declares."""
        if self.function is None:
            raise TypeError(f"node type {self.type!r} declares no function")
        return wiring.target.function_arn(self.function)
