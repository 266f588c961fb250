"""Where a tenant's workflows run in this deployment: names and ARNs derived from one ARN prefix in the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shared.catalog import CATALOG_BY_NAME, function_physical_name
from shared.resources import APPROVALS_QUEUE, WORKFLOW_STATE_MACHINES
from shared.workflows.nodes.base import CompileTarget

LIVE_ALIAS = "live"


@dataclass(frozen=True)
class WorkflowPlacement:
    region: str
    account: str
    prefix: str

    @classmethod
    def from_arn_prefix(cls, arn_prefix: str) -> WorkflowPlacement:
        """Reads `arn:aws:states:<region>:<account>:stateMachine:<prefix>-<key>` (FORGE_WORKFLOW_STATE_MACHINES)."""
        region, account, prefix = WORKFLOW_STATE_MACHINES.read_arn_prefix(arn_prefix)
        return cls(region=region, account=account, prefix=prefix)

    def state_machine_name(self, workflow_id: str) -> str:
        return f"{WORKFLOW_STATE_MACHINES.physical_name(self.prefix)}-{workflow_id}"

    def state_machine_arn(self, workflow_id: str) -> str:
        return f"arn:aws:states:{self.region}:{self.account}:stateMachine:{self.state_machine_name(workflow_id)}"

    def alias_arn(self, workflow_id: str) -> str:
        return f"{self.state_machine_arn(workflow_id)}:{LIVE_ALIAS}"

    @property
    def execution_role_arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role/{WORKFLOW_STATE_MACHINES.execution_role_name(self.prefix)}"

    @property
    def express_log_group_arn(self) -> str:
        """Where express machines log their execution events (`:*`, the form a LoggingConfiguration takes)."""
        name = WORKFLOW_STATE_MACHINES.express_log_group_name(self.prefix)
        return f"arn:aws:logs:{self.region}:{self.account}:log-group:{name}:*"

    def function_arn(self, name: str) -> str:
        """The ARN a Task state invokes the catalog function `name` by in this deployment: the node functions' alias
        (their provisioned concurrency serves only invocations of it), any other function unqualified."""
        if name not in CATALOG_BY_NAME:
            raise KeyError(f"no function {name!r} in the catalog")
        arn = f"arn:aws:lambda:{self.region}:{self.account}:function:{function_physical_name(self.prefix, name)}"
        if name in WORKFLOW_STATE_MACHINES.invokes_functions:
            return f"{arn}:{WORKFLOW_STATE_MACHINES.function_alias}"
        return arn

    @property
    def approvals_queue_url(self) -> str:
        return f"https://sqs.{self.region}.amazonaws.com/{self.account}/{APPROVALS_QUEUE.physical_name(self.prefix)}"

    def compile_target(
        self, tenant_id: str, workflow_id: str, subworkflow_arn: Callable[[str, int | None], str | None]
    ) -> CompileTarget:
        return CompileTarget(
            tenant_id=tenant_id,
            workflow_id=workflow_id,
            function_arn=self.function_arn,
            approvals_queue_url=self.approvals_queue_url,
            subworkflow_arn=subworkflow_arn,
        )
