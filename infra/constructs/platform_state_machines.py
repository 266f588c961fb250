"""The platform's static state machines from statemachines/, wired to the catalog functions they invoke."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.names import ResourceNames
from shared.resources import STATE_MACHINES, StateMachineSpec, function_arn_placeholder


class PlatformStateMachines(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: ResourceNames,
        functions: dict[str, lambda_.Function],
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self._names = names
        self._functions = functions
        self._log_retention = log_retention
        self._removal_policy = removal_policy
        self.state_machines: dict[str, sfn.StateMachine] = {spec.key: self._build(spec) for spec in STATE_MACHINES}

    def _build(self, spec: StateMachineSpec) -> sfn.StateMachine:
        construct_id = spec.key.capitalize()
        physical_name = self._names.name(spec)
        invoked = {name: self._functions[name] for name in spec.invokes_functions}
        machine = sfn.StateMachine(
            self,
            construct_id,
            state_machine_name=physical_name,
            definition_body=sfn.DefinitionBody.from_string(spec.definition_template()),
            definition_substitutions={
                function_arn_placeholder(name): function.function_arn for name, function in invoked.items()
            },
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=logs.LogGroup(
                    self,
                    f"{construct_id}Logs",
                    log_group_name=f"/aws/vendedlogs/states/{physical_name}",
                    retention=self._log_retention,
                    removal_policy=self._removal_policy,
                ),
                level=sfn.LogLevel.ALL,
            ),
        )
        for function in invoked.values():
            function.grant_invoke(machine)
        NagSuppressions.add_resource_suppressions(
            machine.role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason="CDK's generated grants: `<function arn>:*` (the function's versions) and the "
                    "log-delivery and X-Ray actions, which take no resource ARN",
                )
            ],
            apply_to_children=True,
        )
        return machine
