"""`subworkflow`: runs a published version of another workflow of the same tenant and waits for its output."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from shared.workflows.nodes.base import CompileTarget, NodeParams, NodeType, States, Wiring, expression


class SubworkflowParams(NodeParams):
    workflow_id: str = Field(min_length=1, max_length=64)
    version: int | None = Field(default=None, ge=1, description="A published version; none means its live version")
    input: str = Field(default="$states.input", min_length=1, max_length=5_000, description="JSONata for its input")


class SubworkflowNode(NodeType[SubworkflowParams]):
    type = "subworkflow"
    summary = "Runs another workflow and waits for it"
    params_model = SubworkflowParams
    handles_errors = True
    supports_timeout = True
    standard_only = True

    def expressions(self, params: SubworkflowParams) -> Iterator[tuple[str, str]]:
        yield "/input", params.input

    def references(self, params: SubworkflowParams, target: CompileTarget) -> Iterator[tuple[str, str]]:
        if params.workflow_id == target.workflow_id:
            yield "/workflow_id", "a workflow can't run itself as a subworkflow"
        elif target.subworkflow_arn(params.workflow_id, params.version) is None:
            which = f"version {params.version}" if params.version else "a live version"
            yield "/workflow_id", f"no workflow {params.workflow_id!r} with {which} exists in this tenant"

    def emit(self, params: SubworkflowParams, wiring: Wiring) -> States:
        arn = wiring.target.subworkflow_arn(params.workflow_id, params.version)
        if arn is None:
            raise ValueError(f"subworkflow {params.workflow_id!r} is not resolvable; validate before compiling")
        state = {
            "Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Arguments": {"StateMachineArn": arn, "Input": expression(params.input)},
            "Output": expression("$states.result.Output"),
        }
        return {wiring.node.id: {**state, **wiring.error_handling, **wiring.transition()}}


NODE_TYPE = SubworkflowNode()
